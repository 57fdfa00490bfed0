/**
 * npm run bench:cluster -- <rolling-restart|leader-kill|two-down|group-churn|all>
 *
 * Starts a fresh three-node cluster (TLS + SCRAM) for each scenario, the built gateway, archive and email apps
 * on it, runs the scenario under load and writes the figures to bench/results/cluster.md (and cluster.json).
 * CLUSTER_BENCH_RATE (default 500 events/s), KAFKA_LOCAL_VERSION (default 4.3.1), KAFKA_CLUSTER_BASE_PORT
 * (default 21300), CLUSTER_BENCH_DATABASE_URL (PostgreSQL for the archive, default the local test db).
 * Exits 1 when anything was lost, duplicated, left stuck or answered wrongly.
 */
import { DEFAULT_KAFKA_VERSION, LocalCluster } from '@broker-events/kafka-local';
import { dropSchema } from '@broker-events/soak';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordResult } from './report';
import {
  type ScenarioOptions,
  type ScenarioResult,
  groupChurn,
  leaderKill,
  rollingRestart,
  scenarioProblems,
  twoDown,
} from './scenarios';
import { type ClusterSystem, startClusterSystem } from './system';

const SCENARIOS: Record<string, (s: ClusterSystem, o: ScenarioOptions) => Promise<ScenarioResult>> = {
  'rolling-restart': rollingRestart,
  'leader-kill': leaderKill,
  'two-down': twoDown,
  'group-churn': groupChurn,
};

async function runOne(
  name: string,
  rate: number,
  version: string,
  log: (l: string) => void,
): Promise<string[]> {
  const tmp = mkdtempSync(join(tmpdir(), `cluster-bench-${name}-`));
  const db = process.env['CLUSTER_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `cluster_${name.replace(/-/g, '_')}_${randomBytes(3).toString('hex')}`;
  const cluster = new LocalCluster({
    // Below Linux's ephemeral range (32768-60999), where an outgoing connection could hold a broker's port.
    basePort: Number(process.env['KAFKA_CLUSTER_BASE_PORT'] ?? '21300'),
    dataDir: join(tmp, 'kafka'),
    version,
    log,
  });
  let sys: ClusterSystem | undefined;
  try {
    await cluster.start();
    sys = await startClusterSystem({
      cluster,
      archiveDb: { kind: 'postgres', url: db, schema },
      tmpDir: tmp,
      archiveReplicas: name === 'group-churn' ? 2 : 1,
    });
    log(`${name}: ${rate} events/s, Kafka ${version}`);
    const result = await SCENARIOS[name](sys, { rate, kafkaVersion: version, log });
    recordResult(result);
    const problems = scenarioProblems(result);
    log(`${name}: ${JSON.stringify({ ...result, answers: result.answers })}`);
    return problems;
  } finally {
    await sys?.stop().catch(() => undefined);
    await cluster.destroy();
    await dropSchema(db, schema);
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const which = process.argv[2] ?? 'all';
  const names = which === 'all' ? Object.keys(SCENARIOS) : [which];
  for (const n of names)
    if (!SCENARIOS[n]) throw new Error(`unknown scenario "${n}" (${Object.keys(SCENARIOS).join(', ')}, all)`);
  const rate = Number(process.env['CLUSTER_BENCH_RATE'] ?? '500');
  const version = process.env['KAFKA_LOCAL_VERSION'] ?? DEFAULT_KAFKA_VERSION;
  const log = (line: string): void => console.log(`[cluster-bench ${new Date().toISOString()}] ${line}`);
  let failed = false;
  for (const n of names) {
    const problems = await runOne(n, rate, version, log);
    if (problems.length > 0) {
      failed = true;
      for (const p of problems) log(`${n}: PROBLEM ${p}`);
    } else log(`${n}: nothing lost, nothing duplicated, nothing stuck`);
  }
  log('figures in bench/results/cluster.md');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
