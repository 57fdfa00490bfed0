import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AltinnCloudEvent,
  type DeliveryReport,
  HEADERS,
  TOPICS,
  type TransferPage,
  type TransferTimeline,
  deadLetterTopic,
  canonicalEventType,
  parseCloudEvent,
  toKafkaRecord,
} from '@broker-events/contracts';
import { loadSamples, sampleEvent } from '@broker-events/contracts/testing';
import { CoalescingPublisher, createKafka, ensureTopics, readTopic } from '@broker-events/messaging';
import { TopicTail } from '@broker-events/messaging/testing';
import { createLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { startArchive } from '../src/app/bootstrap';
import { loadArchiveConfig } from '../src/app/config/archive.config';
import type { ArchivedEvent } from '../src/app/store/archive-store';
import { until, dropPostgresSchema } from '@broker-events/testing';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomBytes(3).toString('hex');
const schema = `archive_e2e_${run}`;
const topic = `${TOPICS.events}.archive-${run}`;
const deliveriesTopic = `${TOPICS.deliveries}.archive-${run}`;
const kafkaCfg = loadArchiveConfig({ KAFKA_BROKERS: brokers });
const kafka = createKafka(kafkaCfg, 'archive-spec');
const publisher = new CoalescingPublisher(kafka);
const apps: NestFastifyApplication[] = [];

function env(extra: Record<string, string>): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    CONSUMER_TOPICS: topic,
    ARCHIVE_DELIVERIES_TOPIC: deliveriesTopic,
    KAFKA_TOPIC_PARTITIONS: '1',
    RETRY_TOPIC_DELAYS_MS: '200',
    RETRY_INITIAL_BACKOFF_MS: '10',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

async function start(extra: Record<string, string>): Promise<NestFastifyApplication> {
  const config = loadArchiveConfig(env(extra));
  const app = await startArchive(config, createLogger('archive', 'silent'), false);
  apps.push(app);
  return app;
}

async function get<T>(
  app: NestFastifyApplication,
  url: string,
): Promise<{ status: number; body: T; contentType: string }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as T, contentType: String(res.headers['content-type']) };
}

async function send(events: AltinnCloudEvent[]): Promise<void> {
  await publisher.publish(events.map((e) => ({ ...toKafkaRecord(e, canonicalEventType(e.type)), topic })));
}

async function rows(): Promise<number> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return Number(
      (await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schema}".archived_events`))
        .rows[0].n,
    );
  } finally {
    await client.end();
  }
}

/** Every sample Broker event (current and legacy), each made unique, plus an unknown future Broker type. */
const events: AltinnCloudEvent[] = [
  ...loadSamples()
    .filter((s) => s.expected.kind !== 'handshake')
    .map((s) =>
      sampleEvent({ ...(s.body as Record<string, unknown>), id: `${(s.body as { id: string }).id}-${run}` }),
    ),
  sampleEvent({ type: 'no.altinn.broker.somethingnew' }),
];

