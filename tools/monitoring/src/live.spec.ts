import { type LocalStack, runDemo, startLocalStack } from '@broker-events/local';
import { freePort, until } from '@broker-events/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DASHBOARDS, type Source, metricNames } from './dashboards';
import { REPO_ROOT } from './paths';

/**
 * Every dashboard query against a real Prometheus scraping the local stack (`npm start`'s gateway, archive
 * and email) after `npm run demo`: Prometheus accepts each query, each metric a panel of these apps reads is
 * one they expose, and every panel a demo should fill has data.
 */
const RUNNING: Source[] = ['gateway', 'consumers', 'email', 'process'];

interface QueryAnswer {
  status: string;
  error?: string;
  data?: { result: unknown[] };
}

describe('dashboards against a real Prometheus scraping the local stack', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'monitoring-stack-'));
  const promDir = mkdtempSync(join(tmpdir(), 'monitoring-prom-'));
  let stack: LocalStack | undefined;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  const lines: string[] = [];

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus?.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(promDir, { recursive: true, force: true });
  });

  async function query(expr: string): Promise<QueryAnswer> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as QueryAnswer;
  }

  it('has data in every panel a demo fills, and names only metrics the running apps expose', async () => {
    const brokers = process.env['KAFKA_BROKERS'];
    expect(brokers).toBeDefined();
    stack = await startLocalStack({
      root: REPO_ROOT,
      build: false,
      stateDir,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], KAFKA_BROKERS: brokers },
      ports: { gateway: 0, archive: 0, email: 0, slack: 0, smtp: 0, inbox: 0 },
      consumerSuffix: `-m${Date.now().toString(36)}`,
      // The dashboards read the gateway and the consumers; poller and file fetcher are not built for this test.
      localAltinn: false,
      log: (line) => lines.push(line),
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${lines.slice(-30).join('\n')}`);
    });
    const { state } = stack;
    const result = await runDemo(state, () => undefined, 90_000);
    expect(result.archived.length).toBeGreaterThan(0);

    const targets = [state.gatewayUrl, state.archiveUrl, state.emailUrl].map((u) => new URL(u).host);
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(promDir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: broker-events',
        `    static_configs: [{ targets: [${targets.map((t) => `'${t}'`).join(', ')}] }]`,
        '',
      ].join('\n'),
    );
    const proc = spawn(
      'prometheus',
      [
        `--config.file=${join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    prometheus = proc;
    await until('Prometheus ready', async () => {
      if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}`);
      return fetch(`${promUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
    });
    // Scraped twice at least, so rates exist: every target up in two samples.
    await until(
      'two scrapes of every app',
      async () => {
        const a = await query('count_over_time(up[1m]) >= 2');
        return a.data?.result.length === targets.length;
      },
      30_000,
      250,
    );

    const panels = DASHBOARDS.flatMap((d) => d.panels.map((p) => ({ ...p, dashboard: d.uid })));
    // Prometheus parses every query of every panel, whichever app it reads.
    for (const p of panels)
      for (const t of p.targets) {
        const answer = await query(t.expr);
        expect({ panel: p.title, expr: t.expr, status: answer.status, error: answer.error }).toEqual({
          panel: p.title,
          expr: t.expr,
          status: 'success',
          error: undefined,
        });
      }

    // Each metric of a running app's panel is in what Prometheus scraped from it (series or metadata).
    const metadata = (await (await fetch(`${promUrl}/api/v1/metadata`)).json()) as {
      data: Record<string, unknown>;
    };
    const scraped = new Set(Object.keys(metadata.data));
    const missing = panels
      .filter((p) => RUNNING.includes(p.source))
      .flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr)))
      .filter((m) => !scraped.has(m));
    expect([...new Set(missing)]).toEqual([]);

    // Every panel a demo fills returns series.
    const empty = async () => {
      const out: string[] = [];
      for (const p of panels.filter((x) => x.dataAfterDemo && RUNNING.includes(x.source)))
        for (const t of p.targets)
          if (((await query(t.expr)).data?.result.length ?? 0) === 0) out.push(`${p.title}: ${t.expr}`);
      return out;
    };
    await until('every demo panel has data', async () => (await empty()).length === 0, 30_000, 1000).catch(
      async (error: unknown) => {
        throw new Error(`${String(error)}; empty: ${(await empty()).join(' | ')}`);
      },
    );
  });
});
