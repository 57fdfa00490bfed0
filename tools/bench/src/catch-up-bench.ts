/**
 * `npm run bench:catch-up` (issue #17 item 3): how fast the system catches up after an outage.
 *
 * (a) catch-up: with the consumers stopped, the backlog of an outage (default 1 hour at 200 events/s = 720,000
 *     events, times spread over that hour) is written to an events topic; then the built archive (PostgreSQL)
 *     and email (SQLite idempotency and summary buffer, a real SMTP server in this process, summaries for events
 *     older than 5 minutes) start together and we measure the time until each consumer group's lag is 0: drain
 *     rate = events / time, beside the arrival rate (goal ≥ 5×). Baseline in the same run: a bare kafkajs
 *     consumer (eachBatch, no work) draining the same topic.
 * (b) poller replay: a backlog in the Events API stand-in, replayed by the built poller into Kafka (events/s from
 *     its first record to its last; goal ≥ 5,000/s). Baseline: a bare loop over the same pages with the same
 *     Altinn client (no validation, no cursor) producing with the same publisher.
 *
 * Flags: --events N (catch-up backlog, default 720000), --rate R (arrival rate, default 200), --poller-events N
 * (default 100000), --only catch-up|poller. Env: KAFKA_BROKERS (default: a private full-JIT broker),
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). Results: bench/results/catch-up.{md,json}.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@broker-events/config';
import { TOPICS, canonicalEventType, parseCloudEvent, toKafkaRecord } from '@broker-events/contracts';
import { altinnConfigSchema, createAltinnClient } from '@broker-events/altinn-client';
import { startAltinnStandIns } from '@broker-events/altinn-client/testing';
import {
  CoalescingPublisher,
  createKafka,
  ensureTopics,
  kafkaConfigSchema,
  pipelineGroupId,
} from '@broker-events/messaging';
import { startPrivateKafka } from '@broker-events/soak';
import Database from 'better-sqlite3';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { SMTPServer } from 'smtp-server';
import { REPO_ROOT, RESULTS_DIR, machine, spawnProcess, type Spawned, writeResults } from './support';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const EVENTS = flag('events', 720_000);
const RATE = flag('rate', 200);
/** The event times span this long before now (a shorter --events run still looks like a 1-hour outage). */
const OUTAGE_SECONDS = flag('outage-seconds', 3600);
const POLLER_EVENTS = flag('poller-events', 100_000);
/** CONSUMER_CONCURRENCY / CONSUMER_PARTITIONS_CONCURRENTLY for the email consumer (0: its defaults). */
const EMAIL_CONCURRENCY = flag('email-concurrency', 0);
const PARTITIONS = 6;
const PG_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SUMMARY_AFTER_SECONDS = 300;
const run = randomBytes(3).toString('hex');
const ORG = '312000008';
const RESOURCE = 'urn:altinn:resource:altinn-broker-test-resource-1';
const TYPES = [
  'no.altinn.broker.filetransferinitialized',
  'no.altinn.broker.uploadprocessing',
  'no.altinn.broker.published',
  'no.altinn.broker.downloadconfirmed',
];

function rawEvent(i: number, time: Date, transfer: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type: TYPES[i % TYPES.length],
    time: time.toISOString(),
    resource: RESOURCE,
    resourceinstance: transfer,
    source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    subject: `urn:altinn:organization:identifier-no:${ORG}`,
    data: { Role: 'Recipient' },
  };
}

const seconds = (ms: number): number => Math.round(ms / 100) / 10;

// ---------------------------------------------------------------------------------------------- (a) catch-up

interface DrainResult {
  label: string;
  events: number;
  drainSeconds: number;
  eventsPerSecond: number;
  timesArrivalRate: number;
}

