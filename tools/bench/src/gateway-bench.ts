/**
 * `npm run bench:gateway`: the gateway against a bare baseline (node:http + JSON.parse + one kafkajs send
 * per request), same broker, same acks, same load generator, in one run. Prints and writes the results.
 *
 * Env: KAFKA_BROKERS (default: start a private local broker), BENCH_SECONDS (default 10),
 * BENCH_CONNECTIONS (default 64), BENCH_RATE (fixed-rate run, default 1000 events/s).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS } from '@broker-events/contracts';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { startKafka, stopKafka } from '@broker-events/kafka-local';
import { createKafka, ensureTopics } from '@broker-events/messaging';
import {
  type LoadResult,
  REPO_ROOT,
  drive,
  machine,
  spawnProcess,
  table,
  waitForHttp,
  writeResults,
} from './support';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const rate = Number(process.env['BENCH_RATE'] ?? 1000);
const TOKEN = 'bench-' + 'k'.repeat(40);

const body = (): string => JSON.stringify(sampleEventBody());

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
  const kafkaCfg = {
    KAFKA_BROKERS: brokers.split(','),
    KAFKA_SSL: false,
    KAFKA_SASL_MECHANISM: undefined,
    KAFKA_SASL_USERNAME: undefined,
    KAFKA_SASL_PASSWORD: undefined,
    KAFKA_CONNECTION_TIMEOUT_MS: 3000,
    KAFKA_REQUEST_TIMEOUT_MS: 10000,
  };
  await ensureTopics(createKafka(kafkaCfg, 'bench-admin'), [
    { topic: TOPICS.events, partitions: 6, replicationFactor: 1 },
    { topic: TOPICS.quarantine, partitions: 6, replicationFactor: 1 },
  ]);

  const results: LoadResult[] = [];
  const runs = async (label: string, url: string): Promise<void> => {
    await drive({ label: `${label} warm-up`, url, connections, durationS: 3, body });
    results.push(
      await drive({
        label: `${label} max (${connections} connections)`,
        url,
        connections,
        durationS: seconds,
        body,
      }),
    );
    results.push(
      await drive({
        label: `${label} fixed ${rate}/s`,
        url,
        connections: 50,
        durationS: seconds,
        rate,
        body,
      }),
    );
  };

  const baseline = spawnProcess(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/.bin/tsx'), join(__dirname, 'baseline-server.ts')],
    {
      KAFKA_BROKERS: brokers,
      PORT: '18081',
      TOPIC: TOPICS.events,
    },
  );
  try {
    await waitForHttp('http://127.0.0.1:18081/', 30_000, baseline).catch(async () => {
      // The baseline answers 400 to GET; any answer means it listens.
      const res = await fetch('http://127.0.0.1:18081/', { method: 'POST', body: body() });
      if (!res.ok) throw new Error('baseline not answering');
    });
    await runs('baseline', 'http://127.0.0.1:18081/');
  } finally {
    await baseline.stop();
  }

  const gateway = spawnProcess(process.execPath, [main], {
    KAFKA_BROKERS: brokers,
    WEBHOOK_TOKENS: TOKEN,
    PORT: '18082',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  });
  try {
    await waitForHttp('http://127.0.0.1:18082/health/ready', 60_000, gateway);
    await runs('gateway', `http://127.0.0.1:18082/altinn/events/${TOKEN}`);
  } finally {
    await gateway.stop();
  }
  if (dataDir) {
    await stopKafka({ port: kafkaPort, dataDir });
    rmSync(dataDir, { recursive: true, force: true });
  }

  const max = (label: string) => results.find((r) => r.label.startsWith(label) && r.label.includes('max'));
  const fixed = (label: string) =>
    results.find((r) => r.label.startsWith(label) && r.label.includes('fixed'));
  const ratio = Math.round(((max('gateway')?.rps ?? 0) / (max('baseline')?.rps ?? 1)) * 100) / 100;
  const summary = {
    benchmark: 'gateway',
    date: new Date().toISOString(),
    machine: machine(),
    settings: { seconds, connections, rate, brokers: dataDir ? 'private local broker' : brokers },
    results,
    gatewayEventsPerSecond: max('gateway')?.rps,
    baselineEventsPerSecond: max('baseline')?.rps,
    ratio,
    gatewayP99AtFixedRateMs: fixed('gateway')?.p99,
    goals: { eventsPerSecond: 5000, p99AtFixedRateMs: 50, ratio: 1.0 },
  };
  const md = [
    `# Gateway benchmark (${summary.date})`,
    '',
    `Machine: ${JSON.stringify(summary.machine)}`,
    '',
    table(results),
    '',
    `gateway/baseline throughput ratio: **${ratio}**`,
  ].join('\n');
  const file = writeResults('gateway', summary, md);
  process.stdout.write(`\n${md}\n\nwritten to ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
  process.exit(1);
});
