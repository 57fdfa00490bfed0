import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@broker-events/config';
import { type AltinnCloudEvent, TOPICS, canonicalEventType, toKafkaRecord } from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import {
  CoalescingPublisher,
  createKafka,
  ensureTopics,
  groupPositions,
  kafkaConfigSchema,
} from '@broker-events/messaging';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { type ConsumerProcess, startConsumerProcess } from './support/consumer-process';
import { until } from '@broker-events/testing';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const run = randomBytes(3).toString('hex');
const consumer = `drain-${run}`;
const topic = `${TOPICS.events}.drain-${run}`;
const PASSWORD = `smtp-secret-${run}-do-not-log`;
const kafka = createKafka(
  loadConfig('drain-e2e', kafkaConfigSchema, { KAFKA_BROKERS: brokers }),
  'drain-e2e',
);
const publisher = new CoalescingPublisher(kafka);

/** Mail texts received, and a gate that holds the DATA reply of the next mail until released. */
const received: string[] = [];
const dataStarted: string[] = [];
let gate: Promise<void> | undefined;
const smtp = new SMTPServer({
  logger: false,
  disabledCommands: ['STARTTLS'],
  allowInsecureAuth: true,
  onAuth: (auth, _session, callback) =>
    auth.username === 'mailer' && auth.password === PASSWORD
      ? callback(null, { user: 'mailer' })
      : callback(new Error('Invalid credentials')),
  onData: (stream, _session, callback) => {
    simpleParser(stream)
      .then(async (mail) => {
        dataStarted.push(mail.text ?? '');
        if (gate) await gate;
        received.push(mail.text ?? '');
        callback();
      })
      .catch(callback);
  },
});

function env(smtpPort: number): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    CONSUMER_NAME: consumer,
    CONSUMER_TOPICS: topic,
    CONSUMER_START_FROM: 'earliest',
    KAFKA_TOPIC_PARTITIONS: '1',
    // One record at a time, so "the mail in flight" at SIGTERM is exactly the first one and the second is
    // "something new". (At email's default of 32 both would be in flight, and both finished the same way.)
    CONSUMER_CONCURRENCY: '1',
    IDEMPOTENCY_SQLITE_PATH: join(mkdtempSync(join(tmpdir(), 'drain-')), 'processed.sqlite'),
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtpPort),
    SMTP_STARTTLS: 'never',
    SMTP_USER: 'mailer',
    SMTP_PASSWORD: PASSWORD,
    EMAIL_FROM: 'noreply@broker-events.example',
    EMAIL_ROUTES: JSON.stringify([{ types: ['no.altinn.broker.uploadfailed'], to: ['ops@example.no'] }]),
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: '20000',
  };
}

const failed = (): AltinnCloudEvent =>
  sampleEvent({ type: 'no.altinn.broker.uploadfailed', data: { Role: 'Sender' } });
const mentions = (texts: string[], e: AltinnCloudEvent) =>
  texts.filter((t) => t.includes(e.resourceinstance ?? '-')).length;

let processes: ConsumerProcess[] = [];

beforeAll(async () => {
  expect(brokers).not.toBe('');
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  await ensureTopics(kafka, [{ topic, partitions: 1, replicationFactor: 1 }]);
  await publisher.connect();
}, 60_000);

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await publisher.close();
  await new Promise<void>((r) => smtp.close(() => r()));
});

describe('email consumer process', () => {
  it('on SIGTERM finishes the mail in flight, commits it, takes nothing new, and exits 0; the next instance carries on', async () => {
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    const first = failed();
    const second = failed();
    let release!: () => void;
    gate = new Promise<void>((r) => (release = r));

    const one = await startConsumerProcess('email', env(smtpPort));
    processes.push(one);
    await publisher.publish(
      [first, second].map((e) => ({ ...toKafkaRecord(e, canonicalEventType(e.type)), topic })),
    );
    await until('first mail in flight', () => mentions(dataStarted, first) === 1);

    one.child.kill('SIGTERM');
    await until('drain started', () => one.output().includes('shutting down: draining the pipeline'));
    release();
    gate = undefined;
    expect(await one.exited).toEqual({ code: 0, signal: null });

    expect(mentions(received, first)).toBe(1);
    expect(mentions(dataStarted, second)).toBe(0);
    expect((await groupPositions(kafka, `${consumer}-server`, topic)).map((p) => p.committed)).toEqual(['1']);
    expect(one.output()).toContain('delivery pipeline stopped');

    const two = await startConsumerProcess('email', env(smtpPort));
    processes.push(two);
    await until('second mailed by the next instance', () => mentions(received, second) === 1);
    await until(
      'second committed',
      async () => (await groupPositions(kafka, `${consumer}-server`, topic))[0].committed === '2',
    );
    two.child.kill('SIGTERM');
    expect(await two.exited).toEqual({ code: 0, signal: null });
    expect(mentions(received, first)).toBe(1);

    // Structured logs, one JSON object per line, and the SMTP password never in them.
    for (const p of [one, two]) {
      const lines = p.output().trim().split('\n');
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(p.output()).not.toContain(PASSWORD);
      expect(p.output()).toContain('"SMTP_PASSWORD":"[redacted]"');
    }
    processes = [];
  });
});
