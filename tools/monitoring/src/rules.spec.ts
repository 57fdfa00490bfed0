import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { metricNames } from './dashboards';
import { declaredMetricNames } from './metrics-declared';
import { MONITORING_DIR, REPO_ROOT } from './paths';

interface Rule {
  alert?: string;
  expr: string;
  annotations?: Record<string, string>;
}
interface AlertTest {
  alertname: string;
  exp_alerts?: unknown[];
}

const ruleResource = parse(readFileSync(join(MONITORING_DIR, 'prometheus-rules.yaml'), 'utf8')) as {
  kind: string;
  spec: { groups: { name: string; rules: Rule[] }[] };
};
const alerts = ruleResource.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert);
const testFiles = readdirSync(join(MONITORING_DIR, 'tests')).filter((f) => f.endsWith('.test.yaml'));
const alertTests: AlertTest[] = testFiles.flatMap((f) =>
  (
    parse(readFileSync(join(MONITORING_DIR, 'tests', f), 'utf8')) as {
      tests: { alert_rule_test?: AlertTest[] }[];
    }
  ).tests.flatMap((t) => t.alert_rule_test ?? []),
);

describe('the alert rules, with the real promtool', () => {
  let dir: string;

  beforeAll(() => {
    // promtool reads plain rule files: the PrometheusRule's groups, as the operator hands them to Prometheus.
    dir = mkdtempSync(join(tmpdir(), 'promtool-'));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleResource.spec.groups }));
    for (const f of testFiles) copyFileSync(join(MONITORING_DIR, 'tests', f), join(dir, f));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a PrometheusRule whose rules promtool accepts', () => {
    expect(ruleResource.kind).toBe('PrometheusRule');
    const out = execFileSync('promtool', ['check', 'rules', 'rules.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(out).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it('passes every promtool unit test (each alert fires on its failure, and nothing fires on normal traffic)', () => {
    const run = spawnSync('promtool', ['test', 'rules', ...testFiles], { cwd: dir, encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS') as unknown,
    });
  });

  it('has a test that makes each alert fire and one in which it stays silent, and tests no alert that does not exist', () => {
    const names = alerts.map((a) => a.alert);
    for (const name of names) {
      const tests = alertTests.filter((t) => t.alertname === name);
      expect({ name, fires: tests.some((t) => (t.exp_alerts ?? []).length > 0) }).toEqual({
        name,
        fires: true,
      });
      expect({ name, silent: tests.some((t) => (t.exp_alerts ?? []).length === 0) }).toEqual({
        name,
        silent: true,
      });
    }
    expect(alertTests.map((t) => t.alertname).filter((n) => !names.includes(n))).toEqual([]);
  });

  it('reads only metrics the apps declare', () => {
    const declared = declaredMetricNames(REPO_ROOT);
    const unknown = alerts.flatMap((a) =>
      metricNames(a.expr)
        .filter((m) => !declared.has(m))
        .map((m) => `${a.alert}: ${m}`),
    );
    expect(unknown).toEqual([]);
  });

  it('links each alert to its runbook in docs/operations.md, which has one section per alert', () => {
    const runbooks = readFileSync(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    for (const a of alerts) {
      const name = a.alert ?? '';
      expect(a.annotations?.['runbook_url']).toMatch(
        new RegExp(`/docs/operations\\.md#${name.toLowerCase()}$`),
      );
      expect({ name, section: runbooks.includes(`\n### ${name}\n`) }).toEqual({ name, section: true });
    }
  });
});
