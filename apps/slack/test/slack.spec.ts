import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@broker-events/config';
import {
  type AltinnCloudEvent,
  type DeliveryReport,
  TOPICS,
  canonicalEventType,
  toKafkaRecord,
} from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import {
  CoalescingPublisher,
  DeadLetterAdmin,
  createKafka,
  ensureTopics,
  kafkaConfigSchema,
} from '@broker-events/messaging';
import { TopicTail } from '@broker-events/messaging/testing';
import { createLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startSlack } from '../src/app/bootstrap';
import { loadSlackConfig } from '../src/app/config/slack.config';
import { SlackStandIn } from './support/slack-stand-in';
import { until } from '@broker-events/testing';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const run = randomBytes(3).toString('hex');
const dataDir = mkdtempSync(join(tmpdir(), 'slack-spec-'));
const TOKEN = 'xoxb-test-token';
const kafka = createKafka(
  loadConfig('slack-spec', kafkaConfigSchema, { KAFKA_BROKERS: brokers }),
  'slack-spec',
);
const publisher = new CoalescingPublisher(kafka);
const slack = new SlackStandIn(TOKEN);
const apps: NestFastifyApplication[] = [];
let seq = 0;
let reports: TopicTail;

/** The delivery reports of one consumer, as read so far. */
function reportsOf(consumer: string): DeliveryReport[] {
  return reports
    .on(TOPICS.deliveries)
    .map((m) => JSON.parse(m.value?.toString('utf8') ?? 'null') as DeliveryReport)
    .filter((r) => r.consumer === consumer);
}

async function startApp(
  extra: Record<string, string>,
): Promise<{ app: NestFastifyApplication; consumer: string; topic: string }> {
  seq++;
  const consumer = `slack-${run}-${seq}`;
  const topic = `${TOPICS.events}.slack-${run}-${seq}`;
  await ensureTopics(kafka, [{ topic, partitions: 1, replicationFactor: 1 }]);
  const loaded = loadSlackConfig({
    KAFKA_BROKERS: brokers,
    CONSUMER_NAME: consumer,
    CONSUMER_TOPICS: topic,
    CONSUMER_START_FROM: 'earliest', // fresh topics; the apps' default is latest
    KAFKA_TOPIC_PARTITIONS: '1',
    RETRY_IN_PLACE_ATTEMPTS: '3',
    RETRY_INITIAL_BACKOFF_MS: '10',
    RETRY_MAX_BACKOFF_MS: '2000',
    RETRY_TOPIC_DELAYS_MS: '200',
    IDEMPOTENCY_SQLITE_PATH: join(dataDir, 'processed.sqlite'),
    SLACK_MIN_INTERVAL_MS: '50',
    SLACK_LANGUAGE: 'en',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...extra,
  });
  const app = await startSlack(loaded, createLogger('slack', 'silent'), false);
  apps.push(app);
  return { app, consumer, topic };
}

