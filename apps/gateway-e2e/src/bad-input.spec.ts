/**
 * A corpus of hostile and broken requests. Each has the status it must get; after all of them, nothing
 * that was refused is on the event topic, everything that was accepted is there exactly once, and the
 * gateway is still healthy. Then property-based fuzzing with a bounded number of runs.
 */
import { TOPICS } from '@broker-events/contracts';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { TopicTail } from '@broker-events/messaging/testing';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { type GatewayProcess, startGatewayProcess } from './support/gateway-process';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const TOKEN = 'corpus-token-' + 'd'.repeat(40);
const LIMIT = 65536;

let gateway: GatewayProcess;
let tail: TopicTail;

beforeAll(async () => {
  tail = await TopicTail.start(brokers, [TOPICS.events]);
  gateway = await startGatewayProcess({
    KAFKA_BROKERS: brokers,
    WEBHOOK_TOKENS: TOKEN,
    BODY_LIMIT_BYTES: String(LIMIT),
    REQUEST_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'warn',
  });
}, 60_000);

afterAll(async () => {
  await tail?.stop();
  expect(await gateway?.stop()).toBe(0);
}, 30_000);

const valid = (overrides: Record<string, unknown> = {}) => sampleEventBody(overrides);

function without(key: string): Record<string, unknown> {
  const e = valid();
  delete e[key];
  return e;
}

interface Case {
  name: string;
  status: number;
  /** Marker that must (2xx) or must not (otherwise) appear on the event topic. */
  marker: string;
  body: string | Buffer;
  contentType?: string | null;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
}

const cases: Case[] = [];
function add(
  name: string,
  status: number,
  make: (marker: string) => Omit<Case, 'name' | 'status' | 'marker'>,
): void {
  const marker = randomUUID();
  cases.push({ name, status, marker, ...make(marker) });
}
const json = (o: unknown) => JSON.stringify(o);
const withId = (marker: string, overrides: Record<string, unknown> = {}) =>
  json(valid({ id: marker, ...overrides }));

