import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AltinnCloudEvent,
  type DeliveryReport,
  TOPICS,
  canonicalEventType,
  toKafkaRecord,
} from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import { loadConfig } from '@broker-events/config';
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
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { startEmail } from '../src/app/bootstrap';
import { loadEmailConfig } from '../src/app/config/email.config';
import { dropPostgresSchema, until } from '@broker-events/testing';
import { SummarySender } from '../src/app/summary/summary-sender';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomBytes(3).toString('hex');
const dataDir = mkdtempSync(join(tmpdir(), 'email-spec-'));
let seq = 0;

interface Received {
  to: string[];
  mail: ParsedMail;
}

/**
 * A real SMTP server in this process. `reply` decides per recipient: undefined accepts, a number refuses with it.
 * While `hold` is set, each message's data waits for it before the server answers.
 */
class TestSmtp {
  readonly received: Received[] = [];
  reply: (address: string) => number | undefined = () => undefined;
  hold?: Promise<void>;
  /** Messages whose data the server began to read. */
  dataStarted = 0;
  private readonly server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const code = this.reply(address.address);
        if (code === undefined) return callback();
        const error = new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later') as Error & {
          responseCode: number;
        };
        error.responseCode = code;
        return callback(error);
      },
      onData: (stream, session, callback) => {
        this.dataStarted++;
        Promise.resolve(this.hold)
          .then(() => simpleParser(stream))
          .then((mail) => {
            this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch(callback);
      },
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  to(address: string): Received[] {
    return this.received.filter((r) => r.to.includes(address));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const smtp = new TestSmtp();

const ROUTES = [
  {
    name: 'recipients of 312000008',
    types: ['no.altinn.broker.published'],
    roles: ['Recipient'],
    organisations: ['312000008'],
    to: ['inbox@recipient.example'],
    language: 'nb',
  },
  {
    name: 'ops sees published and failures',
    types: ['no.altinn.broker.published', 'no.altinn.broker.uploadfailed'],
    to: ['ops@example.no', 'Oncall@Example.no'],
    language: 'nb+en',
  },
  {
    name: 'failures in English',
    types: ['no.altinn.broker.uploadfailed'],
    resources: ['altinn-broker-test-resource-1'],
    to: ['partner@abroad.example'],
    language: 'en',
  },
];

const kafka = createKafka(
  loadConfig('email-spec', kafkaConfigSchema, { KAFKA_BROKERS: brokers }),
  'email-spec',
);
const publisher = new CoalescingPublisher(kafka);
const apps: NestFastifyApplication[] = [];
let reports: TopicTail;

/** The delivery reports of one test's consumer, as read so far. */
function reportsOf(consumer: string): DeliveryReport[] {
  return reports
    .on(TOPICS.deliveries)
    .map((m) => JSON.parse(m.value?.toString('utf8') ?? 'null') as DeliveryReport)
    .filter((r) => r.consumer === consumer);
}

function baseEnv(consumer: string, topic: string): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    CONSUMER_NAME: consumer,
    CONSUMER_TOPICS: topic,
    CONSUMER_START_FROM: 'earliest', // fresh topics; the apps' default is latest
    KAFKA_TOPIC_PARTITIONS: '1',
    RETRY_IN_PLACE_ATTEMPTS: '2',
    RETRY_INITIAL_BACKOFF_MS: '10',
    RETRY_TOPIC_DELAYS_MS: '200',
    IDEMPOTENCY_SQLITE_PATH: join(dataDir, 'processed.sqlite'),
    EMAIL_SUMMARY_SQLITE_PATH: join(dataDir, 'summaries.sqlite'),
    EMAIL_SUMMARY_AFTER_SECONDS: '0', // the fixtures' times are old; the summary test turns it on
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port || 2525),
    SMTP_STARTTLS: 'never',
    SMTP_TIMEOUT_MS: '5000',
    EMAIL_FROM: '"Altinn Formidling" <noreply@broker-events.example>',
    EMAIL_ROUTES: JSON.stringify(ROUTES),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  };
}

async function startApp(
  consumer: string,
  topic: string,
  extra: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  const { config, routes } = loadEmailConfig({ ...baseEnv(consumer, topic), ...extra });
  const app = await startEmail(config, routes, createLogger('email', 'silent'), false);
  apps.push(app);
  return app;
}