beforeAll(async () => {
  expect(brokers).not.toBe('');
  await ensureTopics(kafka, [{ topic, partitions: 2, replicationFactor: 1 }]);
  await publisher.connect();
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

afterAll(async () => {
  await publisher.close();
  await dropPostgresSchema(PG_URL, schema);
});

describe('archive consumer (PostgreSQL)', () => {
  it('archives every event of every type once, with its Kafka coordinates, and serves it by id, file transfer and time', async () => {
    const app = await start({
      CONSUMER_NAME: `archive-${run}`,
      ARCHIVE_DATABASE_URL: PG_URL,
      ARCHIVE_DB_SCHEMA: schema,
    });
    expect((await get<{ status: string }>(app, '/health/ready')).status).toBe(200);
    await send([...events, events[0]]);
    await until('all archived', async () => (await rows()) === events.length);

    const found = events.find(
      (e) => e.type === 'no.altinn.broker.published' && e.subject?.endsWith('312000008'),
    );
    if (!found?.time) throw new Error('the samples have no published event for the recipient');
    const published = found;
    const time = Date.parse(found.time);
    const byId = await get<{ events: ArchivedEvent[] }>(
      app,
      `/archive/events/${encodeURIComponent(published.id)}`,
    );
    expect(byId.status).toBe(200);
    expect(byId.body.events).toHaveLength(1);
    const [archived] = byId.body.events;
    expect(archived).toMatchObject({
      id: published.id,
      type: 'no.altinn.broker.published',
      role: 'Recipient',
      resourceinstance: published.resourceinstance,
    });
    expect(archived.kafka.topic).toBe(topic);
    expect(parseCloudEvent(archived.event)).toMatchObject({
      ok: true,
      event: JSON.parse(JSON.stringify(published)),
    });
    expect(Number.isNaN(Date.parse(archived.receivedAt))).toBe(false);

    const transfer = await get<{ events: ArchivedEvent[] }>(
      app,
      `/archive/file-transfers/${published.resourceinstance}/events`,
    );
    expect(transfer.body.events.map((e) => e.id)).toContain(published.id);

    const from = new Date(time - 1).toISOString();
    const to = new Date(time + 1).toISOString();
    const range = await get<{ events: ArchivedEvent[] }>(
      app,
      `/archive/events?from=${from}&to=${to}&limit=1000`,
    );
    expect(range.body.events.map((e) => e.id)).toContain(published.id);

    expect((await get(app, '/archive/events/does-not-exist')).status).toBe(404);
    expect((await get(app, '/archive/events?from=yesterday&to=today')).status).toBe(400);
    expect((await get(app, `/archive/events?from=${to}&to=${from}`)).status).toBe(400);

    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(
      new RegExp(`pipeline_delivered_total\\{consumer="archive-${run}"[^}]*\\} ${events.length + 1}`),
    );
  });

  it('a redelivery (a new consumer group re-reading the topic) adds no rows', async () => {
    const before = await rows();
    expect(before).toBeGreaterThan(0);
    const app = await start({
      CONSUMER_NAME: `archive-${run}-again`,
      ARCHIVE_DATABASE_URL: PG_URL,
      ARCHIVE_DB_SCHEMA: schema,
    });
    const reports = await TopicTail.start(brokers, [TOPICS.deliveries]);
    const fresh = sampleEvent();
    await send([fresh]);
    await until(
      'the fresh event archived',
      async () => (await get(app, `/archive/events/${fresh.id}`)).status === 200,
    );
    expect(await rows()).toBe(before + 1);
    // its delivery report says it was archived now (redelivered ones: "already archived" when a whole
    // batch was, else "archived": either way the event is in the archive)
    await reports.caughtUp();
    await reports.stop();
    const mine = reports
      .on(TOPICS.deliveries)
      .map((m) => JSON.parse(m.value?.toString('utf8') ?? 'null') as DeliveryReport)
      .filter((r) => r.consumer === `archive-${run}-again`);
    expect(mine.filter((r) => r.eventId === fresh.id).map((r) => [r.outcome, r.detail])).toEqual([
      ['delivered', 'archived'],
    ]);
    for (const r of mine) expect(['archived', 'already archived']).toContain(r.detail);
  });
});

describe('archive read API (PostgreSQL)', () => {
  it('stores delivery reports, dead-letters bad ones, and serves transfers, timelines, attention and deliveries', async () => {
    const consumer = `archive-${run}-rm`;
    const app = await start({
      CONSUMER_NAME: consumer,
      ARCHIVE_DATABASE_URL: PG_URL,
      ARCHIVE_DB_SCHEMA: schema,
    });
    const published = events.find(
      (e) => e.type === 'no.altinn.broker.published' && e.subject?.endsWith('312000008'),
    ) as AltinnCloudEvent;
    const transferId = published.resourceinstance as string;
    // The summary is written by the summarizer after ingest (eventually consistent): wait until it counts every
    // sample event of the transfer.
    const ofTransfer = events.filter((e) => e.resourceinstance === transferId).length;
    await until('the sample events archived and summarised', async () => {
      const t = await get<TransferTimeline>(app, `/archive/transfers/${transferId}`);
      return (
        t.status === 200 &&
        t.body.events.some((e) => e.id === published.id) &&
        t.body.transfer.eventCount === ofTransfer
      );
    });

    const report: DeliveryReport = {
      consumer: `email-${run}`,
      eventSource: published.source,
      eventId: published.id,
      eventType: published.type,
      fileTransferId: transferId,
      outcome: 'delivered',
      detail: 'emailed to ops@example.no',
      error: null,
      attempt: 1,
      deadLetter: null,
      at: new Date().toISOString(),
    };
    const record = (value: string) => ({
      topic: deliveriesTopic,
      key: transferId,
      value: Buffer.from(value),
      headers: {},
    });
    await publisher.publish([
      record(JSON.stringify(report)),
      record('not json'),
      record(JSON.stringify({ ...report, outcome: 'lost' })),
      record(JSON.stringify(report)), // a redelivered report changes nothing
    ]);
    await until(
      'the report stored',
      async () =>
        (await get<DeliveryReport[]>(app, `/archive/deliveries?consumer=email-${run}`)).body.length === 1,
    );
    expect(
      (await get<DeliveryReport[]>(app, `/archive/deliveries?consumer=email-${run}&outcome=delivered`)).body,
    ).toEqual([report]);

    const timeline = await get<TransferTimeline>(app, `/archive/transfers/${transferId}`);
    expect(timeline.body.transfer).toMatchObject({
      fileTransferId: transferId,
      resource: 'urn:altinn:resource:altinn-broker-test-resource-1',
      organisations: expect.arrayContaining(['311000004', '312000008']),
    });
    expect(timeline.body.events.find((e) => e.id === published.id)?.deliveries).toEqual([report]);
    expect(
      timeline.body.events.filter((e) => e.id !== published.id).every((e) => e.deliveries.length === 0),
    ).toBe(true);

    const search = await get<TransferPage>(
      app,
      `/archive/transfers?org=312000008&resource=altinn-broker-test-resource-1&limit=200`,
    );
    expect(search.status).toBe(200);
    expect(search.body.items.map((t) => t.fileTransferId)).toContain(transferId);
    const attention = await get<Record<string, unknown[]>>(
      app,
      '/archive/attention?unconfirmedAfter=0&quietAfter=0',
    );
    expect(Object.keys(attention.body).sort()).toEqual([
      'deadLettered',
      'quietResources',
      'unconfirmed',
      'uploadFailed',
    ]);

    // The two bad records are parked on the archive's dead-letter topic, marked invalid.
    let parked: Awaited<ReturnType<typeof readTopic>> = [];
    await until('bad reports dead-lettered', async () => {
      parked = await readTopic(kafka, deadLetterTopic(consumer), { timeoutMs: 2000 }).catch(() => []);
      return parked.length === 2;
    });
    expect(parked.map((r) => r.headers[HEADERS.deliveryFailure])).toEqual(['invalid', 'invalid']);
    expect(parked.map((r) => r.value.toString())).toContain('not json');

    const bad = await get<{ violations: { path: string }[] }>(
      app,
      '/archive/transfers?org=12&limit=500&after=zzz&from=yesterday&bogus=1',
    );
    expect(bad.status).toBe(400);
    expect(bad.contentType).toMatch(/^application\/problem\+json/);
    expect(bad.body.violations.map((v) => v.path).sort()).toEqual(['after', 'bogus', 'from', 'limit', 'org']);
    const badAttention = await get<{ violations: { path: string }[] }>(
      app,
      '/archive/attention?unconfirmedAfter=-1&quietAfter=x',
    );
    expect(badAttention.body.violations.map((v) => v.path).sort()).toEqual([
      'quietAfter',
      'unconfirmedAfter',
    ]);
    const badDeliveries = await get<{ violations: { path: string }[] }>(
      app,
      '/archive/deliveries?consumer=Email&outcome=lost',
    );
    expect(badDeliveries.body.violations.map((v) => v.path).sort()).toEqual(['consumer', 'outcome']);
    const unknown = await get<{ status: number }>(app, '/archive/transfers/no-such-transfer');
    expect([unknown.status, unknown.contentType.split(';')[0], unknown.body.status]).toEqual([
      404,
      'application/problem+json',
      404,
    ]);
  });
});

describe('archive consumer (embedded SQLite default)', () => {
  it('archives into the SQLite file when no database is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archive-'));
    const app = await start({
      CONSUMER_NAME: `archive-${run}-sqlite`,
      ARCHIVE_SQLITE_PATH: join(dir, 'archive.sqlite'),
    });
    const last = events[events.length - 1];
    await until(
      'archived',
      async () => (await get(app, `/archive/events/${encodeURIComponent(last.id)}`)).status === 200,
    );
    const body = (
      await get<{ events: ArchivedEvent[] }>(app, `/archive/events/${encodeURIComponent(last.id)}`)
    ).body;
    expect(body.events[0]).toMatchObject({ id: last.id, type: 'no.altinn.broker.somethingnew' });
    expect((await get<{ checks: Record<string, boolean> }>(app, '/health/ready')).body.checks).toEqual({
      'kafka-consumer': true,
      database: true,
      'deliveries-consumer': true,
    });
  });
});
