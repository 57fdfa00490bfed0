/**
 * `npm run bench`: every benchmark in one run, then a summary table in bench/results/README.md.
 *
 * 1. gateway vs its bare baseline (gateway-bench.ts, its own full-JIT private broker), and the Kafka
 *    client's per-record encoding with and without kafkajs-tuning (kafkajs-bench.ts, no broker);
 * 2. archive consumer vs its baseline (tools/archive-bench, on a full-JIT private broker started here);
 * 3. the system: start-up, RSS idle and under load, end-to-end latency at fixed rates and the highest
 *    sustainable rate (system-bench.ts, its own full-JIT private broker);
 * 4. catch-up after an outage: a 1-hour backlog drained by archive + email beside a bare consumer, and the
 *    poller replaying 100,000 events beside a bare fetch+produce loop (catch-up-bench.ts, own private broker);
 * 5. the archive's read API at 1,000,000 events (console.md) and at 10,000,000 (archive-queries.md), beside
 *    OFFSET / no-read-model baselines (tools/archive-bench/src/query-bench.ts; seeds once per size, needs psql);
 * 6. each app in its image: start-up and idle memory beside a bare Node in the same image (tools/images/src/
 *    bench.ts; needs the images of `npm run images`);
 * 7. the soak: 1,000 events/s for 10 minutes with the archive in PostgreSQL and email on, beside the bare
 *    baseline server at the same rate (tools/soak).
 *
 * BENCH_SKIP / BENCH_ONLY: comma lists of gateway, kafkajs, archive, system, catch-up, queries, queries-10m,
 * images, soak. Benchmarks report; they never pass or fail a build. Keep the machine otherwise quiet.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_KAFKA_VERSION } from '@broker-events/kafka-local';
import { startPrivateKafka } from '@broker-events/soak';
import { REPO_ROOT, RESULTS_DIR, machine, spawnProcess } from './support';

const TSX = join(REPO_ROOT, 'node_modules/.bin/tsx');

async function run(script: string, env: Record<string, string> = {}): Promise<void> {
  console.log(`\n=== ${script}`);
  const p = spawnProcess(
    TSX,
    ['--tsconfig', join(REPO_ROOT, 'tsconfig.base.json'), join(REPO_ROOT, script)],
    env,
  );
  p.child.stdout?.pipe(process.stdout);
  p.child.stderr?.pipe(process.stderr);
  const code = await new Promise<number | null>((r) => p.child.once('exit', (c) => r(c)));
  if (code !== 0) console.error(`${script} exited with ${code}; carrying on with the next benchmark`);
}

function readJson(name: string): Record<string, unknown> | undefined {
  const file = join(RESULTS_DIR, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}

const num = (v: unknown): string => (typeof v === 'number' ? String(v) : '–');

const list = (name: string): string[] | undefined =>
  process.env[name]
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const ONLY = list('BENCH_ONLY');
const SKIP = list('BENCH_SKIP') ?? [];
const wanted = (name: string): boolean => (!ONLY || ONLY.includes(name)) && !SKIP.includes(name);
const PG = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

async function main(): Promise<void> {
  if (wanted('gateway')) await run('tools/bench/src/gateway-bench.ts');
  if (wanted('kafkajs')) await run('tools/bench/src/kafkajs-bench.ts');
  if (wanted('archive')) {
    const kafka = await startPrivateKafka(['-XX:TieredStopAtLevel=4', '-Xms1g', '-Xmx1g']);
    try {
      await run('tools/archive-bench/src/archive-bench.ts', { KAFKA_BROKERS: kafka.brokers });
    } finally {
      await kafka.destroy();
    }
  }
  if (wanted('system')) await run('tools/bench/src/system-bench.ts');
  if (wanted('catch-up')) await run('tools/bench/src/catch-up-bench.ts');
  if (wanted('queries')) await run('tools/archive-bench/src/query-bench.ts', { BENCH_EVENTS: '1000000' });
  if (wanted('queries-10m'))
    await run('tools/archive-bench/src/query-bench.ts', { BENCH_EVENTS: '10000000' });
  if (wanted('images')) {
    // Builds every app's image (podman; minutes on a cold cache), then measures them against a broker of its own.
    await run('tools/images/src/cli.ts');
    const kafka = await startPrivateKafka();
    try {
      await run('tools/images/src/bench.ts', { KAFKA_BROKERS: kafka.brokers });
    } finally {
      await kafka.destroy();
    }
  }
  if (wanted('soak'))
    await run('tools/soak/src/cli.ts', { SOAK_RATE: '1000', SOAK_MINUTES: '10', SOAK_DATABASE_URL: PG });
  writeFileSync(join(RESULTS_DIR, 'README.md'), summary() + '\n');
  console.log(`\nsummary: ${join(RESULTS_DIR, 'README.md')}`);
}

export function summary(): string {
  const gateway = readJson('gateway');
  const archive = readJson('archive');
  const kafkajs = readJson('kafkajs') as
    | {
        encodeUsPerRecord: { kafkajs: number; tuned: number };
        hashUsPerKey: { kafkajs: number; tuned: number };
      }
    | undefined;
  const system = readJson('system') as
    | {
        at: string;
        startupMs: Record<string, number>;
        rssMiB: { idle: Record<string, number>; underLoad1000: Record<string, number> };
        endToEnd: { label: string; target: number; achieved: number; e2eP50: number; e2eP99: number }[];
        highestSustainable: number | null;
      }
    | undefined;
  const catchUp = readJson('catch-up') as
    | {
        catchUp?: {
          events: number;
          results: { label: string; eventsPerSecond: number; timesArrivalRate: number }[];
        };
        pollerReplay?: { events: number; results: { label: string; eventsPerSecond: number }[] };
      }
    | undefined;
  const archiveRows =
    (archive?.['results'] as { label: string; steadyEventsPerSecond: number }[] | undefined) ?? [];
  const baseline = archiveRows.find((r) => r.label.startsWith('baseline'));
  const pgRow = archiveRows.find((r) => r.label.includes('PostgreSQL, default'));
  const lines = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (each file also by its own script: `bench:gateway`, `bench:kafkajs`, `bench:archive`, `bench:system`, `bench:catch-up`, `bench:archive-queries`, `bench:images`, `soak`).',
    'Numbers from one machine; compare runs on the same machine. How to read them: docs/proving.md.',
    '',
    `Machine: ${JSON.stringify(machine())}  `,
    `Kafka ${DEFAULT_KAFKA_VERSION} (private broker, full JIT, 1 GiB heap)  `,
    'Versions: see `versions` in system.json.',
    '',
    '| what | result | beside | file |',
    '| --- | ---: | --- | --- |',
    `| gateway throughput, events/s (max, 64 connections, median of rounds) | ${num(gateway?.['gatewayEventsPerSecond'])} | bare baseline ${num(gateway?.['baselineEventsPerSecond'])} (×${num(gateway?.['ratio'])}) | [gateway.md](gateway.md) |`,
    `| gateway p99 at fixed rate, ms | ${num(gateway?.['gatewayP99AtFixedRateMs'])} | bare baseline ${num(gateway?.['baselineP99AtFixedRateMs'])} | [gateway.md](gateway.md) |`,
    `| Kafka client per record: encode + key hash, µs | ${kafkajs ? `${kafkajs.encodeUsPerRecord.tuned} + ${kafkajs.hashUsPerKey.tuned}` : '–'} | kafkajs as published ${kafkajs ? `${kafkajs.encodeUsPerRecord.kafkajs} + ${kafkajs.hashUsPerKey.kafkajs}` : '–'} | [kafkajs.md](kafkajs.md) |`,
    `| archive consumer, events/s (PostgreSQL, steady) | ${num(pgRow?.steadyEventsPerSecond)} | single-row INSERT baseline ${num(baseline?.steadyEventsPerSecond)} | [archive.md](archive.md) |`,
    ...(system?.endToEnd ?? []).map(
      (r) =>
        `| end to end POST → archive row readable, ${r.label}: p50 / p99 ms | ${r.e2eP50} / ${r.e2eP99} | ${r.achieved} events/s achieved | [system.md](system.md) |`,
    ),
    ...(catchUp?.catchUp?.results ?? [])
      .filter((r) => !r.label.startsWith('baseline'))
      .map(
        (r) =>
          `| catch-up of ${catchUp?.catchUp?.events} backlog events, ${r.label.split(' (')[0]}: events/s (× 200/s arrival) | ${r.eventsPerSecond} (×${r.timesArrivalRate}) | bare consumer ${num(catchUp?.catchUp?.results.find((b) => b.label.startsWith('baseline'))?.eventsPerSecond)} | [catch-up.md](catch-up.md) |`,
      ),
    ...(catchUp?.pollerReplay?.results ?? [])
      .filter((r) => r.label.startsWith('poller (built'))
      .map(
        (r) =>
          `| poller replay of ${catchUp?.pollerReplay?.events} events, events/s | ${r.eventsPerSecond} | bare fetch+produce ${num(catchUp?.pollerReplay?.results.find((b) => b.label.startsWith('baseline'))?.eventsPerSecond)} | [catch-up.md](catch-up.md) |`,
      ),
    `| highest sustainable end-to-end rate, events/s | ${num(system?.highestSustainable ?? undefined)} | | [system.md](system.md) |`,
    ...apiRows(readJson('console'), 'console.md', '1 M'),
    ...apiRows(readJson('archive-queries'), 'archive-queries.md', '10 M'),
    ...soakRows(readJson('soak-1000x10m'), 'soak-1000x10m.md'),
    ...imageRows(readJson('images-runtime')),
    ...Object.entries(system?.startupMs ?? {}).map(
      ([app, ms]) =>
        `| ${app}: start-up ms / RSS idle MiB / RSS at 1000/s MiB | ${ms} / ${num(system?.rssMiB.idle[app])} / ${num(system?.rssMiB.underLoad1000[app])} | | [system.md](system.md) |`,
    ),
    '',
    '![end-to-end latency](system-e2e-latency.svg)',
    '',
    '![start-up and memory](system-apps.svg)',
  ];
  return lines.join('\n');
}

type ApiRow = { name: string; p50: number; p95: number };

/** The read API's p95 per query at one archive size. */
function apiRows(json: Record<string, unknown> | undefined, file: string, size: string): string[] {
  const api = (json?.['api'] as ApiRow[] | undefined) ?? [];
  return api.map(
    (r) =>
      `| archive read API at ${size} events, ${r.name}: p50 / p95 ms (server-side) | ${r.p50} / ${r.p95} | | [${file}](${file}) |`,
  );
}

