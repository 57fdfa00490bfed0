import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { type AppProcess, type PrivateKafka, startApp, startPrivateKafka, until } from '@broker-events/soak';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { MailSink } from './support/stand-ins';

/**
 * One webhook POST is one trace: the gateway's server span, its producer span (whose context travels in
 * the record as `ce_traceparent`), and in each consumer a consumer span per reading of the record with a
 * client span per sink call, through the retry topic too. The apps export with OTLP/HTTP to a receiver on
 * loopback, configured only by the standard OTEL_* variables.
 */
const SPAN_KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;
const TOKEN = 'tracing-token-' + 't'.repeat(40);
const run = randomBytes(3).toString('hex');
const tmp = mkdtempSync(join(tmpdir(), 'tracing-'));
let kafka: PrivateKafka;
const receiver = new OtlpReceiver();
const smtp = new MailSink();
let gateway: AppProcess;
let archive: AppProcess;
let email: AppProcess;

beforeAll(async () => {
  [kafka] = await Promise.all([startPrivateKafka(), receiver.start(), smtp.up()]);
  const common = {
    KAFKA_BROKERS: kafka.brokers,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    LOG_LEVEL: 'info',
  };
  gateway = await startApp('gateway', { ...common, WEBHOOK_TOKENS: TOKEN });
  [archive, email] = await Promise.all([
    startApp('archive', {
      ...common,
      CONSUMER_NAME: `archive-trace-${run}`,
      ARCHIVE_SQLITE_PATH: join(tmp, 'archive.sqlite'),
    }),
    startApp('email', {
      ...common,
      CONSUMER_NAME: `email-trace-${run}`,
      CONSUMER_START_FROM: 'earliest',
      IDEMPOTENCY_SQLITE_PATH: join(tmp, 'email.sqlite'),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_STARTTLS: 'never',
      EMAIL_FROM: 'noreply@broker-events.example',
      EMAIL_ROUTES: JSON.stringify([{ types: ['no.altinn.broker.published'], to: ['inbox@example.no'] }]),
      // One call, then the retry topic: the second reading must join the same trace.
      RETRY_IN_PLACE_ATTEMPTS: '1',
      RETRY_TOPIC_DELAYS_MS: '300',
    }),
  ]);
  for (const app of [gateway, archive, email])
    await until(`${app.url} ready`, async () => (await fetch(`${app.url}/health/ready`)).ok, 60_000, 200);
}, 180_000);

afterAll(async () => {
  await Promise.all([gateway, archive, email].map((a) => a?.kill()));
  await kafka?.destroy();
  await receiver.stop();
  await smtp.down();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

it('follows one POST through the gateway, Kafka, the archive and email (through a retry) as one trace', async () => {
  const body = sampleEventBody();
  const id = String(body['id']);
  smtp.failNext(1);
  const res = await fetch(`${gateway.url}/altinn/events/${TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  await until(
    'the mail, after one 451',
    () => smtp.deliveredWith(id) === 1 && smtp.seenWith(id) === 2,
    30_000,
  );
  await until('the archive row', async () => (await fetch(`${archive.url}/archive/events/${id}`)).ok, 30_000);
  // A clean stop exports what each app still buffers; after it, every span of the trace has arrived.
  for (const app of [gateway, archive, email]) await app.stop();

  const ofEvent = receiver.spans.filter(
    (s) => s.attributes['cloudevents.event_id'] === id && s.kind === SPAN_KIND.producer,
  );
  expect(ofEvent).toHaveLength(1);
  const [producer] = ofEvent;
  const trace = receiver.spans.filter((s) => s.traceId === producer.traceId);
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const parentOf = (s: ReceivedSpan) => byId.get(s.parentSpanId);
  const shape = (s: ReceivedSpan) => `${s.service} ${s.name}`;

  const server = parentOf(producer);
  expect(server && { kind: server.kind, service: server.service }).toEqual({
    kind: SPAN_KIND.server,
    service: 'gateway',
  });
  expect(server?.parentSpanId).toBe('');
  expect(shape(producer)).toBe('gateway publish altinn.broker.events.v1');

  const consumed = trace.filter((s) => s.kind === SPAN_KIND.consumer);
  expect(consumed.map(shape).sort()).toEqual([
    `archive-trace-${run} process archive-trace-${run}`,
    `email-trace-${run} process email-trace-${run}`,
    `email-trace-${run} process email-trace-${run}`,
  ]);
  // Every reading of the record, the retry's included, is a child of the gateway's producer span.
  for (const c of consumed) expect(c.parentSpanId).toBe(producer.spanId);
  const emailReadings = consumed.filter((c) => c.service.startsWith('email'));
  expect(emailReadings.map((c) => c.attributes['messaging.destination.name']).sort()).toEqual([
    'altinn.broker.events.v1',
    `altinn.broker.retry.v1.email-trace-${run}`,
  ]);
  expect(emailReadings.map((c) => c.attributes['broker_events.outcome']).sort()).toEqual([
    'delivered',
    'retry',
  ]);

  // Each reading called its sink once, in a client span under it.
  const calls = trace.filter((s) => s.kind === SPAN_KIND.client);
  expect(calls.map((c) => parentOf(c)?.spanId).sort()).toEqual(consumed.map((c) => c.spanId).sort());
  expect(trace).toHaveLength(2 + consumed.length + calls.length);

  // Log lines carry the trace, so logs and traces join.
  const published = gateway
    .output()
    .split('\n')
    .find((l) => l.includes('"event published"') && l.includes(id));
  expect(published).toContain(`"trace_id":"${producer.traceId}"`);
});
