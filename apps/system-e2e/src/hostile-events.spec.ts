import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AltinnCloudEvent, TOPICS, canonicalEventType, toKafkaRecord } from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import { CoalescingPublisher, ensureTopics } from '@broker-events/messaging';
import {
  type AppProcess,
  type PrivateKafka,
  isSettled,
  kafkaFor,
  settlement,
  startApp,
  startPrivateKafka,
  until,
} from '@broker-events/soak';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { SlackStandIn } from './support/stand-ins';

/**
 * Hostile field values, in events the contracts accept, through the real pipeline: the built email app to a
 * real SMTP server (parsed as a mail client would) and the built Slack app to a stand-in. Nothing may become
 * a header, a recipient, markup, a mention or a link. (render-email.spec.ts and slack-blocks.spec.ts test the
 * renderers alone; this is the same discipline end to end.)
 */
const HOSTILE = [
  'x\r\nBcc: victim@example.com',
  'x\nTo: victim@example.com\n\n<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '"><svg onload=alert(1)>',
  '<b>bold</b>\u2028line\u2029para',
  '<!channel> <!here> <@U123> <#C123>',
  '<https://evil.example|click here>',
  '&lt;script&gt; &amp; &',
  '`code` *bold* _it_ ~strike~ > quote',
  '=?utf-8?b?QmNjOiB2aWN0aW1AZXhhbXBsZS5jb20=?=',
  'a\u0000b\u0007c\u001b[31mred',
  '%0d%0aBcc:%20victim@example.com',
  'javascript:alert(1)',
  '{{7*7}} ${7*7} <%= 7*7 %>',
  'x'.repeat(5000),
];

function corpus(): AltinnCloudEvent[] {
  const out: AltinnCloudEvent[] = [];
  const tryAdd = (overrides: Record<string, unknown>): void => {
    try {
      out.push(
        sampleEvent({ type: 'no.altinn.broker.uploadfailed', data: { Role: 'Sender' }, ...overrides }),
      );
    } catch {
      // The contracts refuse this value (the gateway answers 400; attributes allow no control characters
      // and resource, subject and source have strict forms): nothing to prove downstream.
    }
  };
  HOSTILE.forEach((h, i) => {
    tryAdd({ id: `hostile-${i}-${h}` });
    tryAdd({ id: `hostile-${i}`, data: { Role: 'Sender', fileTransferId: h, note: h } });
  });
  return out;
}

const run = randomBytes(3).toString('hex');
const tmp = mkdtempSync(join(tmpdir(), 'hostile-'));
let kafka: PrivateKafka;
const processes: AppProcess[] = [];
const mails: ParsedMail[] = [];
const envelopes: string[][] = [];
const smtp = new SMTPServer({
  logger: false,
  disabledCommands: ['STARTTLS', 'AUTH'],
  onData: (stream, session, callback) => {
    simpleParser(stream)
      .then((mail) => {
        mails.push(mail);
        envelopes.push(session.envelope.rcptTo.map((r) => r.address));
        callback();
      })
      .catch(callback);
  },
});
const slack = new SlackStandIn();

beforeAll(async () => {
  kafka = await startPrivateKafka();
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await new Promise<void>((r) => smtp.close(() => r()));
  await slack.close();
  await kafka?.destroy();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

it('hostile field values reach email and Slack escaped: never a header, a recipient, markup or a mention', async () => {
  const events = corpus();
  // The corpus must really reach the sinks: most values are legal in some field.
  expect(events.length).toBeGreaterThanOrEqual(25);
  const admin = kafkaFor(kafka.brokers, 'hostile');
  const topic = `${TOPICS.events}.hostile-${run}`;
  await ensureTopics(admin, [{ topic, partitions: 2, replicationFactor: 1 }]);
  const publisher = new CoalescingPublisher(admin);
  await publisher.connect();
  await publisher.publish(events.map((e) => ({ ...toKafkaRecord(e, canonicalEventType(e.type)), topic })));
  await publisher.close();

  const slackUrl = await slack.start();
  const common = {
    KAFKA_BROKERS: kafka.brokers,
    CONSUMER_TOPICS: topic,
    CONSUMER_START_FROM: 'earliest',
    LOG_LEVEL: 'warn',
  };
  const smtpPort = (smtp.server.address() as { port: number }).port;
  processes.push(
    await startApp('email', {
      ...common,
      CONSUMER_NAME: `email-hostile-${run}`,
      IDEMPOTENCY_SQLITE_PATH: join(tmp, 'email.sqlite'),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      SMTP_STARTTLS: 'never',
      EMAIL_FROM: 'noreply@broker-events.example',
      EMAIL_ROUTES: JSON.stringify([{ to: ['ops@example.no'] }]),
    }),
    await startApp('slack', {
      ...common,
      CONSUMER_NAME: `slack-hostile-${run}`,
      IDEMPOTENCY_SQLITE_PATH: join(tmp, 'slack.sqlite'),
      SLACK_WEBHOOK_URL: slackUrl,
      SLACK_MIN_INTERVAL_MS: '0',
    }),
  );
  await until(
    'every event mailed and posted',
    () => mails.length >= events.length && slack.posted.length >= events.length,
    60_000,
  );
  for (const name of [`email-hostile-${run}`, `slack-hostile-${run}`])
    await until(`${name} settled`, async () => isSettled(await settlement(admin, name, topic)), 30_000, 250);
  expect(mails).toHaveLength(events.length);
  expect(slack.posted).toHaveLength(events.length);

  for (const [i, mail] of mails.entries()) {
    // Only the configured recipient, in the envelope and in the headers; no header a value could add.
    expect(envelopes[i]).toEqual(['ops@example.no']);
    expect(mail.bcc).toBeUndefined();
    expect(mail.cc).toBeUndefined();
    const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
    expect(to.flatMap((a) => a.value.map((v) => v.address))).toEqual(['ops@example.no']);
    const headerNames = [...mail.headers.keys()];
    expect(headerNames.filter((h) => /^(bcc|x-injected)$/i.test(h))).toEqual([]);
    expect(mail.subject ?? '').not.toMatch(/[\r\n]/);
    // The HTML part holds no element a value brought in.
    const html = typeof mail.html === 'string' ? mail.html : '';
    expect(html).not.toMatch(/<(script|img|svg|b)[\s>]/i);
    // Escaped text may say onerror=…; no element may carry it.
    expect(html).not.toMatch(/<[a-z][^>]*\son\w+=/i);
  }
  for (const body of slack.posted) {
    const texts = slackTexts(JSON.parse(body) as unknown);
    for (const t of texts) {
      expect(t).not.toMatch(/<!(channel|here)|<@U|<#C|<https?:\/\/evil/);
    }
  }
}, 120_000);

/** Every string anywhere in a Slack payload (text, blocks, fields, context). */
function slackTexts(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(slackTexts);
  if (v && typeof v === 'object') return Object.values(v).flatMap(slackTexts);
  return [];
}
