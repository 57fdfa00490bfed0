/**
 * `npm run bench:archive`: archive consumer throughput against a baseline measured in the same run, on the same
 * broker, topic and PostgreSQL:
 *
 * - baseline: a bare kafkajs consumer (eachMessage, auto-commit) doing one plain single-row
 *   `INSERT … ON CONFLICT (source, id) DO NOTHING` per message into the same table shape;
 * - archive (PostgreSQL): the built app (dist/apps/archive/main.js) as a process, default settings;
 * - archive (SQLite): the same app with its embedded default store.
 *
 * Throughput is measured from the first row written to the last (startup and group join excluded for all three),
 * and also reported end to end from start, and how long after the last row the summaries (search, attention)
 * caught up. Results go to bench/results/archive.{json,md}.
 *
 * Env: KAFKA_BROKERS (default: start a private local broker), BENCH_EVENTS (default 30000),
 * BENCH_PARTITIONS (default 6), BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
 * BENCH_ARCHIVE_NODE_ARGS (extra node flags for the archive process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type AltinnCloudEvent,
  TOPICS,
  canonicalEventType,
  deadLetterTopic,
  eventRole,
  fromKafkaRecord,
  parseCloudEvent,
  retryTopic,
  toKafkaRecord,
} from '@broker-events/contracts';
import { startKafka, stopKafka } from '@broker-events/kafka-local';
import { CoalescingPublisher, createKafka, ensureTopics, kafkaConfigSchema } from '@broker-events/messaging';
import { loadConfig } from '@broker-events/config';
import Database from 'better-sqlite3';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

const REPO_ROOT = resolve(__dirname, '../../..');
const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 30_000);
const PARTITIONS = Number(process.env['BENCH_PARTITIONS'] ?? 6);
const PG_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomBytes(3).toString('hex');
const topic = `${TOPICS.events}.bench-${run}`;

interface Result {
  label: string;
  events: number;
  /** events / s from the first row written to the last */
  steadyEventsPerSecond: number;
  /** events / s from process start (or consumer start) to the last row */
  endToEndEventsPerSecond: number;
  firstRowAfterMs: number;
  totalMs: number;
  /** After the last event row, until no transfer waited for its summary (archive runs only). */
  summariesCaughtUpAfterMs?: number;
}

function event(transfer: string, i: number): AltinnCloudEvent {
  const types = [
    'no.altinn.broker.filetransferinitialized',
    'no.altinn.broker.uploadprocessing',
    'no.altinn.broker.published',
    'no.altinn.broker.downloadconfirmed',
  ];
  const parsed = parseCloudEvent({
    specversion: '1.0',
    id: randomUUID(),
    type: types[i % types.length],
    time: new Date(Date.UTC(2026, 10, 20, 9, 0, 0, i)).toISOString(),
    resource: 'urn:altinn:resource:altinn-broker-test-resource-1',
    resourceinstance: transfer,
    source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    subject: 'urn:altinn:organization:identifier-no:312000008',
    data: { Role: i % 3 === 0 ? 'Sender' : 'Recipient' },
  });
  if (!parsed.ok) throw new Error('bench event is invalid');
  return parsed.event;
}

async function fill(kafka: ReturnType<typeof createKafka>): Promise<void> {
  await ensureTopics(kafka, [{ topic, partitions: PARTITIONS, replicationFactor: 1 }]);
  const publisher = new CoalescingPublisher(kafka, { maxBatchRecords: 2000 });
  let transfer = randomUUID();
  for (let start = 0; start < EVENTS; start += 2000) {
    const batch = [];
    for (let i = start; i < Math.min(EVENTS, start + 2000); i++) {
      if (i % 4 === 0) transfer = randomUUID();
      const e = event(transfer, i);
      batch.push({ ...toKafkaRecord(e, canonicalEventType(e.type)), topic });
    }
    await publisher.publish(batch);
  }
  await publisher.close();
}

const BASELINE_DDL = (schema: string) => `
  CREATE SCHEMA "${schema}";
  CREATE TABLE "${schema}".archived_events (
    source text NOT NULL, id text NOT NULL, specversion text NOT NULL, type text NOT NULL, original_type text,
    time timestamptz, subject text, datacontenttype text, dataschema text, resource text, resourceinstance text,
    alternativesubject text, role text, event jsonb NOT NULL, kafka_topic text NOT NULL, kafka_partition integer NOT NULL,
    kafka_offset bigint NOT NULL, received_at timestamptz NOT NULL, PRIMARY KEY (source, id));`;

