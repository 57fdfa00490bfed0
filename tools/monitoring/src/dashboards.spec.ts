import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { DASHBOARDS, grafanaDashboard, metricNames } from './dashboards';
import { declaredMetricNames } from './metrics-declared';
import { MONITORING_DIR, REPO_ROOT, dashboardFile } from './paths';

describe('the Grafana dashboards', () => {
  it('are committed as `npm run monitoring` writes them', () => {
    for (const d of DASHBOARDS) {
      const committed = JSON.parse(readFileSync(dashboardFile(d.uid), 'utf8')) as unknown;
      expect(committed).toEqual(grafanaDashboard(d));
    }
  });

  it('cover intake, delivery, the Altinn side and resources, each panel with a query and a description', () => {
    expect(DASHBOARDS.map((d) => d.uid)).toEqual([
      'broker-events-intake',
      'broker-events-delivery',
      'broker-events-altinn',
      'broker-events-resources',
    ]);
    for (const p of DASHBOARDS.flatMap((d) => d.panels)) {
      expect(p.targets.length).toBeGreaterThan(0);
      expect(p.description.length).toBeGreaterThan(10);
    }
  });

  it('read only metrics the apps declare (a typo would leave a panel empty)', () => {
    const declared = declaredMetricNames(REPO_ROOT);
    const unknown = DASHBOARDS.flatMap((d) => d.panels).flatMap((p) =>
      p.targets.flatMap((t) =>
        metricNames(t.expr)
          .filter((m) => !declared.has(m))
          .map((m) => `${p.title}: ${m}`),
      ),
    );
    expect(unknown).toEqual([]);
  });

  it('render with kustomize into PodMonitors (the gateway and the console on their metrics port), the PrometheusRule and a dashboards ConfigMap for the Grafana sidecar', () => {
    const out = execFileSync('kubectl', ['kustomize', MONITORING_DIR], { encoding: 'utf8' });
    interface Rendered {
      kind: string;
      metadata: { name: string; labels?: Record<string, string> };
      data?: Record<string, string>;
    }
    const objects = parseAllDocuments(out).map((d) => d.toJS() as Rendered);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/broker-events-dashboards',
      'PodMonitor/broker-events',
      'PodMonitor/broker-events-metrics-port',
      'PrometheusRule/broker-events',
    ]);
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    expect(configMap?.metadata.labels?.['grafana_dashboard']).toBe('1');
    const data = configMap?.data ?? {};
    expect(Object.keys(data).sort()).toEqual([
      'altinn.json',
      'delivery.json',
      'intake.json',
      'resources.json',
    ]);
    for (const json of Object.values(data))
      expect((JSON.parse(json) as { panels: unknown[] }).panels.length).toBeGreaterThan(0);
  });
});
