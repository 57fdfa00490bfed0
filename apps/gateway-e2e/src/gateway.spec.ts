import { recordValidator } from '@broker-events/asyncapi';
import { TOPICS, fromKafkaRecord, parseCloudEvent } from '@broker-events/contracts';
import { loadSamples, sampleEventBody } from '@broker-events/contracts/testing';
import { TopicTail } from '@broker-events/messaging/testing';
import { randomUUID } from 'node:crypto';
import {
  type GatewayProcess,
  post,
  runGatewayToExit,
  startGatewayProcess,
  until,
} from './support/gateway-process';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const TOKEN = 'e2e-token-' + 'a'.repeat(40);
const OLD_TOKEN = 'e2e-rotated-token-' + 'b'.repeat(40);

let gateway: GatewayProcess;
let tail: TopicTail;

/** A fresh, valid published event, so tests never collide with each other's duplicates. */
const freshEvent = (overrides: Record<string, unknown> = {}) => sampleEventBody(overrides);

beforeAll(async () => {
  tail = await TopicTail.start(brokers, [TOPICS.events, TOPICS.quarantine]);
  gateway = await startGatewayProcess({
    KAFKA_BROKERS: brokers,
    WEBHOOK_TOKENS: `${TOKEN},${OLD_TOKEN}`,
    ALLOWED_SOURCE_CIDRS: '127.0.0.1/32,10.0.0.0/8',
    TRUSTED_PROXY_HOPS: '1',
    BODY_LIMIT_BYTES: '4096',
    LOG_LEVEL: 'info',
  });
  const ready = async () => (await fetch(`${gateway.url}/health/ready`)).status === 200;
  const deadline = Date.now() + 30_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error('gateway never became ready:\n' + gateway.output());
    await new Promise((r) => setTimeout(r, 200));
  }
}, 90_000);

afterAll(async () => {
  const code = await gateway?.stop();
  await tail?.stop();
  expect(code).toBe(0);
  // Tokens never reach the logs, whatever the tests above sent.
  expect(gateway.output()).not.toContain(TOKEN);
  expect(gateway.output()).not.toContain(OLD_TOKEN);
}, 30_000);

const hook = () => `${gateway.url}/altinn/events/${TOKEN}`;

describe('valid events', () => {
  it('publishes every sample with the contracts mapping: topic, key = file transfer id, CloudEvents headers, value', async () => {
    const samples = loadSamples().filter((s) => !s.name.includes('validatesubscription'));
    expect(samples.length).toBeGreaterThanOrEqual(12);
    for (const [i, sample] of samples.entries()) {
      // Alternate the two token placements Altinn's examples use.
      const url = i % 2 === 0 ? hook() : `${gateway.url}/altinn/events?code=${OLD_TOKEN}`;
      const res = await post(url, sample.raw, 'application/json; charset=utf-8');
      expect({ name: sample.name, status: res.status }).toEqual({ name: sample.name, status: 200 });
    }
    const ids = samples.map((s) => (s.body as { id: string }).id);
    await tail.waitFor((m) => ids.every((id) => m.some((x) => x.headers['ce_id'] === id)));
    const schemas = recordValidator();
    for (const sample of samples) {
      const body = sample.body as { id: string; resourceinstance: string };
      const found = tail.on(TOPICS.events).filter((m) => m.headers['ce_id'] === body.id);
      expect(found).toHaveLength(1);
      const [msg] = found;
      expect(msg.key).toBe(body.resourceinstance);
      expect(msg.headers['ce_specversion']).toBe('1.0');
      // What subscribers in any language are told to expect: docs/schemas (JSON Schema 2020-12, ajv).
      expect({ sample: sample.name, problems: schemas.problems(msg) }).toEqual({
        sample: sample.name,
        problems: [],
      });
      const decoded = fromKafkaRecord({ key: msg.key, value: msg.value, headers: msg.headers });
      const original = parseCloudEvent(sample.body);
      expect(decoded.ok && original.ok).toBe(true);
      if (decoded.ok && original.ok) {
        expect(decoded.event).toEqual(original.event);
        expect(msg.headers['ce_type']).toBe(original.canonicalType);
      }
    }
  });

  it('accepts application/cloudevents+json', async () => {
    const event = freshEvent();
    const res = await post(hook(), JSON.stringify(event), 'application/cloudevents+json');
    expect(res.status).toBe(200);
    await tail.waitFor((m) => m.some((x) => x.headers['ce_id'] === event['id']));
  });

  it('publishes a batch all or nothing', async () => {
    const good = [freshEvent(), freshEvent()];
    const ok = await post(hook(), JSON.stringify(good), 'application/cloudevents-batch+json');
    expect(ok.status).toBe(200);
    await tail.waitFor((m) => good.every((e) => m.some((x) => x.headers['ce_id'] === e['id'])));

    const mixed = [freshEvent(), freshEvent({ resourceinstance: 'not-a-uuid' })];
    const bad = await post(hook(), JSON.stringify(mixed), 'application/cloudevents-batch+json');
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { violations: { path: string }[] };
    expect(problem.violations.map((v) => v.path)).toContain('[1].resourceinstance');
    await tail.settle(1000);
    expect(tail.on(TOPICS.events).some((x) => x.headers['ce_id'] === mixed[0]['id'])).toBe(false);
  });
});

