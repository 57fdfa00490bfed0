/**
 * `npm run bench:gateway`: the gateway against a bare baseline (node:http + JSON.parse + one kafkajs send
 * per request), same broker, same acks, same load generator, in one run. Prints and writes the results.
 *
 * Env: KAFKA_BROKERS (default: start a private local broker), BENCH_SECONDS (default 10),
 * BENCH_CONNECTIONS (default 64), BENCH_RATE (fixed-rate run, default 1000 events/s), BENCH_ROUNDS (default
 * 3), BENCH_LOG_LEVEL (the gateway's LOG_LEVEL, default warn), BENCH_GATEWAY_NODE_ARGS (extra node options
 * for the gateway process, space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379/0; `off` skips it): a second gateway with its duplicate
 * window in Redis takes its turn in every round, so the cost of the shared window's atomic claim is
 * measured beside the in-memory window in the same run; BENCH_TRACING (default on; `off` skips it): a gateway
 * exporting OpenTelemetry traces (OTLP/HTTP to a sink in this process) takes its turn too, so tracing on and
 * off are measured in the same run.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS } from '@broker-events/contracts';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { startKafka, stopKafka } from '@broker-events/kafka-local';
import { createKafka, ensureTopics } from '@broker-events/messaging';
import { plainKafkaConfig } from '@broker-events/messaging/testing';
import {
  type LoadResult,
  REPO_ROOT,
  drive,
  machine,
  median,
  spawnProcess,
  table,
  waitForHttp,
  writeResults,
} from './support';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const rate = Number(process.env['BENCH_RATE'] ?? 1000);
/** The gateway logs every published event at info; the bench measures the HTTP → Kafka path at warn. */
const gatewayLogLevel = process.env['BENCH_LOG_LEVEL'] ?? 'warn';
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const gatewayNodeArgs = (process.env['BENCH_GATEWAY_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
const redisUrl = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
const tracing = process.env['BENCH_TRACING'] !== 'off';

/** An OTLP/HTTP endpoint that takes every export and keeps nothing: what a collector costs the sender. */
async function otlpSink(): Promise<{ url: string; exports: () => number; close: () => Promise<void> }> {
  let exports = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports: () => exports,
    close: () => new Promise((r) => server.close(() => r(undefined))),
  };
}
const WARM_UP_SECONDS = 8;
const TOKEN = 'bench-' + 'k'.repeat(40);

const makeBody = (): string => JSON.stringify(sampleEventBody());

/**
 * Request bodies made before a run rather than during it, so the load generator (on the same two cores)
 * spends its time sending, not building JSON. Every body has its own event id, so nothing is folded as a
 * duplicate; if a run outlasts the pool, bodies are made on the spot.
 */
class BodyPool {
  private pool: string[] = [];
  refill(count: number): void {
    while (this.pool.length < count) this.pool.push(makeBody());
  }
  readonly next = (): string => this.pool.pop() ?? makeBody();
}
const bodies = new BodyPool();
/** Bodies one run can use at most: its length times a rate above anything this machine reaches. */
const poolFor = (durationS: number, rate?: number): number => durationS * (rate ?? 10_000);
const body = bodies.next;

async function main(): Promise<void> {
  const main = join(REPO_ROOT, 'dist/apps/gateway/main.js');
  if (!existsSync(main)) throw new Error('run "npx nx build gateway" first (npm run bench:gateway does)');
  let brokers = process.env['KAFKA_BROKERS'];
  let dataDir: string | undefined;
  const kafkaPort = 19392;
  if (!brokers) {
    dataDir = mkdtempSync(join(tmpdir(), 'bench-kafka-'));
    process.stdout.write('starting a private Kafka broker…\n');
    brokers = (
      await startKafka({
        port: kafkaPort,
        controllerPort: kafkaPort + 1,
        dataDir,
        // Full JIT for a throughput run (tests use C1 only, which starts faster).
        jvmArgs: ['-XX:TieredStopAtLevel=4', '-Xms1g', '-Xmx1g'],
        logLevel: 'WARN',
      })
    ).brokers;
  }
  const kafkaCfg = plainKafkaConfig(brokers);
  await ensureTopics(createKafka(kafkaCfg, 'bench-admin'), [
    { topic: TOPICS.events, partitions: 6, replicationFactor: 1 },
    { topic: TOPICS.quarantine, partitions: 6, replicationFactor: 1 },
  ]);

  const results: LoadResult[] = [];
  const target = {
    baseline: 'http://127.0.0.1:18081/',
    gateway: `http://127.0.0.1:18082/altinn/events/${TOKEN}`,
    'gateway-redis': `http://127.0.0.1:18083/altinn/events/${TOKEN}`,
    'gateway-traced': `http://127.0.0.1:18084/altinn/events/${TOKEN}`,
  };
  type Contender = keyof typeof target;
  const contenders: Contender[] = ['baseline', 'gateway'];
  if (redisUrl !== 'off') contenders.push('gateway-redis');
  if (tracing) contenders.push('gateway-traced');
  const sink = tracing ? await otlpSink() : undefined;
  const baseline = spawnProcess(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/.bin/tsx'), join(__dirname, 'baseline-server.ts')],
    {
      KAFKA_BROKERS: brokers,
      PORT: '18081',
      TOPIC: TOPICS.events,
    },
  );
  const gatewayEnv = {
    KAFKA_BROKERS: brokers,
    WEBHOOK_TOKENS: TOKEN,
    PORT: '18082',
    HOST: '127.0.0.1',
    LOG_LEVEL: gatewayLogLevel,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  const gateway = spawnProcess(process.execPath, [...gatewayNodeArgs, main], gatewayEnv);
  const gatewayTraced = sink
    ? spawnProcess(process.execPath, [...gatewayNodeArgs, main], {
        ...gatewayEnv,
        PORT: '18084',
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      })
    : undefined;
  // The window's keys expire soon after the run instead of after the default two days.
  const gatewayRedis = contenders.includes('gateway-redis')
    ? spawnProcess(process.execPath, [...gatewayNodeArgs, main], {
        ...gatewayEnv,
        PORT: '18083',
        REDIS_URL: redisUrl,
        DEDUP_WINDOW_SECONDS: '900',
      })
    : undefined;
  try {
    await waitForHttp(target.baseline, 30_000, baseline).catch(async () => {
      // The baseline answers 400 to GET; any answer means it listens.
      const res = await fetch(target.baseline, { method: 'POST', body: body() });
      if (!res.ok) throw new Error('baseline not answering');
    });
    await waitForHttp('http://127.0.0.1:18082/health/ready', 60_000, gateway);
    if (gatewayRedis) await waitForHttp('http://127.0.0.1:18083/health/ready', 60_000, gatewayRedis);
    if (gatewayTraced) await waitForHttp('http://127.0.0.1:18084/health/ready', 60_000, gatewayTraced);
    // Warm-up: long enough for the broker's JIT too (the first seconds of a fresh broker are slower).
    for (const who of contenders) {
      bodies.refill(poolFor(WARM_UP_SECONDS));
      await drive({
        label: `${who} warm-up`,
        url: target[who],
        connections,
        durationS: WARM_UP_SECONDS,
        body,
      });
    }
    // Both servers stay up and take turns, round after round, so a slow spell of the shared machine hits
    // both alike; the summary uses the median round.
    for (let round = 1; round <= rounds; round++) {
      for (const who of contenders) {
        bodies.refill(poolFor(seconds));
        results.push(
          await drive({
            label: `${who} max (${connections} connections) #${round}`,
            url: target[who],
            connections,
            durationS: seconds,
            body,
          }),
        );
      }
      for (const who of contenders) {
        bodies.refill(poolFor(seconds, rate));
        results.push(
          await drive({
            label: `${who} fixed ${rate}/s #${round}`,
            url: target[who],
            connections: 50,
            durationS: seconds,
            rate,
            body,
          }),
        );
      }
    }
  } finally {
    await Promise.all([baseline.stop(), gateway.stop(), gatewayRedis?.stop(), gatewayTraced?.stop()]);
    await sink?.close();
  }
  if (dataDir) {
    await stopKafka({ port: kafkaPort, dataDir });
    rmSync(dataDir, { recursive: true, force: true });
  }

  const runsOf = (who: Contender, kind: 'max' | 'fixed') =>
    results.filter((r) => r.label.startsWith(`${who} `) && r.label.includes(kind));
  const gatewayMax = median(runsOf('gateway', 'max').map((r) => r.rps));
  const baselineMax = median(runsOf('baseline', 'max').map((r) => r.rps));
  const ratio = Math.round((gatewayMax / baselineMax) * 100) / 100;
  const gatewayP99 = median(runsOf('gateway', 'fixed').map((r) => r.p99));
  const baselineP99 = median(runsOf('baseline', 'fixed').map((r) => r.p99));
  const best = Math.max(...runsOf('gateway', 'max').map((r) => r.rps));
  const redisMax = gatewayRedis ? median(runsOf('gateway-redis', 'max').map((r) => r.rps)) : undefined;
  const redisP99 = gatewayRedis ? median(runsOf('gateway-redis', 'fixed').map((r) => r.p99)) : undefined;
  const tracedMax = gatewayTraced ? median(runsOf('gateway-traced', 'max').map((r) => r.rps)) : undefined;
  const tracedP99 = gatewayTraced ? median(runsOf('gateway-traced', 'fixed').map((r) => r.p99)) : undefined;
  const tracingCost =
    tracedMax === undefined ? undefined : Math.round((1 - tracedMax / gatewayMax) * 1000) / 10;
  /** What the shared window's claim costs in throughput, against the in-memory window of the same run. */
  const redisCost = redisMax === undefined ? undefined : Math.round((1 - redisMax / gatewayMax) * 1000) / 10;
  const goals = { eventsPerSecond: 5000, p99AtFixedRateMs: 50, ratio: 1.0 };
  const summary = {
    benchmark: 'gateway',
    date: new Date().toISOString(),
    machine: machine(),
    settings: {
      seconds,
      rounds,
      connections,
      rate,
      gatewayLogLevel,
      brokers: dataDir ? 'private local broker' : brokers,
    },
    results,
    gatewayEventsPerSecond: gatewayMax,
    gatewayBestEventsPerSecond: best,
    baselineEventsPerSecond: baselineMax,
    ratio,
    gatewayP99AtFixedRateMs: gatewayP99,
    baselineP99AtFixedRateMs: baselineP99,
    gatewayRedisEventsPerSecond: redisMax,
    gatewayRedisP99AtFixedRateMs: redisP99,
    redisThroughputCostPercent: redisCost,
    gatewayTracedEventsPerSecond: tracedMax,
    gatewayTracedP99AtFixedRateMs: tracedP99,
    tracingThroughputCostPercent: tracingCost,
    otlpExportsReceived: sink?.exports(),
    goals,
    met: {
      eventsPerSecond: gatewayMax >= goals.eventsPerSecond,
      p99AtFixedRateMs: gatewayP99 < goals.p99AtFixedRateMs,
      ratio: ratio >= goals.ratio,
    },
  };
  const verdict = (ok: boolean) => (ok ? 'met' : 'not met');
  const md = [
    `# Gateway benchmark (${summary.date})`,
    '',
    `Machine: ${JSON.stringify(summary.machine)}`,
    '',
    `Settings: ${JSON.stringify(summary.settings)}`,
    '',
    table(results),
    '',
    `Medians of ${rounds} interleaved rounds:`,
    '',
    `| | gateway | baseline | goal |`,
    `| --- | ---: | ---: | --- |`,
    `| events/s, max (${connections} connections) | **${gatewayMax}** (best ${best}) | ${baselineMax} | ≥ ${goals.eventsPerSecond}: ${verdict(summary.met.eventsPerSecond)} |`,
    `| p99 ms at ${rate}/s | **${gatewayP99}** | ${baselineP99} | < ${goals.p99AtFixedRateMs}: ${verdict(summary.met.p99AtFixedRateMs)} |`,
    `| gateway/baseline throughput | **${ratio}** | | ≥ ${goals.ratio}: ${verdict(summary.met.ratio)} |`,
    ...(redisMax === undefined
      ? []
      : [
          '',
          'The duplicate window in Redis (`REDIS_URL`: an atomic claim, then a published mark, per event) beside the in-memory window, same run:',
          '',
          '| | in-memory window | Redis window |',
          '| --- | ---: | ---: |',
          `| events/s, max (${connections} connections) | ${gatewayMax} | **${redisMax}** (${Math.abs(redisCost ?? 0)}% ${(redisCost ?? 0) >= 0 ? 'fewer' : 'more'}) |`,
          `| p99 ms at ${rate}/s | ${gatewayP99} | **${redisP99}** |`,
        ]),
    ...(tracedMax === undefined
      ? []
      : [
          '',
          `Tracing on (OTLP/HTTP export of a server and a producer span per event, ${sink?.exports() ?? 0} exports received) beside tracing off, same run:`,
          '',
          '| | tracing off | tracing on |',
          '| --- | ---: | ---: |',
          `| events/s, max (${connections} connections) | ${gatewayMax} | **${tracedMax}** (${Math.abs(tracingCost ?? 0)}% ${(tracingCost ?? 0) >= 0 ? 'fewer' : 'more'}) |`,
          `| p99 ms at ${rate}/s | ${gatewayP99} | **${tracedP99}** |`,
        ]),
  ].join('\n');
  const file = writeResults('gateway', summary, md);
  process.stdout.write(`\n${md}\n\nwritten to ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
  process.exit(1);
});