async function fresh(): Promise<{ consumer: string; topic: string }> {
  seq++;
  const topic = `${TOPICS.events}.email-${run}-${seq}`;
  await ensureTopics(kafka, [{ topic, partitions: 1, replicationFactor: 1 }]);
  return { consumer: `email-${run}-${seq}`, topic };
}

async function send(topic: string, ...events: AltinnCloudEvent[]): Promise<void> {
  await publisher.publish(events.map((e) => ({ ...toKafkaRecord(e, canonicalEventType(e.type)), topic })));
}

async function metric(app: NestFastifyApplication, name: string, labels: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

beforeAll(async () => {
  expect(brokers).not.toBe('');
  await smtp.start();
  await publisher.connect();
  reports = await TopicTail.start(brokers, [TOPICS.deliveries]);
});

beforeEach(() => {
  smtp.reply = () => undefined;
  smtp.hold = undefined;
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

afterAll(async () => {
  await reports.stop();
  await publisher.close();
  await smtp.stop();
});

describe('email consumer', () => {
  it('mails each routed address once, in the rule’s languages, and skips events no rule routes', async () => {
    const { consumer, topic } = await fresh();
    const app = await startApp(consumer, topic);
    const published = sampleEvent({ time: '2026-11-20T09:00:12Z' });
    const failed = sampleEvent({
      type: 'no.altinn.broker.uploadfailed',
      data: { Role: 'Sender' },
      subject: 'urn:altinn:organization:identifier-no:311000004',
    });
    const unrouted = sampleEvent({
      type: 'no.altinn.broker.filetransferinitialized',
      data: { Role: 'Sender' },
    });
    await send(topic, unrouted, published, failed);
    // published: inbox, ops, oncall; uploadfailed: ops, oncall, partner
    await until(
      'six mails',
      () =>
        smtp.received.filter(
          (r) =>
            r.mail.text?.includes(published.resourceinstance ?? '-') ||
            r.mail.text?.includes(failed.resourceinstance ?? '-'),
        ).length === 6,
    );
    await until(
      'all three records handled',
      async () =>
        (await metric(app, 'pipeline_delivery_duration_seconds_count', 'outcome="delivered"')) +
          (await metric(app, 'pipeline_delivery_duration_seconds_count', 'outcome="skipped"')) ===
        3,
    );

    const about = (e: AltinnCloudEvent) =>
      smtp.received.filter((r) => r.mail.text?.includes(e.resourceinstance ?? '-'));
    expect(about(unrouted)).toHaveLength(0);
    expect(await metric(app, 'pipeline_skipped_total', 'reason="filter"')).toBe(1);

    const toRecipient = about(published).filter((r) => r.to.includes('inbox@recipient.example'));
    expect(toRecipient).toHaveLength(1);
    const mail = toRecipient[0].mail;
    expect(mail.subject).toBe('Altinn Formidling: Fil klar til nedlasting (altinn-broker-test-resource-1)');
    expect(mail.from?.text).toBe('"Altinn Formidling" <noreply@broker-events.example>');
    expect(mail.text).toContain('20. november 2026 kl. 10:00:12 (norsk tid)');
    expect(mail.text).toMatch(/^Rolle: +Mottaker$/m);
    expect(mail.html).toContain(`<code>${published.resourceinstance}</code>`);
    expect(mail.messageId).toMatch(/^<[0-9a-f]{40}@broker-events\.example>$/);
    expect(mail.headers.get('x-altinn-file-transfer-id')).toBe(published.resourceinstance);

    // ops: both languages, one mail per address (nobody sees another recipient)
    const toOps = about(published).filter((r) => r.to.includes('ops@example.no'));
    expect(toOps).toHaveLength(1);
    expect(toOps[0].to).toEqual(['ops@example.no']);
    expect(toOps[0].mail.subject).toBe(
      'Altinn Formidling: Fil klar til nedlasting (altinn-broker-test-resource-1) / File ready for download (altinn-broker-test-resource-1)',
    );
    expect(about(published).filter((r) => r.to.includes('oncall@example.no'))).toHaveLength(1);

    // uploadfailed: ops (nb+en) and the partner (en); the partner rule's languages merge with nothing else
    const toPartner = about(failed).filter((r) => r.to.includes('partner@abroad.example'));
    expect(toPartner).toHaveLength(1);
    expect(toPartner[0].mail.subject).toBe('Altinn Broker: Upload failed for altinn-broker-test-resource-1');
    expect(toPartner[0].mail.text).toContain('Role:');
    expect(toPartner[0].mail.text).toMatch(/Sender/);
    expect(
      about(failed)
        .map((r) => r.to[0])
        .sort(),
    ).toEqual(['oncall@example.no', 'ops@example.no', 'partner@abroad.example']);

    // each handled record was reported (before its offset was committed), naming the addresses mailed
    await reports.caughtUp();
    const outcome = (e: AltinnCloudEvent) =>
      reportsOf(consumer)
        .filter((r) => r.eventId === e.id)
        .map((r) => [r.outcome, r.detail, r.error]);
    expect(outcome(published)).toEqual([
      ['delivered', 'emailed to inbox@recipient.example, ops@example.no, oncall@example.no', null],
    ]);
    expect(outcome(failed)).toEqual([
      ['delivered', 'emailed to ops@example.no, oncall@example.no, partner@abroad.example', null],
    ]);
    // an event no rule routes is skipped by the filter, and by default not reported (DELIVERY_REPORTS_FILTERED)
    expect(outcome(unrouted)).toEqual([]);
  });

  it('sends nothing twice for a redelivered event, also after a restart', async () => {
    const { consumer, topic } = await fresh();
    let app = await startApp(consumer, topic);
    const event = sampleEvent({ type: 'no.altinn.broker.uploadfailed', data: { Role: 'Sender' } });
    const mine = () => smtp.received.filter((r) => r.mail.text?.includes(event.resourceinstance ?? '-'));
    await send(topic, event, event);
    await until('three mails', () => mine().length === 3);
    await until(
      'duplicate skipped',
      async () => (await metric(app, 'pipeline_skipped_total', 'reason="duplicate"')) === 1,
    );
    await app.close();
    apps.splice(apps.indexOf(app), 1);

    app = await startApp(consumer, topic);
    await send(topic, event);
    await until(
      'duplicate skipped after restart',
      async () => (await metric(app, 'pipeline_skipped_total', 'reason="duplicate"')) === 1,
    );
    expect(mine()).toHaveLength(3);
  });

  it('retries a temporary SMTP refusal (451) and mails once when the server takes it', async () => {
    const { consumer, topic } = await fresh();
    const app = await startApp(consumer, topic);
    const event = sampleEvent({ type: 'no.altinn.broker.uploadfailed', data: { Role: 'Sender' } });
    let refusals = 0;
    smtp.reply = (address) => (address === 'partner@abroad.example' && refusals++ < 3 ? 451 : undefined);
    await send(topic, event);
    const mine = () => smtp.received.filter((r) => r.mail.text?.includes(event.resourceinstance ?? '-'));
    await until('partner mailed', () => mine().some((r) => r.to.includes('partner@abroad.example')));
    await until(
      'delivered',
      async () => (await metric(app, 'pipeline_delivered_total', `consumer="${consumer}"`)) === 1,
    );
    expect(refusals).toBe(4);
    // the two addresses that took the mail the first time were not mailed again on the retries
    expect(
      mine()
        .map((r) => r.to[0])
        .sort(),
    ).toEqual(['oncall@example.no', 'ops@example.no', 'partner@abroad.example']);
    expect(await metric(app, 'pipeline_retried_total', 'stage="retry_topic"')).toBe(1);
  });

  it('dead-letters a permanent refusal (550); re-driven later, only the refused address is mailed', async () => {
    const { consumer, topic } = await fresh();
    const app = await startApp(consumer, topic);
    const event = sampleEvent({ type: 'no.altinn.broker.uploadfailed', data: { Role: 'Sender' } });
    smtp.reply = (address) => (address === 'partner@abroad.example' ? 550 : undefined);
    await send(topic, event);
    const dlq = new DeadLetterAdmin(kafka, consumer);
    await until('dead-lettered', async () => (await dlq.list()).length === 1);
    const [dead] = await dlq.list();
    expect(dead).toMatchObject({ failure: 'permanent', attempts: 1, originalTopic: topic, consumer });
    expect(dead.error).toMatch(/partner@abroad\.example: SMTP 550/);
    const mine = () => smtp.received.filter((r) => r.mail.text?.includes(event.resourceinstance ?? '-'));
    expect(
      mine()
        .map((r) => r.to[0])
        .sort(),
    ).toEqual(['oncall@example.no', 'ops@example.no']);

    smtp.reply = () => undefined;
    await dlq.redrive([{ partition: dead.partition, offset: dead.offset }]);
    await until(
      'delivered after re-drive',
      async () => (await metric(app, 'pipeline_delivered_total', `consumer="${consumer}"`)) === 1,
    );
    expect(
      mine()
        .map((r) => r.to[0])
        .sort(),
    ).toEqual(['oncall@example.no', 'ops@example.no', 'partner@abroad.example']);
  });
});

describe('email summaries after an outage', () => {
  it('lists 200 old events in one summary mail per address, and still mails fresh events one by one', async () => {
    const { consumer, topic } = await fresh();
    const to = [`a-${run}@summary.example`, `b-${run}@summary.example`];
    const app = await startApp(consumer, topic, {
      EMAIL_ROUTES: JSON.stringify([{ name: 'summary', types: ['no.altinn.broker.published'], to }]),
      EMAIL_SUMMARY_AFTER_SECONDS: '3600',
      EMAIL_SUMMARY_QUIET_SECONDS: '2',
      EMAIL_SUMMARY_SQLITE_PATH: join(dataDir, `summary-${run}.sqlite`),
    });
    const old = Array.from({ length: 200 }, (_, i) =>
      sampleEvent({ time: new Date(Date.now() - 2 * 3600_000 + i * 1000).toISOString() }),
    );
    const recent = sampleEvent({ time: new Date().toISOString() });
    await send(topic, ...old, recent);
    const mailsTo = (address: string) => smtp.received.filter((r) => r.to.includes(address));
    await until(
      'both summaries',
      () => to.every((a) => mailsTo(a).some((m) => m.mail.headers.has('x-altinn-summary-count'))),
      30_000,
    );
    await until(
      'all 201 handled',
      async () => (await metric(app, 'pipeline_delivered_total', `consumer="${consumer}"`)) === 201,
    );
    for (const address of to) {
      const mails = mailsTo(address);
      // one summary + one mail for the fresh event, nothing else
      expect(mails).toHaveLength(2);
      const [summary] = mails.filter((m) => m.mail.headers.has('x-altinn-summary-count'));
      expect(summary.mail.headers.get('x-altinn-summary-count')).toBe('200');
      for (const e of old) expect(summary.mail.text).toContain(e.resourceinstance);
      expect(summary.mail.text).not.toContain(recent.resourceinstance);
      const single = mails.filter((m) => !m.mail.headers.has('x-altinn-summary-count'));
      expect(single[0].mail.text).toContain(recent.resourceinstance);
    }
    await reports.caughtUp();
    const mine = reportsOf(consumer);
    expect(mine.filter((r) => r.detail === `summarised in mail to ${to.join(', ')}`)).toHaveLength(200);
    expect(mine.find((r) => r.eventId === recent.id)?.detail).toBe(`emailed to ${to.join(', ')}`);
  });

  it('lists the oldest EMAIL_SUMMARY_MAX_LISTED events, counts the rest, and starts afresh after the mail', async () => {
    const { consumer, topic } = await fresh();
    const to = `big-${run}@summary.example`;
    const app = await startApp(consumer, topic, {
      EMAIL_ROUTES: JSON.stringify([{ name: 'summary', to: [to] }]),
      EMAIL_SUMMARY_AFTER_SECONDS: '3600',
      EMAIL_SUMMARY_QUIET_SECONDS: '2',
      EMAIL_SUMMARY_MAX_LISTED: '50',
      EMAIL_SUMMARY_SQLITE_PATH: join(dataDir, `summary-big-${run}.sqlite`),
    });
    const start = Date.now() - 3 * 3600_000;
    const old = Array.from({ length: 120 }, (_, i) =>
      sampleEvent({
        type: i % 4 === 0 ? 'no.altinn.broker.filepurged' : 'no.altinn.broker.published',
        time: new Date(start + i * 1000).toISOString(),
      }),
    );
    // Sent newest first: the mail lists by event time, not by arrival.
    await send(topic, ...[...old].reverse());
    const summaries = () =>
      smtp.received.filter((r) => r.to.includes(to) && r.mail.headers.has('x-altinn-summary-count'));
    await until('the summary', () => summaries().length === 1, 30_000);
    await until(
      'all 120 handled',
      async () => (await metric(app, 'pipeline_delivered_total', `consumer="${consumer}"`)) === 120,
    );
    const [first] = summaries();
    expect(first.mail.headers.get('x-altinn-summary-count')).toBe('120');
    const text = first.mail.text;
    for (const e of old.slice(0, 50)) expect(text).toContain(e.resourceinstance);
    for (const e of old.slice(50)) expect(text).not.toContain(e.resourceinstance);
    expect(text).toMatch(/^ +90 {2}no\.altinn\.broker\.published$/m);
    expect(text).toMatch(/^ +30 {2}no\.altinn\.broker\.filepurged$/m);
    expect(text).toContain('… and 70 more, not listed here');
    expect(text).toContain(`Tid / time: ${old[0].time} – ${old[119].time}`);

    // What the first mail covered is gone: a later backlog gets a mail of its own, with only its events.
    const later = Array.from({ length: 3 }, (_, i) =>
      sampleEvent({ time: new Date(start + 3600_000 + i * 1000).toISOString() }),
    );
    await send(topic, ...later);
    await until('the second summary', () => summaries().length === 2, 30_000);
    const second = summaries()[1];
    expect(second.mail.headers.get('x-altinn-summary-count')).toBe('3');
    for (const e of later) expect(second.mail.text).toContain(e.resourceinstance);
    expect(second.mail.text).not.toContain('more, not listed');
    expect(second.mail.messageId).not.toBe(first.mail.messageId);
  });
});

describe('email summaries from replicas sharing PostgreSQL', () => {
  const schema = `email_spec_${run}`;
  afterAll(() => dropPostgresSchema(PG_URL, schema));

  it('mails each summary once: a replica does not send what another is sending', async () => {
    const { consumer, topic } = await fresh();
    const to = `shared-${run}@summary.example`;
    const env = {
      EMAIL_ROUTES: JSON.stringify([{ name: 'summary', to: [to] }]),
      EMAIL_SUMMARY_AFTER_SECONDS: '3600',
      EMAIL_SUMMARY_QUIET_SECONDS: '1',
      IDEMPOTENCY_DATABASE_URL: PG_URL,
      IDEMPOTENCY_DB_SCHEMA: schema,
    };
    const replicas = [await startApp(consumer, topic, env), await startApp(consumer, topic, env)];
    // The summary's data waits at the SMTP server until one replica has looked at the buffer and stood aside.
    let release!: () => void;
    smtp.hold = new Promise<void>((resolve) => (release = resolve));
    try {
      const begun = smtp.dataStarted;
      const old = Array.from({ length: 30 }, (_, i) =>
        sampleEvent({ time: new Date(Date.now() - 2 * 3600_000 + i * 1000).toISOString() }),
      );
      await send(topic, ...old);
      await until('a replica sending the summary', () => smtp.dataStarted > begun, 30_000);
      // Both look again now. The sender's look is the one in flight; the other's must end without sending.
      const ended = [false, false];
      const looks = replicas.map((app, i) =>
        app
          .get(SummarySender)
          .tick()
          .then(() => (ended[i] = true)),
      );
      await until('the other replica to stand aside', () => ended.some(Boolean), 10_000);
      expect(smtp.dataStarted).toBe(begun + 1);
      release();
      await Promise.all(looks);
    } finally {
      release();
    }
    const summaries = smtp.to(to).filter((m) => m.mail.headers.has('x-altinn-summary-count'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0].mail.headers.get('x-altinn-summary-count')).toBe('30');
    // Once it is sent, nothing of it is left for either replica to send again.
    await Promise.all(replicas.map((app) => app.get(SummarySender).tick()));
    expect(smtp.to(to)).toHaveLength(1);
  });
});

describe('email config', () => {
  it('names every bad variable and every bad routing rule at once', () => {
    expect(() =>
      loadEmailConfig({
        KAFKA_BROKERS: brokers || '127.0.0.1:9092',
        SMTP_HOST: 'localhost',
        SMTP_USER: 'me',
        EMAIL_FROM: 'noreply@example.no',
        EMAIL_ROUTES: JSON.stringify([
          { types: ['no.altinn.broker.published'], to: ['not an address'] },
          { roles: ['Boss'], to: ['a@b.no'], language: 'de' },
        ]),
      }),
    ).toThrow(
      /SMTP_PASSWORD: is required with SMTP_USER[\s\S]*EMAIL_ROUTES: rule 1.to has invalid addresses: "not an address"[\s\S]*rule 2.roles: "Boss"[\s\S]*rule 2.language/,
    );
  });
});