describe('handshake', () => {
  it('answers platform.events.validatesubscription with 2xx and publishes nothing', async () => {
    const sample = loadSamples().find((s) => s.name.includes('validatesubscription'));
    expect(sample).toBeDefined();
    const id = randomUUID();
    const body = { ...(sample?.body as object), id };
    const res = await post(hook(), JSON.stringify(body));
    expect(res.status).toBe(200);
    await tail.settle(1000);
    expect(tail.messages.some((m) => m.headers['ce_id'] === id || m.value?.toString().includes(id))).toBe(
      false,
    );
  });
});

describe('duplicates', () => {
  it('publishes a retried event (same source + id) once and answers 2xx both times', async () => {
    const event = freshEvent();
    const first = await post(hook(), JSON.stringify(event));
    const second = await post(hook(), JSON.stringify(event));
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(((await second.json()) as { status: string }).status).toBe('duplicate');
    await tail.waitFor((m) => m.some((x) => x.headers['ce_id'] === event['id']));
    await tail.settle(1000);
    expect(tail.on(TOPICS.events).filter((x) => x.headers['ce_id'] === event['id'])).toHaveLength(1);
  });
});

describe('duplicates inside one batch', () => {
  it('publishes an event repeated inside a batch once and counts the repeat as a duplicate', async () => {
    const event = freshEvent();
    const res = await post(hook(), JSON.stringify([event, event]), 'application/cloudevents-batch+json');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ published: 1, duplicates: 1 });
    await tail.waitFor((m) => m.some((x) => x.headers['ce_id'] === event['id']));
    await tail.settle(800);
    expect(tail.on(TOPICS.events).filter((x) => x.headers['ce_id'] === event['id'])).toHaveLength(1);
  });
});