function soakRows(json: Record<string, unknown> | undefined, file: string): string[] {
  if (!json) return [];
  // An id list is written as an array, or as { count, first } when long (tools/soak keepIdListsShort).
  type Ids = unknown[] | { count: number };
  const n = (ids: Ids): number => (Array.isArray(ids) ? ids.length : ids.count);
  const s = json as {
    rate: number;
    durationS: number;
    reconciliation: { accepted: number; lost: Ids; duplicated: Ids };
    mail?: { reconciliation: { duplicated: Ids; lost: Ids } };
    gatewayLatencyMs: { p99: number };
    baseline?: { p99: number };
  };
  return [
    `| soak ${s.rate}/s for ${s.durationS / 60} min: accepted / lost / archived twice / mailed twice / never mailed | ${s.reconciliation.accepted} / ${n(s.reconciliation.lost)} / ${n(s.reconciliation.duplicated)} / ${s.mail ? `${n(s.mail.reconciliation.duplicated)} / ${n(s.mail.reconciliation.lost)}` : '– / –'} | | [${file}](${file}) |`,
    `| soak ${s.rate}/s: gateway p99 ms | ${s.gatewayLatencyMs.p99} | bare baseline ${num(s.baseline?.p99)} | [${file}](${file}) |`,
  ];
}

function imageRows(json: Record<string, unknown> | undefined): string[] {
  const apps =
    (json?.['apps'] as
      | Record<
          string,
          {
            median: { startupCpuMs: number; rssMB: number };
            baseline: { startupCpuMs: number; rssMB: number };
          }
        >
      | undefined) ?? {};
  return Object.entries(apps).map(
    ([app, r]) =>
      `| ${app} in its image: start-up CPU ms / idle RSS MB | ${r.median.startupCpuMs} / ${r.median.rssMB} | bare Node in the image ${r.baseline.startupCpuMs} / ${r.baseline.rssMB} | [images-runtime.md](images-runtime.md) |`,
  );
}

if (process.argv.includes('--summary-only')) {
  writeFileSync(join(RESULTS_DIR, 'README.md'), summary() + '\n');
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