// Malformed and truncated JSON
add('unclosed object', 400, (m) => ({ body: `{"id":"${m}"` }));
add('truncated sample', 400, (m) => ({ body: withId(m).slice(0, 120) }));
add('trailing garbage', 400, (m) => ({ body: withId(m) + 'x' }));
add('two objects', 400, (m) => ({ body: withId(m) + withId(m) }));
add('empty body', 400, () => ({ body: '' }));
add('whitespace only', 400, () => ({ body: '   \n ' }));
add('JSON null', 400, () => ({ body: 'null' }));
add('JSON string', 400, (m) => ({ body: json(m) }));
add('JSON number', 400, () => ({ body: '42' }));
add('JSON array with application/json', 400, (m) => ({ body: json([valid({ id: m })]) }));
add('single quotes', 400, (m) => ({ body: withId(m).replace(/"/g, "'") }));
add('byte order mark', 400, (m) => ({
  body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(withId(m))]),
}));
// Deep nesting
add('data nested 5,000 deep', 400, (m) => ({
  body: withId(m, { data: 'DEEP' }).replace('"DEEP"', '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)),
}));
add('arrays nested 30,000 deep', 400, () => ({ body: '['.repeat(30000) + ']'.repeat(30000) }));
add('data nested 40 deep', 400, (m) => ({
  body: withId(m, { data: JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)) }),
}));
// Huge strings and oversized bodies
add('body just over the limit', 413, (m) => ({ body: withId(m, { padding: 'x'.repeat(LIMIT) }) }));
add('1 MiB body', 413, (m) => ({ body: withId(m, { padding: 'x'.repeat(1 << 20) }) }));
add('huge subject', 400, (m) => ({
  body: withId(m, { subject: 'urn:altinn:organization:identifier-no:' + '3'.repeat(30000) }),
}));
add('huge type', 400, (m) => ({ body: withId(m, { type: 'no.altinn.broker.' + 'a'.repeat(30000) + '!' }) }));
// Wrong types
add('specversion as number', 400, (m) => ({ body: withId(m, { specversion: 1.0 }) }));
add('id as number', 400, () => ({ body: json(valid({ id: 12345 })) }));
add('type as array', 400, (m) => ({ body: withId(m, { type: ['no.altinn.broker.published'] }) }));
add('time as number', 400, (m) => ({ body: withId(m, { time: 1732698000 }) }));
add('data as string', 400, (m) => ({ body: withId(m, { data: 'Recipient' }) }));
add('data.Role as number', 400, (m) => ({ body: withId(m, { data: { Role: 1 } }) }));
add('data.Role unknown', 400, (m) => ({ body: withId(m, { data: { Role: 'Admin' } }) }));
add('subject as object', 400, (m) => ({ body: withId(m, { subject: { org: '312000008' } }) }));
add('source as boolean', 400, (m) => ({ body: withId(m, { source: true }) }));
// Prototype pollution keys
add('__proto__ at top level', 400, (m) => ({
  body: withId(m).replace(/^\{/, '{"__proto__":{"polluted":true},'),
}));
add('constructor at top level', 400, (m) => ({
  body: withId(m).replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},'),
}));
add('__proto__ inside data', 400, (m) => ({
  body: withId(m, { data: { Role: 'Sender' } }).replace('"Role"', '"__proto__":{"x":1},"Role"'),
}));
// CR/LF and NUL
add('CRLF in id (header injection)', 400, (m) => ({
  body: json(valid({ id: `${m}\r\nBcc: victim@example.com` })),
}));
add('LF in subject', 400, (m) => ({
  body: withId(m, { subject: 'urn:altinn:organization:identifier-no:312000008\n' }),
}));
add('NUL in type', 400, (m) => ({ body: withId(m, { type: 'no.altinn.broker.published\u0000' }) }));
add('NUL in source', 400, (m) => ({ body: withId(m, { source: 'https://platform.tt02.altinn.no/\u0000' }) }));
add('C1 control in id', 400, (m) => ({ body: json(valid({ id: `${m}\u0085` })) }));
add('unpaired surrogate in id', 400, (m) => ({
  body: json(valid({ id: m })).replace(`"${m}"`, `"${m}\\ud800"`),
}));
// HTML and Slack markup: fine as an opaque id, refused where a format applies
add('HTML in id (accepted, escaped downstream)', 200, (m) => ({
  body: json(valid({ id: `${m}<script>alert(1)</script>` })),
}));
add('Slack markup in id (accepted, escaped downstream)', 200, (m) => ({
  body: json(valid({ id: `${m} <!channel> *bold* <https://evil.example|click>` })),
}));
add('HTML in resource', 400, (m) => ({ body: withId(m, { resource: 'urn:altinn:resource:<b>x</b>' }) }));
add('Slack markup in subject', 400, (m) => ({ body: withId(m, { subject: '<!here> 312000008' }) }));
// Invalid UTF-8
add('invalid UTF-8 sequence', 400, (m) => ({
  body: Buffer.concat([Buffer.from(`{"id":"${m}`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
}));
add('overlong UTF-8 encoding', 400, (m) => ({
  body: Buffer.concat([
    Buffer.from(withId(m).slice(0, -1) + ',"x":"'),
    Buffer.from([0xc0, 0xaf]),
    Buffer.from('"}'),
  ]),
}));
add('UTF-16 body', 400, (m) => ({ body: Buffer.from(withId(m), 'utf16le') }));
// Content types
add('text/plain', 415, (m) => ({ body: withId(m), contentType: 'text/plain' }));
add('application/xml', 415, (m) => ({ body: withId(m), contentType: 'application/xml' }));
add('no content type', 415, (m) => ({ body: withId(m), contentType: null }));
add('form encoded', 415, (m) => ({ body: `id=${m}`, contentType: 'application/x-www-form-urlencoded' }));
add('multipart', 415, (m) => ({ body: withId(m), contentType: 'multipart/form-data; boundary=x' }));
add('application/jsonx', 415, (m) => ({ body: withId(m), contentType: 'application/jsonx' }));
add('upper-case media type', 200, (m) => ({ body: withId(m), contentType: 'APPLICATION/JSON' }));
add('batch that is an object', 400, (m) => ({
  body: withId(m),
  contentType: 'application/cloudevents-batch+json',
}));
add('empty batch', 400, () => ({ body: '[]', contentType: 'application/cloudevents-batch+json' }));
add('batch over the event limit', 400, (m) => ({
  body: json(Array.from({ length: 101 }, () => valid({ id: m }))),
  contentType: 'application/cloudevents-batch+json',
}));
// Missing and extra attributes
add('missing id', 400, () => ({ body: json(without('id')) }));
add('missing source', 400, (m) => ({ body: json({ ...without('source'), id: m }) }));
add('missing type', 400, (m) => ({ body: json({ ...without('type'), id: m }) }));
add('missing specversion', 400, (m) => ({ body: json({ ...without('specversion'), id: m }) }));
add('specversion 0.3', 400, (m) => ({ body: withId(m, { specversion: '0.3' }) }));
add('Broker event without resource', 400, (m) => ({ body: json({ ...without('resource'), id: m }) }));
add('Broker event without resourceinstance', 400, (m) => ({
  body: json({ ...without('resourceinstance'), id: m }),
}));
add('not a Broker type', 400, (m) => ({ body: withId(m, { type: 'com.example.order.created' }) }));
add('valid extension attribute (accepted)', 200, (m) => ({
  body: withId(m, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }),
}));
add('extension name with upper case and dash', 400, (m) => ({ body: withId(m, { 'Trace-Parent': 'x' }) }));
// Dates
add('time in 1900 (valid RFC 3339, accepted)', 200, (m) => ({
  body: withId(m, { time: '1900-01-01T00:00:00Z' }),
}));
add('time in 9999 (valid RFC 3339, accepted)', 200, (m) => ({
  body: withId(m, { time: '9999-12-31T23:59:59Z' }),
}));
add('time with six-digit year', 400, (m) => ({ body: withId(m, { time: '+275760-09-13T00:00:00Z' }) }));
add('time on 30 February', 400, (m) => ({ body: withId(m, { time: '2026-02-30T00:00:00Z' }) }));
add('time without zone', 400, (m) => ({ body: withId(m, { time: '2026-11-20T09:00:12' }) }));
add('time as a date only', 400, (m) => ({ body: withId(m, { time: '2026-11-20' }) }));
// Tokens
add('wrong token', 401, (m) => ({ body: withId(m), path: `/altinn/events/${'e'.repeat(53)}` }));
add('token in Authorization header only', 401, (m) => ({
  body: withId(m),
  path: '/altinn/events',
  headers: { authorization: `Bearer ${TOKEN}` },
}));
add('token in a custom header only', 401, (m) => ({
  body: withId(m),
  path: '/altinn/events',
  headers: { 'x-token': TOKEN },
}));
add('token in another query parameter', 401, (m) => ({
  body: withId(m),
  path: `/altinn/events?token=${TOKEN}`,
}));
add('token in upper case', 401, (m) => ({ body: withId(m), path: `/altinn/events/${TOKEN.toUpperCase()}` }));
add('token with a trailing segment', 401, (m) => ({ body: withId(m), path: `/altinn/events/${TOKEN}/x` }));
add('token twice in the query', 401, (m) => ({
  body: withId(m),
  path: `/altinn/events?code=${TOKEN}&code=${TOKEN}`,
}));
add('token prefix', 401, (m) => ({ body: withId(m), path: `/altinn/events/${TOKEN.slice(0, -1)}` }));
add('GET with a valid token', 405, () => ({ body: '', method: 'GET' }));
add('PUT with a valid token', 405, (m) => ({ body: withId(m), method: 'PUT' }));

async function send(c: Case): Promise<Response> {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.contentType !== null) headers['content-type'] = c.contentType ?? 'application/json';
  const method = c.method ?? 'POST';
  return fetch(gateway.url + (c.path ?? `/altinn/events/${TOKEN}`), {
    method,
    headers,
    body: method === 'GET' ? undefined : c.body,
  });
}

describe('bad-input corpus', () => {
  it('has at least 60 hostile or broken requests', () => {
    expect(cases.filter((c) => c.status >= 400).length).toBeGreaterThanOrEqual(60);
  });

  it('answers each with its expected status, problem+json for every refusal, and publishes only what it accepts', async () => {
    const got: { name: string; status: number }[] = [];
    for (const c of cases) {
      const res = await send(c);
      got.push({ name: c.name, status: res.status });
      if (res.status >= 400) {
        expect({ name: c.name, type: res.headers.get('content-type') }).toEqual({
          name: c.name,
          type: expect.stringContaining('application/problem+json'),
        });
        const problem = (await res.json()) as { status: number; title: string };
        expect(problem.status).toBe(res.status);
        expect(JSON.stringify(problem)).not.toContain(TOKEN);
      } else {
        await res.arrayBuffer();
      }
    }
    expect(got).toEqual(cases.map((c) => ({ name: c.name, status: c.status })));

    const accepted = cases.filter((c) => c.status < 300);
    await tail.waitFor((m) =>
      accepted.every((c) => m.some((x) => (x.headers['ce_id'] ?? '').startsWith(c.marker))),
    );
    await tail.settle(1500);
    for (const c of cases) {
      const hits = tail.messages.filter(
        (x) =>
          (x.headers['ce_id'] ?? '').includes(c.marker) ||
          (x.value?.toString('latin1') ?? '').includes(c.marker),
      );
      expect({ name: c.name, published: hits.length }).toEqual({
        name: c.name,
        published: c.status < 300 ? 1 : 0,
      });
    }
  }, 120_000);

  it('drops a slow client after the request timeout and keeps serving others', async () => {
    const socket = connect(gateway.port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(
      `POST /altinn/events/${TOKEN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"id":`,
    );
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    // Meanwhile, others are served.
    expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  }, 30_000);

  it('stays live and ready after all of it', async () => {
    expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
    expect(gateway.child.exitCode).toBeNull();
  });
});

describe('property-based fuzzing of the endpoint', () => {
  it('never answers 5xx or anything but 200/400 to arbitrary JSON, and stays healthy', async () => {
    const attribute = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.dictionary(fc.string(), fc.string()),
    );
    const mutated = fc.record({
      key: fc.constantFrom(
        'specversion',
        'id',
        'source',
        'type',
        'time',
        'subject',
        'resource',
        'resourceinstance',
        'data',
        'alternativesubject',
        '__proto__',
        'x',
      ),
      value: attribute,
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), mutated), async (input) => {
        const body =
          input !== null &&
          typeof input === 'object' &&
          'key' in input &&
          'value' in input &&
          Object.keys(input).length === 2
            ? JSON.stringify(valid()).replace(
                /^\{/,
                `{${JSON.stringify(String(input.key))}:${JSON.stringify(input.value) ?? 'null'},`,
              )
            : (JSON.stringify(input) ?? 'null');
        const res = await fetch(`${gateway.url}/altinn/events/${TOKEN}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        return res.status === 200 || res.status === 400;
      }),
      { numRuns: 300 },
    );
    expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
  }, 120_000);
});