describe('rejections publish nothing on the event topic', () => {
  async function expectNothingPublished(marker: string): Promise<void> {
    await tail.settle(800);
    expect(tail.on(TOPICS.events).some((m) => m.headers['ce_id'] === marker)).toBe(false);
  }

  it.each([
    ['a wrong token', () => `${gateway.url}/altinn/events/${'x'.repeat(48)}`],
    ['no token', () => `${gateway.url}/altinn/events`],
    ['a wrong code', () => `${gateway.url}/altinn/events?code=nope`],
    ['the token in a header instead of the URL', () => `${gateway.url}/altinn/events`],
  ])('401 for %s, with no hint', async (_name, url) => {
    const event = freshEvent();
    const res = await post(url(), JSON.stringify(event), 'application/json', {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401 });
    await expectNothingPublished(event['id'] as string);
  });

  it('401 for a source address outside the allow-list (X-Forwarded-For through one trusted proxy)', async () => {
    const event = freshEvent();
    const denied = await post(hook(), JSON.stringify(event), 'application/json', {
      'x-forwarded-for': '203.0.113.9',
    });
    expect(denied.status).toBe(401);
    await expectNothingPublished(event['id'] as string);
    const allowed = await post(hook(), JSON.stringify(event), 'application/json', {
      'x-forwarded-for': '10.1.2.3',
    });
    expect(allowed.status).toBe(200);
  });

  it('trusts only the hops it is told to: an address the client put in front of X-Forwarded-For is ignored', async () => {
    const event = freshEvent();
    // The client claims 10.1.2.3; the one trusted proxy appends the address it saw, 203.0.113.9.
    const spoofed = await post(hook(), JSON.stringify(event), 'application/json', {
      'x-forwarded-for': '10.1.2.3, 203.0.113.9',
    });
    expect(spoofed.status).toBe(401);
    await expectNothingPublished(event['id'] as string);
  });

  it('415 for an unsupported content type', async () => {
    const event = freshEvent();
    const res = await post(hook(), JSON.stringify(event), 'text/plain');
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    await expectNothingPublished(event['id'] as string);
  });

  it('413 for a body over the limit', async () => {
    const event = freshEvent({ padding: 'x'.repeat(5000) });
    const res = await post(hook(), JSON.stringify(event));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { title: string }).title).toBe('Payload Too Large');
    await expectNothingPublished(event['id'] as string);
  });

  it('400 for malformed JSON, and the raw body is kept on the quarantine topic', async () => {
    const marker = randomUUID();
    const raw = `{"id":"${marker}", "specversion": "1.0",`;
    const res = await post(hook(), raw);
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { violations: { path: string; reason: string }[] };
    expect(problem.violations[0].reason).toMatch(/malformed JSON/);
    const q = await tail.waitFor((m) =>
      m.some((x) => x.topic === TOPICS.quarantine && x.value?.toString() === raw),
    );
    expect(q.length).toBeGreaterThan(0);
    await expectNothingPublished(marker);
  });

  it('400 naming every violation of an invalid event, which is quarantined verbatim', async () => {
    const event = freshEvent({
      resource: 'urn:altinn:resource:UPPER',
      resourceinstance: 'nope',
      time: 'yesterday',
      subject: '/person/123',
      data: { Role: 'Boss' },
    });
    const raw = JSON.stringify(event);
    const res = await post(hook(), raw);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { status: number; violations: { path: string }[] };
    expect(problem.status).toBe(400);
    expect(problem.violations.map((v) => v.path).sort()).toEqual(
      expect.arrayContaining(['data.Role', 'resource', 'resourceinstance', 'subject', 'time']),
    );
    await tail.waitFor((m) => m.some((x) => x.topic === TOPICS.quarantine && x.value?.toString() === raw));
    await expectNothingPublished(event['id'] as string);
  });

  it('quarantines an invalid body once however often Altinn retries it, and answers every retry with the same 400', async () => {
    const raw = JSON.stringify(freshEvent({ time: 'not a time' }));
    const repeatsBefore = await counter('gateway_quarantine_repeats_total');
    // Altinn Events retries every non-2xx answer: 1 attempt + 11 retries over about 1.5 days.
    for (let attempt = 1; attempt <= 12; attempt++) {
      const res = await post(hook(), raw);
      const problem = (await res.json()) as { violations: { path: string }[] };
      expect({ attempt, status: res.status, paths: problem.violations.map((v) => v.path) }).toEqual({
        attempt,
        status: 400,
        paths: ['time'],
      });
    }
    const copies = (await tail.caughtUp()).filter(
      (x) => x.topic === TOPICS.quarantine && x.value?.toString() === raw,
    );
    expect(copies).toHaveLength(1);
    expect((await counter('gateway_quarantine_repeats_total')) - repeatsBefore).toBe(11);
  });
});

/** A counter without labels of its own (the service label aside). */
async function counter(name: string): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('operations', () => {
  it('exposes liveness, readiness and Prometheus metrics of what happened', async () => {
    expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { kafka: true } });
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(
      /gateway_requests_total\{outcome="published",type="no.altinn.broker.published"[^}]*\} \d+/,
    );
    expect(metrics).toMatch(/gateway_requests_total\{outcome="unauthorized"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_duplicates_total\{[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_quarantined_total\{[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_handshakes_total\{[^}]*\} [1-9]/);
    expect(metrics).toContain('gateway_publish_duration_seconds_bucket');
    expect(metrics).toContain('gateway_requests_in_flight');
  });

  it('writes structured JSON logs carrying event id, type and file transfer id', async () => {
    const event = freshEvent();
    expect((await post(hook(), JSON.stringify(event))).status).toBe(200);
    const lines = () =>
      gateway
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Logs are written asynchronously: give the line a moment to arrive.
    await until('the log line', async () => lines().some((l) => l['eventId'] === event['id']), 5000);
    const line = lines().find((l) => l['eventId'] === event['id']);
    expect(line).toMatchObject({
      level: 'info',
      service: 'gateway',
      type: 'no.altinn.broker.published',
      fileTransferId: event['resourceinstance'],
    });
  });
});

describe('configuration', () => {
  it('refuses to start, naming every bad variable', async () => {
    const { code, output } = await runGatewayToExit({
      KAFKA_BROKERS: '',
      WEBHOOK_TOKENS: 'tiny-secret-xyz',
      PORT: 'http',
      ALLOWED_SOURCE_CIDRS: '10.0.0.0/99',
    });
    expect(code).toBe(78);
    for (const v of ['KAFKA_BROKERS', 'WEBHOOK_TOKENS', 'PORT', 'ALLOWED_SOURCE_CIDRS'])
      expect(output).toContain(v);
    expect(output).not.toContain('tiny-secret-xyz');
  });
});
