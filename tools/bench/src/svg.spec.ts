import { barChartSvg } from './svg';

describe('barChartSvg', () => {
  it('draws one bar per value with its value as a tooltip, and escapes labels', () => {
    const svg = barChartSvg({
      title: 'a <b> & c',
      unit: 'ms',
      series: ['p50', 'p99'],
      groups: [
        { label: '100/s', values: [12, 40] },
        { label: '1000/s', values: [30, Number.NaN] },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a &lt;b&gt; &amp; c');
    expect(svg.match(/<rect x=/g)).toHaveLength(3 + 2);
    expect(svg).toContain('<title>100/s p99: 40 ms</title>');
  });

  it('on a log scale puts a tenfold larger value higher', () => {
    const svg = barChartSvg({
      title: 't',
      unit: 'ms',
      series: ['s'],
      groups: [
        { label: 'a', values: [1] },
        { label: 'b', values: [100] },
      ],
      log: true,
    });
    const ys = [
      ...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="[\d.]+" fill="#4e79a7"><title>/g),
    ].map((m) => Number(m[1]));
    expect(ys).toHaveLength(2);
    expect(ys[1]).toBeLessThan(ys[0]);
  });
});
