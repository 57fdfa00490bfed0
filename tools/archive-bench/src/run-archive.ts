/** Runs the built archive app (dist/apps/archive/main.js) against a PostgreSQL schema, for the read benchmarks. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TOPICS } from '@broker-events/contracts';
import { startKafka, stopKafka } from '@broker-events/kafka-local';

export const REPO_ROOT = resolve(__dirname, '../../..');

export interface RunningArchive {
  url: string;
  /** Its events topic (CONSUMER_TOPICS). */
  topic: string;
  /** The last 200 kB of its stdout and stderr (JSON log lines). */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** KAFKA_BROKERS, else a private local broker on `port` (stopped by the returned function). */
export async function kafkaForBench(port: number): Promise<{ brokers: string; stop(): Promise<void> }> {
  const given = process.env['KAFKA_BROKERS'];
  if (given) return { brokers: given, stop: async () => undefined };
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-kafka-'));
  process.stdout.write('starting a private Kafka broker…\n');
  const { brokers } = await startKafka({ port, controllerPort: port + 1, dataDir });
  return {
    brokers,
    stop: async () => {
      await stopKafka({ port, controllerPort: port + 1, dataDir });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the archive (which applies its migrations) and waits until it answers /health/ready. */
export async function runArchive(
  brokers: string,
  databaseUrl: string,
  schema: string,
  extraEnv: Record<string, string> = {},
): Promise<RunningArchive> {
  const main = join(REPO_ROOT, 'dist/apps/archive/main.js');
  if (!existsSync(main)) throw new Error('run "npx nx build archive" first (the npm scripts do)');
  const port = await freePort();
  const name = (extraEnv['CONSUMER_NAME'] ?? `archive-${schema.replace(/_/g, '-').toLowerCase()}`).slice(
    0,
    49,
  );
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers,
      CONSUMER_NAME: name,
      CONSUMER_TOPICS: `${TOPICS.events}.${name}`,
      ARCHIVE_DELIVERIES_TOPIC: `${TOPICS.deliveries}.${name}`,
      KAFKA_TOPIC_PARTITIONS: '1',
      ARCHIVE_DATABASE_URL: databaseUrl,
      ARCHIVE_DB_SCHEMA: schema,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`archive exited early:\n${output}`);
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() - started > 300_000) {
      child.kill('SIGTERM');
      throw new Error(`archive not ready after 5 minutes:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    topic: `${TOPICS.events}.${name}`,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