const webhook = () => ({ SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/XXXX` });
const api = () => ({
  SLACK_BOT_TOKEN: TOKEN,
  SLACK_CHANNEL: 'C0123456',
  SLACK_API_BASE_URL: `${slack.url}/api`,
});

async function send(topic: string, ...events: AltinnCloudEvent[]): Promise<void> {
  await publisher.publish(events.map((e) => ({ ...toKafkaRecord(e, canonicalEventType(e.type)), topic })));
}

async function metric(app: NestFastifyApplication, name: string, labels = ''): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

const about = (e: AltinnCloudEvent) =>
  slack.requests.filter((r) => JSON.stringify(r.body).includes(e.resourceinstance ?? '-'));

beforeAll(async () => {
  expect(brokers).not.toBe('');
  await slack.start();
  await publisher.connect();
  reports = await TopicTail.start(brokers, [TOPICS.deliveries]);
});

beforeEach(() => {
  slack.script.length = 0;
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

afterAll(async () => {
  await reports.stop();
  await publisher.close();
  await slack.stop();
});

describe('Slack consumer', () => {
  it('posts one Block Kit message per event to an incoming webhook, and skips what SLACK_FILTER leaves out', async () => {
    const { app, consumer, topic } = await startApp({
      ...webhook(),
      SLACK_FILTER: JSON.stringify({ not: { exact: { type: 'no.altinn.broker.uploadprocessing' } } }),
    });
    const published = sampleEvent();
    const failed = sampleEvent({ type: 'no.altinn.broker.uploadfailed', data: { Role: 'Sender' } });
    const skipped = sampleEvent({ type: 'no.altinn.broker.uploadprocessing', data: { Role: 'Sender' } });
    await send(topic, skipped, published, failed);
    await until('two posts', () => about(published).length + about(failed).length === 2);
    await until(
      'skip counted',
      async () => (await metric(app, 'pipeline_skipped_total', 'reason="filter"')) === 1,
    );
    expect(about(skipped)).toHaveLength(0);
    const [post] = about(published);
    expect(post.path).toBe('/services/T000/B000/XXXX');
    expect(post.body.blocks?.[0]).toMatchObject({
      type: 'header',
      text: { text: ':package: File ready for download' },
    });
    expect(post.body.text).toContain(published.resourceinstance);
    expect(about(failed)[0].body.blocks?.[0]).toMatchObject({ text: { text: ':x: Upload failed' } });
    // reported: the webhook (a secret) is never named; what SLACK_FILTER left out is not reported by default
    await reports.caughtUp();
    expect(reportsOf(consumer).map((r) => [r.eventId, r.outcome, r.detail])).toEqual([
      [published.id, 'delivered', 'posted to Slack'],
      [failed.id, 'delivered', 'posted to Slack'],
    ]);
  });

  it('honours 429 Retry-After and posts the message once', async () => {
    const { app, consumer, topic } = await startApp(webhook());
    const event = sampleEvent();
    slack.script.push({ kind: 'rate-limited', retryAfterSeconds: 1 });
    await send(topic, event);
    await until(
      'delivered',
      async () => (await metric(app, 'pipeline_delivered_total', `consumer="${consumer}"`)) === 1,
    );
    expect(about(event).map((r) => r.status)).toEqual([429, 200]);
    expect(await metric(app, 'pipeline_retried_total', 'stage="in_place"')).toBe(1);
  });

  it('dead-letters what Slack refuses for good (400 invalid_payload, 404 no_service) and carries on', async () => {
    const { consumer, topic } = await startApp(webhook());
    const invalid = sampleEvent();
    const gone = sampleEvent();
    const fine = sampleEvent();
    slack.script.push(
      { kind: 'webhook-error', status: 400, error: 'invalid_payload' },
      { kind: 'webhook-error', status: 404, error: 'no_service' },
    );
    await send(topic, invalid, gone, fine);
    const dlq = new DeadLetterAdmin(kafka, consumer);
    await until('two dead letters', async () => (await dlq.list()).length === 2);
    expect((await dlq.list()).map((d) => [d.failure, d.error])).toEqual([
      ['permanent', 'Slack 400: invalid_payload'],
      ['permanent', 'Slack 404: no_service'],
    ]);
    await until('the next event posted', () => about(fine).some((r) => r.ok === true));
  });

  it('uses chat.postMessage with the bot token and channel; {ok:false} errors are classified', async () => {
    const { app, consumer, topic } = await startApp(api());
    const good = sampleEvent();
    const wrongChannel = sampleEvent();
    slack.script.push({ kind: 'ok' }, { kind: 'api-error', error: 'channel_not_found' });
    await send(topic, good, wrongChannel);
    const dlq = new DeadLetterAdmin(kafka, consumer);
    await until('dead letter', async () => (await dlq.list()).length === 1);
    const [post] = about(good);
    expect(post).toMatchObject({ path: '/api/chat.postMessage', authorization: `Bearer ${TOKEN}`, ok: true });
    expect(post.body.channel).toBe('C0123456');
    expect((await dlq.list())[0].error).toBe('Slack chat.postMessage: channel_not_found');
    expect(await metric(app, 'pipeline_delivered_total', `consumer="${consumer}"`)).toBe(1);
    await reports.caughtUp();
    expect(reportsOf(consumer).map((r) => [r.eventId, r.outcome, r.detail, r.error])).toEqual([
      [good.id, 'delivered', 'posted to channel C0123456', null],
      [wrongChannel.id, 'dead-lettered', null, 'Slack chat.postMessage: channel_not_found'],
    ]);
  });

  it('posts a redelivered event only once', async () => {
    const { app, topic } = await startApp(api());
    const event = sampleEvent();
    await send(topic, event, event);
    await until(
      'duplicate skipped',
      async () => (await metric(app, 'pipeline_skipped_total', 'reason="duplicate"')) === 1,
    );
    expect(about(event).filter((r) => r.ok)).toHaveLength(1);
  });
});

describe('Slack config', () => {
  it('wants exactly one destination and a valid filter', () => {
    expect(() => loadSlackConfig({ KAFKA_BROKERS: 'k:9092' })).toThrow(
      /SLACK_WEBHOOK_URL: is required unless SLACK_BOT_TOKEN and SLACK_CHANNEL are set/,
    );
    expect(() => loadSlackConfig({ KAFKA_BROKERS: 'k:9092', SLACK_BOT_TOKEN: TOKEN })).toThrow(
      /SLACK_CHANNEL: is required with SLACK_BOT_TOKEN/,
    );
    expect(() =>
      loadSlackConfig({
        KAFKA_BROKERS: 'k:9092',
        SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/x',
        SLACK_FILTER: '{"exact":{"colour":"red"}}',
      }),
    ).toThrow(/SLACK_FILTER: Invalid event filter/);
    let message = '';
    try {
      loadSlackConfig({
        KAFKA_BROKERS: 'k:9092',
        SLACK_WEBHOOK_URL: 'not a url https://hooks.slack.com/services/SECRETPART',
      });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/SLACK_WEBHOOK_URL/);
    expect(message).not.toContain('SECRETPART');
  });
});
