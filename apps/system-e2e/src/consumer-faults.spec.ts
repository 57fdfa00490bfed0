import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AltinnCloudEvent, TOPICS, canonicalEventType, toKafkaRecord } from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import { CoalescingPublisher, ensureTopics, groupPositions } from '@broker-events/messaging';
import {
  type AppProcess,
  type PrivateKafka,
  archivedRowsById,
  countBy,
  dropSchema,
  isSettled,
  kafkaFor,
  settlement,
  sleep,
  startApp,
  startPrivateKafka,
  until,
} from '@broker-events/soak';
import { MailSink, SlackStandIn } from './support/stand-ins';

/**
 * Consumers under failure, each on its own topic and consumer group of one private broker: a process
 * killed with SIGKILL in the middle of a batch, SMTP unreachable for a while, Slack answering 429 for a
 * while. Each ends with every event delivered exactly once and nothing left on the source or retry topic.
 */
const PG = process.env['SYSTEM_E2E_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomBytes(3).toString('hex');
const tmp = mkdtempSync(join(tmpdir(), 'consumer-faults-'));
let kafka: PrivateKafka;
let admin: ReturnType<typeof kafkaFor>;
let publisher: CoalescingPublisher;
const processes: AppProcess[] = [];
const schemas: string[] = [];

beforeAll(async () => {
  kafka = await startPrivateKafka();
  admin = kafkaFor(kafka.brokers, 'consumer-faults');
  publisher = new CoalescingPublisher(admin);
  await publisher.connect();
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await publisher?.close();
  await kafka?.destroy();
  for (const s of schemas) await dropSchema(PG, s);
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

async function topicFor(name: string, partitions: number): Promise<string> {
  const topic = `${TOPICS.events}.${name}`;
  await ensureTopics(admin, [{ topic, partitions, replicationFactor: 1 }]);
  return topic;
}

async function publish(topic: string, events: AltinnCloudEvent[]): Promise<void> {
  await publisher.publish(events.map((e) => ({ ...toKafkaRecord(e, canonicalEventType(e.type)), topic })));
}

async function start(app: 'archive' | 'email' | 'slack', env: Record<string, string>): Promise<AppProcess> {
  const p = await startApp(app, {
    KAFKA_BROKERS: kafka.brokers,
    CONSUMER_START_FROM: 'earliest',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    RETRY_IN_PLACE_ATTEMPTS: '2',
    RETRY_INITIAL_BACKOFF_MS: '100',
    RETRY_TOPIC_DELAYS_MS: '1000,2000,3000,5000,5000,5000',
    SHUTDOWN_GRACE_MS: '5000',
    LOG_LEVEL: 'warn',
    ...env,
  });
  processes.push(p);
  return p;
}

async function settled(consumer: string, topic: string, timeoutMs = 60_000): Promise<void> {
  await until(
    'lag 0 on the source and retry topics',
    async () => isSettled(await settlement(admin, consumer, topic)),
    timeoutMs,
    250,
  );
}

function emailEnv(consumer: string, topic: string, smtpPort: number): Record<string, string> {
  return {
    CONSUMER_NAME: consumer,
    CONSUMER_TOPICS: topic,
    IDEMPOTENCY_SQLITE_PATH: join(tmp, `${consumer}.sqlite`),
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtpPort),
    SMTP_STARTTLS: 'never',
    SMTP_TIMEOUT_MS: '3000',
    EMAIL_FROM: 'noreply@broker-events.example',
    EMAIL_ROUTES: JSON.stringify([{ types: ['no.altinn.broker.uploadfailed'], to: ['ops@example.no'] }]),
  };
}

const uploadFailed = (): AltinnCloudEvent =>
  sampleEvent({ type: 'no.altinn.broker.uploadfailed', data: { Role: 'Sender' } });

describe('a consumer killed with SIGKILL mid-batch and started again', () => {
  it('archive: every event archived exactly once', async () => {
    const consumer = `archive-kill-${run}`;
    const schema = `sys_archivekill_${run}`;
    schemas.push(schema);
    const db = { kind: 'postgres', url: PG, schema } as const;
    const topic = await topicFor(consumer, 3);
    const events = Array.from({ length: 3000 }, () => sampleEvent());
    await publish(topic, events);
    const env = {
      CONSUMER_NAME: consumer,
      CONSUMER_TOPICS: topic,
      ARCHIVE_DATABASE_URL: PG,
      ARCHIVE_DB_SCHEMA: schema,
      // Small batches, so the backlog takes many and the kill lands in the middle of one.
      ARCHIVE_BATCH_MAX_ROWS: '25',
      CONSUMER_CONCURRENCY: '25',
    };
    const one = await start('archive', env);
    await until(
      'some rows archived',
      async () => (await archivedRowsById(db).catch(() => new Map())).size >= 200,
      30_000,
      20,
    );
    await one.kill();
    expect(await one.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const before = (await archivedRowsById(db)).size;
    expect(before).toBeLessThan(events.length);

    await start('archive', env);
    await settled(consumer, topic);
    const rows = await archivedRowsById(db);
    expect(events.filter((e) => rows.get(e.id) !== 1).map((e) => e.id)).toEqual([]);
    expect(rows.size).toBe(events.length);
    expect((await settlement(admin, consumer, topic)).deadLettered).toBe(0);
  }, 90_000);

  it('email: nothing lost, and no one gets a mail twice', async () => {
    const consumer = `email-kill-${run}`;
    const topic = await topicFor(consumer, 1);
    const smtp = new MailSink();
    await smtp.up();
    try {
      const events = Array.from({ length: 12 }, uploadFailed);
      await publish(topic, events);
      const env = emailEnv(consumer, topic, smtp.port);
      const one = await start('email', env);
      await until('five mails delivered', () => smtp.delivered.length >= 5, 30_000, 10);
      // From now on the server keeps its answer to DATA back: the next mail is in flight when the process dies.
      smtp.hold();
      await until('a mail in flight', () => smtp.heldCount() >= 1, 30_000, 10);
      const inFlight = events.find((e) => smtp.seenWith(e.id) === 1 && smtp.deliveredWith(e.id) === 0);
      expect(inFlight).toBeDefined();
      await sleep(300);
      await one.kill();
      // The server must have seen the connection drop before it answers, as a real one would.
      await until(
        'the connection of the killed client to close',
        () => smtp.heldConnectionsClosed(),
        10_000,
        10,
      );
      smtp.release();
      expect(await one.exited).toEqual({ code: null, signal: 'SIGKILL' });
      const deliveredBefore = smtp.delivered.length;
      expect(deliveredBefore).toBeLessThan(events.length);

      await start('email', env);
      await until('every event mailed', () => events.every((e) => smtp.deliveredWith(e.id) >= 1), 45_000);
      await settled(consumer, topic);
      await sleep(1000);
      const perEvent = events.map((e) => smtp.deliveredWith(e.id));
      expect(perEvent).toEqual(events.map(() => 1));
      // The mail that was in flight at the kill reached the server twice and was delivered once.
      expect(smtp.seenWith(inFlight?.id ?? '-')).toBe(2);
      expect((await settlement(admin, consumer, topic)).deadLettered).toBe(0);
    } finally {
      await smtp.down();
    }
  }, 90_000);
});

describe('a sink that fails for a while', () => {
  it('SMTP unreachable: mails wait in the retry topic and each goes out once when it is back', async () => {
    const consumer = `email-smtpdown-${run}`;
    const topic = await topicFor(consumer, 2);
    const smtp = new MailSink();
    await smtp.up();
    try {
      const early = Array.from({ length: 3 }, uploadFailed);
      await publish(topic, early);
      await start('email', emailEnv(consumer, topic, smtp.port));
      await until('the first mails', () => early.every((e) => smtp.deliveredWith(e.id) === 1), 30_000);

      await smtp.down();
      const during = Array.from({ length: 10 }, uploadFailed);
      await publish(topic, during);
      const retry = `altinn.broker.retry.v1.${consumer}`;
      // The outage is felt: events are parked in the retry topic.
      await until(
        'events parked in the retry topic',
        async () =>
          (await settlement(admin, consumer, topic)).retryLag > 0 || (await retryRecords(retry)) > 0,
        30_000,
        250,
      );
      await sleep(3000);
      expect(during.every((e) => smtp.deliveredWith(e.id) === 0)).toBe(true);
      await smtp.up();

      await until(
        'every mail delivered',
        () => [...early, ...during].every((e) => smtp.deliveredWith(e.id) >= 1),
        60_000,
      );
      await settled(consumer, topic);
      await sleep(1000);
      expect([
        ...countBy(
          smtp.delivered.flatMap((t) =>
            [...early, ...during].filter((e) => t.includes(e.id)).map((e) => e.id),
          ),
        ).values(),
      ]).toEqual([...early, ...during].map(() => 1));
      expect((await settlement(admin, consumer, topic)).deadLettered).toBe(0);
    } finally {
      await smtp.down();
    }
  }, 90_000);

  it('Slack answering 429 with Retry-After: every event posted once when it lets up', async () => {
    const consumer = `slack-429-${run}`;
    const topic = await topicFor(consumer, 2);
    const slack = new SlackStandIn();
    const url = await slack.start();
    try {
      slack.limited = true;
      const events = Array.from({ length: 8 }, () => sampleEvent());
      await publish(topic, events);
      await start('slack', {
        CONSUMER_NAME: consumer,
        CONSUMER_TOPICS: topic,
        IDEMPOTENCY_SQLITE_PATH: join(tmp, `${consumer}.sqlite`),
        SLACK_WEBHOOK_URL: url,
        SLACK_MIN_INTERVAL_MS: '0',
        SLACK_TIMEOUT_MS: '3000',
      });
      await until('Slack refusing for a while', () => slack.rateLimited >= 6, 30_000);
      expect(slack.posted).toEqual([]);
      slack.limited = false;

      await until('every event posted', () => events.every((e) => slack.postedWith(e.id) >= 1), 60_000);
      await settled(consumer, topic);
      await sleep(1000);
      expect(events.map((e) => slack.postedWith(e.id))).toEqual(events.map(() => 1));
      expect(slack.posted).toHaveLength(events.length);
      expect((await settlement(admin, consumer, topic)).deadLettered).toBe(0);
    } finally {
      await slack.close();
    }
  }, 90_000);
});

/** Records ever written to a topic (its end offsets). */
async function retryRecords(topic: string): Promise<number> {
  return (await groupPositions(admin, 'nobody', topic)).reduce((s, p) => s + Number(p.end), 0);
}