/** The baseline: what one would write first with kafkajs and pg, no batching. */
async function baseline(brokers: string, schema: string): Promise<Result> {
  const db = new Client({ connectionString: PG_URL });
  await db.connect();
  await db.query(BASELINE_DDL(schema));
  const kafka = new Kafka({
    clientId: 'bench-baseline',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `bench-baseline-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const started = Date.now();
  let first = 0;
  let done = 0;
  const finished = new Promise<void>((resolveDone, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const parsed = fromKafkaRecord({
            key: message.key,
            value: message.value,
            headers: message.headers,
          });
          if (!parsed.ok) throw new Error('invalid record');
          const e = parsed.event;
          await db.query(
            `INSERT INTO "${schema}".archived_events VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) ON CONFLICT (source, id) DO NOTHING`,
            [
              e.source,
              e.id,
              e.specversion,
              parsed.canonicalType,
              null,
              e.time ?? null,
              e.subject ?? null,
              e.datacontenttype ?? null,
              e.dataschema ?? null,
              e.resource ?? null,
              e.resourceinstance ?? null,
              e.alternativesubject ?? null,
              eventRole(e) ?? null,
              JSON.stringify(e),
              topic,
              partition,
              message.offset,
              new Date(),
            ],
          );
          if (first === 0) first = Date.now();
          if (++done === EVENTS) resolveDone();
        },
      })
      .catch(reject);
  });
  await finished;
  const end = Date.now();
  await consumer.disconnect();
  await db.end();
  return result('baseline: bare kafkajs eachMessage + single-row INSERT (PostgreSQL)', started, first, end);
}

function result(label: string, started: number, first: number, end: number): Result {
  const steadyMs = Math.max(1, end - first);
  return {
    label,
    events: EVENTS,
    steadyEventsPerSecond: Math.round(((EVENTS - 1) * 1000) / steadyMs),
    endToEndEventsPerSecond: Math.round((EVENTS * 1000) / Math.max(1, end - started)),
    firstRowAfterMs: first - started,
    totalMs: end - started,
  };
}

/**
 * The archive also reads the shared delivery-report topic (consumer group `<CONSUMER_NAME>-deliveries`, from the
 * beginning). Start that group at the topic's current end, so each run reads the reports of its own events (as in
 * production) and not every report earlier runs and tests left on the broker.
 */
async function deliveriesGroupAtEnd(kafka: Kafka, consumerName: string): Promise<void> {
  await ensureTopics(kafka, [{ topic: TOPICS.deliveries, partitions: PARTITIONS, replicationFactor: 1 }]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(TOPICS.deliveries);
    await admin.setOffsets({
      groupId: `${consumerName}-deliveries`,
      topic: TOPICS.deliveries,
      partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })),
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Runs the built archive app until `count()` reaches EVENTS, then until `dirty()` (transfers whose summary the
 * summarizer has not written yet) is 0: the read model's lag behind the last event row.
 */
async function archive(
  label: string,
  brokers: string,
  env: Record<string, string>,
  count: () => Promise<number>,
  dirty: () => Promise<number>,
): Promise<Result> {
  const main = join(REPO_ROOT, 'dist/apps/archive/main.js');
  const started = Date.now();
  const nodeArgs = (process.env['BENCH_ARCHIVE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers,
      CONSUMER_TOPICS: topic,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-10_000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-10_000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let first = 0;
  let end = 0;
  let summariesAfterMs = 0;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`archive exited early:\n${output}`);
      const n = await count().catch(() => 0);
      if (n > 0 && first === 0) first = Date.now();
      if (n >= EVENTS) break;
      if (Date.now() - started > 600_000)
        throw new Error(`archive did not finish in 10 minutes (${n} rows)\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    end = Date.now();
    while ((await dirty().catch(() => 1)) > 0) {
      if (child.exitCode !== null) throw new Error(`archive exited early:\n${output}`);
      if (Date.now() - end > 600_000) throw new Error(`summaries not caught up in 10 minutes\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    summariesAfterMs = Date.now() - end;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return { ...result(label, started, first, end), summariesCaughtUpAfterMs: summariesAfterMs };
}

async function main(): Promise<void> {
  if (!existsSync(join(REPO_ROOT, 'dist/apps/archive/main.js')))
    throw new Error('run "npx nx build archive" first (npm run bench:archive does)');
  let brokers = process.env['KAFKA_BROKERS'];
  let dataDir: string | undefined;
  const kafkaPort = 19492;
  if (!brokers) {
    dataDir = mkdtempSync(join(tmpdir(), 'bench-kafka-'));
    process.stdout.write('starting a private Kafka broker…\n');
    brokers = (await startKafka({ port: kafkaPort, controllerPort: kafkaPort + 1, dataDir })).brokers;
  }
  const kafka = createKafka(
    loadConfig('bench', kafkaConfigSchema, { KAFKA_BROKERS: brokers }),
    'bench-archive',
  );
  const sqliteDir = mkdtempSync(join(tmpdir(), 'bench-archive-'));
  const schemas = [`bench_baseline_${run}`, `bench_archive_${run}`];
  const admin = new Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    process.stdout.write(`filling ${topic} with ${EVENTS} events on ${PARTITIONS} partitions…\n`);
    await fill(kafka);

    const results: Result[] = [];
    process.stdout.write('baseline…\n');
    results.push(await baseline(brokers, schemas[0]));

    process.stdout.write('archive (PostgreSQL)…\n');
    await deliveriesGroupAtEnd(kafka, `bench-pg-${run}`);
    const pgCount = async () =>
      Number(
        (await admin.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schemas[1]}".archived_events`))
          .rows[0].n,
      );
    results.push(
      await archive(
        'archive consumer (PostgreSQL, default settings)',
        brokers,
        { CONSUMER_NAME: `bench-pg-${run}`, ARCHIVE_DATABASE_URL: PG_URL, ARCHIVE_DB_SCHEMA: schemas[1] },
        pgCount,
        async () =>
          Number(
            (
              await admin.query<{ n: string }>(
                `SELECT count(*)::text AS n FROM "${schemas[1]}".transfers_dirty`,
              )
            ).rows[0].n,
          ),
      ),
    );

    process.stdout.write('archive (SQLite)…\n');
    await deliveriesGroupAtEnd(kafka, `bench-sqlite-${run}`);
    const file = join(sqliteDir, 'archive.sqlite');
    const sqliteCount = (table: string) => async () => {
      if (!existsSync(file)) return 0;
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      } catch {
        return 0;
      } finally {
        db.close();
      }
    };
    results.push(
      await archive(
        'archive consumer (embedded SQLite, default settings)',
        brokers,
        { CONSUMER_NAME: `bench-sqlite-${run}`, ARCHIVE_SQLITE_PATH: file },
        sqliteCount('archived_events'),
        sqliteCount('transfers_dirty'),
      ),
    );

    const base = results[0].steadyEventsPerSecond;
    const load = loadavg().map((x) => x.toFixed(2));
    const md = [
      `# Archive consumer benchmark`,
      '',
      `${EVENTS} events on ${PARTITIONS} partitions (4 events per file transfer), one broker, PostgreSQL at 127.0.0.1, ${cpus().length} CPUs. Steady = first row to last row; end to end includes process start and group join. Load average at the end (1, 5, 15 min): ${load.join(', ')} (a shared machine: compare the ratios). Summaries caught up = from the last event row until the summarizer had no dirty transfer left (search and attention current). Each archive run also publishes and reads back its own delivery reports (its reports group starts at the end of the shared topic).`,
      '',
      '| run | steady events/s | × baseline | end-to-end events/s | first row after ms | total ms | summaries caught up after ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.map(
        (r) =>
          `| ${r.label} | ${r.steadyEventsPerSecond} | ${(r.steadyEventsPerSecond / base).toFixed(1)} | ${r.endToEndEventsPerSecond} | ${r.firstRowAfterMs} | ${r.totalMs} | ${r.summariesCaughtUpAfterMs ?? '—'} |`,
      ),
    ].join('\n');
    mkdirSync(RESULTS_DIR, { recursive: true });
    const out = join(RESULTS_DIR, 'archive.json');
    writeFileSync(
      out,
      JSON.stringify(
        {
          when: new Date().toISOString(),
          events: EVENTS,
          partitions: PARTITIONS,
          loadAverage: loadavg(),
          machine: {
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model,
            memoryGiB: Math.round(totalmem() / 2 ** 30),
            node: process.version,
          },
          results,
        },
        null,
        2,
      ) + '\n',
    );
    writeFileSync(join(RESULTS_DIR, 'archive.md'), md + '\n');
    process.stdout.write(`\n${md}\n\nresults: ${out}\n`);
  } finally {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await admin.end();
    rmSync(sqliteDir, { recursive: true, force: true });
    const adminK = kafka.admin();
    await adminK.connect().catch(() => undefined);
    const consumers = [`bench-pg-${run}`, `bench-sqlite-${run}`];
    await adminK
      .deleteTopics({ topics: [topic, ...consumers.flatMap((c) => [retryTopic(c), deadLetterTopic(c)])] })
      .catch(() => undefined);
    await adminK.disconnect().catch(() => undefined);
    if (dataDir) {
      await stopKafka({ port: kafkaPort, controllerPort: kafkaPort + 1, dataDir });
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:archive failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