async function fillBacklog(kafka: Kafka, topic: string): Promise<void> {
  await ensureTopics(kafka, [{ topic, partitions: PARTITIONS, replicationFactor: 1 }]);
  const publisher = new CoalescingPublisher(kafka, { maxBatchRecords: 5000 });
  const outageMs = OUTAGE_SECONDS * 1000;
  const start = Date.now() - outageMs;
  let transfer = randomUUID();
  for (let from = 0; from < EVENTS; from += 5000) {
    const records = [];
    for (let i = from; i < Math.min(EVENTS, from + 5000); i++) {
      if (i % 4 === 0) transfer = randomUUID();
      const parsed = parseCloudEvent(rawEvent(i, new Date(start + (i * outageMs) / EVENTS), transfer));
      if (!parsed.ok) throw new Error('bench event is invalid');
      records.push({ ...toKafkaRecord(parsed.event, canonicalEventType(parsed.event.type)), topic });
    }
    await publisher.publish(records);
  }
  await publisher.close();
}

/** Records behind the end of `topic` for a group (a group without offsets counts the whole topic). */
async function lag(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let total = 0;
    for (const p of ends) {
      const c = committed?.partitions.find((x) => x.partition === p.partition);
      const at = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(p.low);
      total += Number(p.high) - at;
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until every group's lag is 0; resolves with the ms from `started` at which each got there. */
async function untilDrained(
  kafka: Kafka,
  topic: string,
  groups: string[],
  started: number,
  procs: Spawned[] = [],
): Promise<Record<string, number>> {
  const done: Record<string, number> = {};
  let lastLog = 0;
  while (Object.keys(done).length < groups.length) {
    for (const p of procs)
      if (p.child.exitCode !== null) throw new Error(`a consumer exited early:\n${p.output()}`);
    const lags: Record<string, number> = {};
    for (const g of groups) {
      if (done[g] !== undefined) continue;
      lags[g] = await lag(kafka, g, topic);
      if (lags[g] === 0) done[g] = Date.now() - started;
    }
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      process.stdout.write(`  ${seconds(Date.now() - started)} s: lag ${JSON.stringify(lags)}\n`);
    }
    if (Date.now() - started > 3_600_000) throw new Error('not drained within an hour');
    await new Promise((r) => setTimeout(r, 250));
  }
  return done;
}

function drain(label: string, ms: number): DrainResult {
  const eventsPerSecond = Math.round((EVENTS * 1000) / ms);
  return {
    label,
    events: EVENTS,
    drainSeconds: seconds(ms),
    eventsPerSecond,
    timesArrivalRate: Math.round((eventsPerSecond / RATE) * 10) / 10,
  };
}

async function bareBaseline(kafka: Kafka, topic: string): Promise<DrainResult> {
  const groupId = `bench-bare-${run}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const started = Date.now();
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch, resolveOffset }) => {
      for (const m of batch.messages) resolveOffset(m.offset);
    },
  });
  const done = await untilDrained(kafka, topic, [groupId], started);
  await consumer.disconnect();
  return drain('baseline: bare kafkajs consumer, eachBatch, no work', done[groupId]);
}

/** Postfix's default `message_size_limit` (10 MB): larger mails are refused with 552, as a real relay does. */
const SMTP_SIZE_LIMIT = 10_240_000;

/**
 * A real SMTP server that counts what it accepts (no parsing), with a real relay's size limit: it advertises
 * SIZE and refuses a larger mail with 552 (an unbounded summary mail failed here).
 */
async function countingSmtp(): Promise<{
  port: number;
  mails: () => number;
  largest: () => number;
  refused: () => number;
  stop(): Promise<void>;
}> {
  let mails = 0;
  let largest = 0;
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: SMTP_SIZE_LIMIT,
    onData: (stream, _session, callback) => {
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('end', () => {
        if ((stream as typeof stream & { sizeExceeded?: boolean }).sizeExceeded) {
          refused++;
          const error = new Error('Message size exceeds fixed maximum message size') as Error & {
            responseCode: number;
          };
          error.responseCode = 552;
          return callback(error);
        }
        mails++;
        largest = Math.max(largest, bytes);
        callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    mails: () => mails,
    largest: () => largest,
    refused: () => refused,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * Waits until the email consumer's summary buffer is empty: every summarised event was in a mail the SMTP server
 * accepted. Resolves with the ms from `started`. Fails on a refused mail (it would be retried for ever).
 */
async function untilSummariesSent(
  path: string,
  smtp: { refused: () => number },
  started: number,
  procs: Spawned[],
): Promise<number> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    for (;;) {
      if (smtp.refused() > 0) throw new Error(`the SMTP server refused ${smtp.refused()} summary mail(s) as too large`);
      for (const p of procs)
        if (p.child.exitCode !== null) throw new Error(`a consumer exited early:\n${p.output()}`);
      const { n } = db.prepare('SELECT count(*) AS n FROM email_summary_pending').get() as { n: number };
      if (n === 0) return Date.now() - started;
      if (Date.now() - started > 3_600_000) throw new Error(`${n} events still waiting for their summary after an hour`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    db.close();
  }
}

async function catchUp(brokers: string, kafka: Kafka): Promise<Record<string, unknown>> {
  const topic = `${TOPICS.events}.catchup-${run}`;
  const schema = `rp_catchup_${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-catchup-'));
  const smtp = await countingSmtp();
  const procs: Spawned[] = [];
  try {
    process.stdout.write(`(a) writing a backlog of ${EVENTS} events (${EVENTS / RATE} s at ${RATE}/s)…\n`);
    const fillStarted = Date.now();
    await fillBacklog(kafka, topic);
    process.stdout.write(`    written in ${seconds(Date.now() - fillStarted)} s\n`);

    process.stdout.write('    baseline…\n');
    const baseline = await bareBaseline(kafka, topic);

    const common = {
      KAFKA_BROKERS: brokers,
      CONSUMER_TOPICS: topic,
      CONSUMER_START_FROM: 'earliest',
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    };
    const node = process.execPath;
    process.stdout.write('    archive + email…\n');
    const started = Date.now();
    procs.push(
      spawnProcess(node, [join(REPO_ROOT, 'dist/apps/archive/main.js')], {
        ...common,
        CONSUMER_NAME: `archive-${run}`,
        ARCHIVE_DATABASE_URL: PG_URL,
        ARCHIVE_DB_SCHEMA: schema,
      }),
      spawnProcess(node, [join(REPO_ROOT, 'dist/apps/email/main.js')], {
        ...common,
        CONSUMER_NAME: `email-${run}`,
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        SMTP_STARTTLS: 'never',
        EMAIL_FROM: 'noreply@broker-events.example',
        EMAIL_ROUTES: JSON.stringify([
          {
            name: 'published',
            types: ['no.altinn.broker.published'],
            to: ['ops@example.no', 'oncall@example.no'],
          },
        ]),
        EMAIL_SUMMARY_AFTER_SECONDS: String(SUMMARY_AFTER_SECONDS),
        ...(EMAIL_CONCURRENCY > 0
          ? {
              CONSUMER_CONCURRENCY: String(EMAIL_CONCURRENCY),
              CONSUMER_PARTITIONS_CONCURRENTLY: String(PARTITIONS),
            }
          : {}),
        EMAIL_SUMMARY_QUIET_SECONDS: '5',
        IDEMPOTENCY_SQLITE_PATH: join(dir, 'processed.sqlite'),
        EMAIL_SUMMARY_SQLITE_PATH: join(dir, 'summaries.sqlite'),
      }),
    );
    const groups = [pipelineGroupId(`archive-${run}`), pipelineGroupId(`email-${run}`)];
    const reports =
      process.env['DELIVERY_REPORTS'] === 'false' ? 'no delivery reports' : 'with delivery reports';
    const done = await untilDrained(kafka, topic, groups, started, procs);
    const summariesSentMs = await untilSummariesSent(join(dir, 'summaries.sqlite'), smtp, started, procs);
    const results = [
      baseline,
      drain(`archive (PostgreSQL, default settings, ${reports})`, done[groups[0]]),
      drain(
        `email (summaries for events > 5 min old, SQLite stores, ${reports}, ${EMAIL_CONCURRENCY > 0 ? `CONSUMER_CONCURRENCY ${EMAIL_CONCURRENCY} × ${PARTITIONS} partitions` : 'default concurrency'})`,
        done[groups[1]],
      ),
    ];
    return {
      topic,
      events: EVENTS,
      arrivalRate: RATE,
      partitions: PARTITIONS,
      mailsAccepted: smtp.mails(),
      largestMailBytes: smtp.largest(),
      mailsRefused: smtp.refused(),
      summariesSentSeconds: Math.round(summariesSentMs / 100) / 10,
      results,
    };
  } finally {
    for (const p of procs) await p.stop();
    await smtp.stop();
    rmSync(dir, { recursive: true, force: true });
    const db = new Client({ connectionString: PG_URL });
    await db.connect().then(
      () => db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => db.end()),
      () => undefined,
    );
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

// ------------------------------------------------------------------------------------------ (b) poller replay

interface ReplayResult {
  label: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  } catch {
    return 0;
  } finally {
    await admin.disconnect();
  }
}

async function pollerReplay(brokers: string, kafka: Kafka): Promise<Record<string, unknown>> {
  const s = await startAltinnStandIns({ organisationNumber: ORG });
  const topics = [`${TOPICS.events}.replay-${run}`, `${TOPICS.events}.replay-bare-${run}`];
  const dir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  let poller: Spawned | undefined;
  try {
    process.stdout.write(`(b) ${POLLER_EVENTS} events in the Events API stand-in…\n`);
    const registered = new Date(Date.now() - 3_600_000);
    let transfer = randomUUID();
    for (let i = 0; i < POLLER_EVENTS; i++) {
      if (i % 4 === 0) transfer = randomUUID();
      s.platform.publishEvent(rawEvent(i, registered, transfer), registered);
    }
    await ensureTopics(
      kafka,
      topics.map((topic) => ({ topic, partitions: PARTITIONS, replicationFactor: 1 })),
    );

    // baseline: the same pages with the same client, straight into the same publisher
    process.stdout.write('    baseline…\n');
    const cfg = loadConfig('bench', altinnConfigSchema, s.env);
    const client = createAltinnClient(cfg, { defaultScopes: ['altinn:events.subscribe'] });
    const publisher = new CoalescingPublisher(kafka);
    await publisher.connect([topics[1]]);
    const bareStarted = Date.now();
    let read = 0;
    for await (const page of client.events.pages({
      resource: RESOURCE,
      after: '0',
      size: 1000,
      subject: `urn:altinn:organization:identifier-no:${ORG}`,
    })) {
      read += page.events.length;
      await publisher.publish(
        page.events.map((e) => ({
          topic: topics[1],
          key: String((e as Record<string, unknown>)['resourceinstance']),
          value: Buffer.from(JSON.stringify(e)),
          headers: {},
        })),
      );
    }
    await publisher.close();
    const bareMs = Date.now() - bareStarted;
    if (read !== POLLER_EVENTS) throw new Error(`baseline read ${read} events`);
    const baseline: ReplayResult = {
      label: 'baseline: bare loop, same Altinn client and publisher, no validation or cursor',
      events: POLLER_EVENTS,
      seconds: seconds(bareMs),
      eventsPerSecond: Math.round((POLLER_EVENTS * 1000) / bareMs),
    };

    process.stdout.write('    poller…\n');
    const started = Date.now();
    poller = spawnProcess(process.execPath, [join(REPO_ROOT, 'dist/apps/poller/main.js')], {
      ...s.env,
      KAFKA_BROKERS: brokers,
      POLL_RESOURCES: 'altinn-broker-test-resource-1',
      POLL_ORGANISATION_NUMBER: ORG,
      POLL_ON_START: 'true',
      POLL_INTERVAL_SECONDS: '3600',
      POLL_INITIAL_CURSOR: 'beginning',
      POLL_MAX_PAGES_PER_RUN: String(Math.ceil(POLLER_EVENTS / 1000) + 5),
      POLLER_SQLITE_PATH: join(dir, 'cursors.sqlite'),
      POLLER_TOPIC: topics[0],
      POLLER_QUARANTINE_TOPIC: `${TOPICS.quarantine}.replay-${run}`,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    let first = 0;
    for (;;) {
      if (poller.child.exitCode !== null) throw new Error(`poller exited:\n${poller.output()}`);
      const n = await topicSize(kafka, topics[0]);
      if (n > 0 && first === 0) first = Date.now();
      if (n >= POLLER_EVENTS) break;
      if (Date.now() - started > 1_200_000) throw new Error(`poller replayed only ${n} in 20 minutes`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const end = Date.now();
    const results: ReplayResult[] = [
      baseline,
      {
        label: 'poller (built app, POLL_PAGE_SIZE 1000), first record to last',
        events: POLLER_EVENTS,
        seconds: seconds(end - first),
        eventsPerSecond: Math.round((POLLER_EVENTS * 1000) / Math.max(1, end - first)),
      },
      {
        label: 'poller, from process start (start-up and token included)',
        events: POLLER_EVENTS,
        seconds: seconds(end - started),
        eventsPerSecond: Math.round((POLLER_EVENTS * 1000) / (end - started)),
      },
    ];
    return { events: POLLER_EVENTS, results };
  } finally {
    await poller?.stop();
    await s.close();
    rmSync(dir, { recursive: true, force: true });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}

// ------------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  let brokers = process.env['KAFKA_BROKERS'];
  const privateKafka = brokers
    ? undefined
    : await startPrivateKafka(['-XX:TieredStopAtLevel=4', '-Xms1g', '-Xmx1g']);
  brokers ??= privateKafka?.brokers ?? '';
  const kafka = createKafka(
    loadConfig('bench', kafkaConfigSchema, { KAFKA_BROKERS: brokers }),
    'bench-catch-up',
  );
  try {
    // With --only, the other part's last results are kept in the file.
    const previous = existsSync(join(RESULTS_DIR, 'catch-up.json'))
      ? (JSON.parse(readFileSync(join(RESULTS_DIR, 'catch-up.json'), 'utf8')) as Record<string, unknown>)
      : {};
    const catchUpResult =
      only === 'poller'
        ? (previous['catchUp'] as Record<string, unknown> | undefined)
        : await catchUp(brokers, kafka);
    const replayResult =
      only === 'catch-up'
        ? (previous['pollerReplay'] as Record<string, unknown> | undefined)
        : await pollerReplay(brokers, kafka);
    const data = {
      when: new Date().toISOString(),
      machine: machine(),
      catchUp: catchUpResult,
      pollerReplay: replayResult,
    };
    const lines = [
      '# Catch-up after an outage',
      '',
      `Written by \`npm run bench:catch-up -- ${args.join(' ')}\` at ${data.when} (with \`--only\`, the other part is from an earlier run: see catch-up.json). Load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} cores.  `,
      `Machine: ${JSON.stringify(machine())}`,
      '',
    ];
    if (catchUpResult) {
      const rows = catchUpResult['results'] as DrainResult[];
      lines.push(
        `## (a) Draining the backlog of an outage: ${String(catchUpResult['events'])} events (${Number(catchUpResult['events']) / RATE} s at ${RATE}/s; event times spread over the last ${String(catchUpResult['outageSeconds'] ?? OUTAGE_SECONDS)} s), ${PARTITIONS} partitions`,
        '',
        `Consumers stopped while the backlog was written; then started together. Drain time = start until the group's lag is 0. Goal: ≥ 5× the arrival rate (${RATE}/s). Email summarised events older than ${SUMMARY_AFTER_SECONDS} s; SMTP (refusing mails over ${SMTP_SIZE_LIMIT} bytes, as Postfix's default does) accepted ${String(catchUpResult['mailsAccepted'])} mails, the largest ${String(catchUpResult['largestMailBytes'])} bytes; the last summary was accepted ${String(catchUpResult['summariesSentSeconds'])} s after the consumers started.`,
        '',
        '| consumer | drain s | events/s | × arrival rate |',
        '| --- | ---: | ---: | ---: |',
        ...rows.map(
          (r) => `| ${r.label} | ${r.drainSeconds} | ${r.eventsPerSecond} | ${r.timesArrivalRate} |`,
        ),
        '',
      );
    }
    if (replayResult) {
      const rows = replayResult['results'] as ReplayResult[];
      lines.push(
        `## (b) Poller replay: ${String(replayResult['events'])} events from the Events API stand-in into Kafka`,
        '',
        'Goal: ≥ 5,000 events/s.',
        '',
        '| run | s | events/s |',
        '| --- | ---: | ---: |',
        ...rows.map((r) => `| ${r.label} | ${r.seconds} | ${r.eventsPerSecond} |`),
        '',
      );
    }
    const file = writeResults('catch-up', data, lines.join('\n'));
    process.stdout.write(`\n${lines.join('\n')}\nresults: ${file}\n`);
  } finally {
    await privateKafka?.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:catch-up failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
