/** A grouped bar chart as a standalone SVG: no chart dependency, readable in any browser or on GitHub. */
export interface BarGroup {
  label: string;
  values: number[];
}

export interface BarChart {
  title: string;
  unit: string;
  series: string[];
  groups: BarGroup[];
  /** Draw the value axis on a log scale (for values that span decades). */
  log?: boolean;
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function barChartSvg(chart: BarChart, width = 760, height = 360): string {
  const m = { top: 48, right: 20, bottom: 70, left: 64 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = chart.groups.flatMap((g) => g.values).filter((v) => Number.isFinite(v) && v > 0);
  const maxV = Math.max(1, ...all);
  const minV = chart.log ? Math.max(0.1, Math.min(...all, maxV)) : 0;
  const top = chart.log ? 10 ** Math.ceil(Math.log10(maxV)) : niceCeil(maxV);
  const bottom = chart.log ? 10 ** Math.floor(Math.log10(minV)) : 0;
  const y = (v: number): number => {
    if (chart.log) {
      const c = Math.max(v, bottom);
      return h - ((Math.log10(c) - Math.log10(bottom)) / (Math.log10(top) - Math.log10(bottom))) * h;
    }
    return h - (v / top) * h;
  };
  const ticks: number[] = [];
  if (chart.log) for (let t = bottom; t <= top * 1.0001; t *= 10) ticks.push(t);
  else for (let i = 0; i <= 5; i++) ticks.push((top / 5) * i);
  const gw = w / Math.max(1, chart.groups.length);
  const bw = (gw * 0.8) / Math.max(1, chart.series.length);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>`,
    `<g transform="translate(${m.left},${m.top})">`,
  );
  for (const t of ticks) {
    parts.push(
      `<line x1="0" x2="${w}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="-6" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(-48,${h / 2}) rotate(-90)" text-anchor="middle">${esc(chart.unit)}</text>`,
  );
  chart.groups.forEach((g, gi) => {
    g.values.forEach((v, si) => {
      if (!Number.isFinite(v)) return;
      const x = gi * gw + gw * 0.1 + si * bw;
      const yy = y(v);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(h - yy).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${g.label} ${chart.series[si]}: ${v} ${chart.unit}`)}</title></rect>`,
        `<text x="${(x + bw / 2).toFixed(1)}" y="${(yy - 3).toFixed(1)}" text-anchor="middle" font-size="10">${fmt(v)}</text>`,
      );
    });
    parts.push(
      `<text x="${(gi * gw + gw / 2).toFixed(1)}" y="${h + 18}" text-anchor="middle">${esc(g.label)}</text>`,
    );
  });
  parts.push(`<line x1="0" x2="${w}" y1="${h}" y2="${h}" stroke="#333"/>`);
  chart.series.forEach((s, si) => {
    const x = si * 150;
    parts.push(
      `<rect x="${x}" y="${h + 36}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`,
      `<text x="${x + 16}" y="${h + 46}">${esc(s)}</text>`,
    );
  });
  parts.push('</g></svg>');
  return parts.join('\n') + '\n';
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v >= 1000) return `${Math.round(v / 100) / 10}k`;
  if (v >= 10) return String(Math.round(v));
  return String(Math.round(v * 10) / 10);
}
