import * as fc from 'fast-check';
import { arbitraryValidEventBody, loadSample, loadSamples, sampleEventBody } from '../testing';
import { AltinnCloudEvent } from './cloud-event';
import { attributesFromEvent, attributesFromHeaders } from './filters';
import {
  HEADERS,
  KafkaHeadersIn,
  KafkaRecord,
  QUARANTINE_VIOLATIONS_MAX_BYTES,
  encodeViolations,
  fromKafkaRecord,
  headerValue,
  quarantineKey,
  quarantineRecord,
  quarantineViolations,
  toKafkaRecord,
} from './kafka';
import { ParseResult, parseCloudEvent } from './parse';
import { TOPICS } from './topics';
import { Violation } from './violation';

const RUNS = { numRuns: 500 };

function parsed(input: unknown): Extract<ParseResult, { ok: true }> {
  const result = parseCloudEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.violations));
  return result;
}

function recordOf(input: unknown): KafkaRecord {
  const { event, canonicalType } = parsed(input);
  return toKafkaRecord(event, canonicalType);
}

function violationsOf(result: ParseResult): Violation[] {
  if (result.ok) throw new Error('expected violations');
  return result.violations;
}

/** What kafkajs hands a consumer: every header value a Buffer. */
function asConsumed(record: KafkaRecord): { key: Buffer; value: Buffer; headers: KafkaHeadersIn } {
  const headers: KafkaHeadersIn = {};
  for (const [k, v] of Object.entries(record.headers)) headers[k] = Buffer.from(v, 'utf8');
  return { key: Buffer.from(record.key), value: record.value, headers };
}

describe('toKafkaRecord', () => {
  it('maps the current published event to binary mode: ce_* headers, data as value, file transfer id as key', () => {
    const record = recordOf(loadSample('current-published-recipient').body);
    expect(record).toEqual({
      topic: 'altinn.broker.events.v1',
      key: 'da4ceacc-ad44-4e54-99b6-b58e3c13c785',
      value: Buffer.from('{"Role":"Recipient"}'),
      headers: {
        ce_specversion: '1.0',
        ce_id: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
        ce_type: 'no.altinn.broker.published',
        ce_time: '2026-11-20T09:00:12.251000Z',
        ce_resource: 'urn:altinn:resource:altinn-broker-test-resource-1',
        ce_resourceinstance: 'da4ceacc-ad44-4e54-99b6-b58e3c13c785',
        ce_source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
        ce_subject: 'urn:altinn:organization:identifier-no:312000008',
        altinn_role: 'Recipient',
        altinn_typeknown: 'true',
        altinn_kind: 'broker',
      },
    });
  });

  it('writes the canonical type and keeps the received spelling in altinn_originaltype', () => {
    const record = recordOf(loadSample('seed-docs-example').body);
    expect(record.headers[HEADERS.type]).toBe('no.altinn.broker.published');
    expect(record.headers[HEADERS.originalType]).toBe('no.altinn.broker.Published');
    expect(record.headers[HEADERS.alternativesubject]).toBe('/organisation/123456789');
    expect(record.headers[HEADERS.role]).toBeUndefined();
    expect(record.value).toHaveLength(0);
  });

  it('maps datacontenttype to content-type (never ce_datacontenttype) and extensions to ce_<name>', () => {
    const record = recordOf(
      sampleEventBody({ datacontenttype: 'application/json', traceparent: 'tp', sampled: true }),
    );
    expect(record.headers['content-type']).toBe('application/json');
    expect(record.headers['ce_datacontenttype']).toBeUndefined();
    expect(record.headers['ce_traceparent']).toBe('tp');
    expect(record.headers['ce_sampled']).toBe('true');
  });

  it('marks unknown Broker types', () => {
    const record = recordOf(sampleEventBody({ type: 'no.altinn.broker.filearchived' }));
    expect(record.headers[HEADERS.typeKnown]).toBe('false');
    expect(record.headers[HEADERS.kind]).toBe('broker-unknown');
  });

  it('keys by the lowercased file transfer id, so letter case never splits a transfer across partitions', () => {
    const record = recordOf(sampleEventBody({ resourceinstance: 'DA4CEACC-AD44-4E54-99B6-B58E3C13C785' }));
    expect(record.key).toBe('da4ceacc-ad44-4e54-99b6-b58e3c13c785');
    expect(record.headers[HEADERS.resourceinstance]).toBe('DA4CEACC-AD44-4E54-99B6-B58E3C13C785');
  });

  it('keys by id when there is no resourceinstance (the handshake)', () => {
    const record = recordOf(loadSample('validatesubscription').body);
    expect(record.key).toBe('6f0c3b1e-8a2d-4c7b-9e5f-1d2c3b4a5e6f');
    expect(record.headers[HEADERS.kind]).toBe('handshake');
  });

  it('throws when canonicalType is not the event’s canonical type, and accepts any letter case of it', () => {
    const { event } = parsed(loadSample('seed-docs-example').body);
    expect(() => toKafkaRecord(event, 'no.altinn.broker.uploadfailed')).toThrow(/is not the canonical type/);
    expect(toKafkaRecord(event, 'no.altinn.broker.Published').headers[HEADERS.type]).toBe(
      'no.altinn.broker.published',
    );
  });
});

describe('fromKafkaRecord', () => {
  it.each(loadSamples().map((s) => [s.name, s.body] as const))('round-trips sample %s', (_name, body) => {
    const original = parsed(body);
    const back = fromKafkaRecord(asConsumed(toKafkaRecord(original.event, original.canonicalType)));
    expect(back).toStrictEqual(original);
  });

  it('round-trips every valid event exactly (type spelling, extensions, data), with string or Buffer headers', () => {
    fc.assert(
      fc.property(arbitraryValidEventBody(), fc.boolean(), (body, buffers) => {
        const original = parsed(body);
        const record = toKafkaRecord(original.event, original.canonicalType);
        const back = fromKafkaRecord(buffers ? asConsumed(record) : record);
        if (!back.ok) throw new Error(JSON.stringify(back.violations));
        expect(back.event).toBeInstanceOf(AltinnCloudEvent);
        expect(back.event).toStrictEqual(original.event);
        expect(back.kind).toBe(original.kind);
        expect(back.canonicalType).toBe(original.canonicalType);
      }),
      RUNS,
    );
  });

  it('gives filters the same attributes from headers alone as from the parsed event', () => {
    fc.assert(
      fc.property(arbitraryValidEventBody(), (body) => {
        const { event, canonicalType } = parsed(body);
        const record = toKafkaRecord(event, canonicalType);
        expect(attributesFromHeaders(asConsumed(record).headers)).toEqual(attributesFromEvent(event));
      }),
      RUNS,
    );
  });

  it('accepts header values in arrays of one (kafkajs repeats) and a null value as no data', () => {
    const record = recordOf(loadSample('seed-docs-example').body);
    const headers: KafkaHeadersIn = {};
    for (const [k, v] of Object.entries(record.headers)) headers[k] = [v];
    const result = fromKafkaRecord({ value: null, headers });
    expect(result.ok && result.event.data).toBeUndefined();
  });

  it('reads structured mode (content-type application/cloudevents+json) too', () => {
    const sample = loadSample('current-published-sender');
    const result = fromKafkaRecord({
      value: Buffer.from(sample.raw),
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    });
    expect(result).toStrictEqual(parseCloudEvent(sample.body));
  });

  function tampered(change: (r: KafkaRecord) => void): ParseResult {
    const record = recordOf(sampleEventBody({ datacontenttype: 'application/json' }));
    change(record);
    return fromKafkaRecord(record);
  }

  it.each<[string, (r: KafkaRecord) => void, string]>([
    ['a value that is not JSON', (r) => (r.value = Buffer.from('{nope')), 'data'],
    ['a value that is a JSON array', (r) => (r.value = Buffer.from('[1]')), 'data'],
    ['a missing ce_id', (r) => delete r.headers['ce_id'], 'id'],
    ['a missing ce_type', (r) => delete r.headers['ce_type'], 'type'],
    [
      'a non-canonical ce_type',
      (r) => (r.headers['ce_type'] = 'no.altinn.broker.Published'),
      'header:ce_type',
    ],
    ['a ce_data header', (r) => (r.headers['ce_data'] = '{}'), 'header:ce_data'],
    [
      'a ce_datacontenttype header',
      (r) => (r.headers['ce_datacontenttype'] = 'application/json'),
      'header:ce_datacontenttype',
    ],
    ['a bad extension header', (r) => (r.headers['ce_Bad'] = 'x'), 'Bad'],
    ['a ce___proto__ header', (r) => (r.headers['ce___proto__'] = 'x'), '__proto__'],
    ['altinn_role disagreeing with data', (r) => (r.headers[HEADERS.role] = 'Sender'), 'header:altinn_role'],
    ['altinn_kind disagreeing', (r) => (r.headers[HEADERS.kind] = 'handshake'), 'header:altinn_kind'],
    [
      'altinn_typeknown disagreeing',
      (r) => (r.headers[HEADERS.typeKnown] = 'false'),
      'header:altinn_typeknown',
    ],
    [
      'altinn_originaltype not matching ce_type',
      (r) => (r.headers[HEADERS.originalType] = 'no.altinn.broker.UploadFailed'),
      'header:altinn_originaltype',
    ],
    ['a text content-type', (r) => (r.headers['content-type'] = 'text/plain'), 'datacontenttype'],
  ])('rejects %s', (_name, change, path) => {
    expect(violationsOf(tampered(change)).map((v) => v.path)).toContain(path);
  });

  it('rejects a header repeated with different values, but not one repeated with the same value', () => {
    const record = recordOf(sampleEventBody());
    const headers: KafkaHeadersIn = { ...record.headers, ce_subject: ['/party/1', '/party/2'] };
    expect(violationsOf(fromKafkaRecord({ value: record.value, headers })).map((v) => v.path)).toContain(
      'header:ce_subject',
    );
    const same: KafkaHeadersIn = {
      ...record.headers,
      ce_id: [record.headers['ce_id'], record.headers['ce_id']],
    };
    expect(fromKafkaRecord({ value: record.value, headers: same }).ok).toBe(true);
  });

  it('rejects batched structured mode and invalid structured JSON', () => {
    expect(
      violationsOf(
        fromKafkaRecord({ value: '[]', headers: { 'content-type': 'application/cloudevents-batch+json' } }),
      ),
    ).toEqual([{ path: 'header:content-type', reason: 'batched CloudEvents are not supported' }]);
    expect(
      violationsOf(
        fromKafkaRecord({ value: 'x', headers: { 'content-type': 'application/cloudevents+json' } }),
      )[0].reason,
    ).toMatch(/not valid JSON/);
  });

  it('rejects a record without headers', () => {
    expect(violationsOf(fromKafkaRecord({ value: Buffer.from('{}') })).map((v) => v.path)).toEqual(
      expect.arrayContaining(['specversion', 'id', 'source', 'type']),
    );
  });

  it('never throws on arbitrary records', () => {
    const headerValue = fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.constant(undefined),
    );
    const headerName = fc.oneof(
      fc.constantFrom(...Object.values(HEADERS), 'ce___proto__', 'ce_constructor', '__proto__', 'ce_data'),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(headerName, headerValue, { maxKeys: 8 }),
        fc.oneof(
          fc.constant(null),
          fc.string(),
          fc.json().map((j) => Buffer.from(j)),
        ),
        (headers, value) => {
          const result = fromKafkaRecord({ value, headers });
          expect(typeof result.ok).toBe('boolean');
          expect(Object.prototype).not.toHaveProperty('polluted');
        },
      ),
      RUNS,
    );
  });
});

describe('headerValue', () => {
  it.each<[string, KafkaHeadersIn | undefined, string | undefined]>([
    ['a string', { ce_id: 'a' }, 'a'],
    ['a Buffer', { ce_id: Buffer.from('æ') }, 'æ'],
    ['an array of equal values', { ce_id: ['a', Buffer.from('a')] }, 'a'],
    ['an array of different values', { ce_id: ['a', 'b'] }, undefined],
    ['an empty array', { ce_id: [] }, undefined],
    ['an undefined value', { ce_id: undefined }, undefined],
    ['another name only', { CE_ID: 'a' }, undefined],
    ['an inherited property', Object.create({ ce_id: 'a' }) as KafkaHeadersIn, undefined],
    ['no headers', undefined, undefined],
  ])('reads %s', (_name, headers, expected) => {
    expect(headerValue(headers, 'ce_id')).toBe(expected);
  });
});

describe('quarantineRecord', () => {
  const raw = Buffer.from('{"specversion":"0.3"}');
  const violations: Violation[] = [{ path: 'specversion', reason: 'must be "1.0"' }];

  it('keeps the raw bytes and puts violations and request metadata in headers', () => {
    const record = quarantineRecord(raw, violations, {
      receivedAt: '2026-11-20T09:00:00.000Z',
      contentType: 'application/json; charset=utf-8',
      remoteAddress: '20.100.24.41',
    });
    expect(record.topic).toBe(TOPICS.quarantine);
    expect(record.value.equals(raw)).toBe(true);
    expect(record.headers).toEqual({
      quarantine_violations: JSON.stringify(violations),
      quarantine_violationcount: '1',
      quarantine_receivedat: '2026-11-20T09:00:00.000Z',
      quarantine_contenttype: 'application/json; charset=utf-8',
      quarantine_remoteaddress: '20.100.24.41',
    });
    expect(quarantineViolations(record.headers)).toEqual(violations);
  });

  it('leaves out metadata it was not given', () => {
    const record = quarantineRecord(raw, violations, { receivedAt: 'now' });
    expect(Object.keys(record.headers).sort()).toEqual([
      'quarantine_receivedat',
      'quarantine_violationcount',
      'quarantine_violations',
    ]);
  });

  it('keys by a deterministic hash of the bytes', () => {
    const key = quarantineRecord(raw, violations, { receivedAt: 'x' }).key;
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(quarantineRecord(Buffer.from(raw), [], { receivedAt: 'y' }).key).toBe(key);
    expect(quarantineKey(Buffer.from('{"specversion":"0.4"}'))).not.toBe(key);
    expect(quarantineKey(Buffer.alloc(0))).toMatch(/^[0-9a-f]{16}$/);
  });

  it('has no collisions across a few thousand different bodies', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 5000; i++) keys.add(quarantineKey(Buffer.from(`{"id":"${i}"}`)));
    expect(keys.size).toBe(5000);
  });

  it('cuts a huge violation list to a bounded, still valid JSON header that says how many were left out', () => {
    const many: Violation[] = Array.from({ length: 2000 }, (_, i) => ({
      path: `p${i}`,
      reason: 'r'.repeat(500),
    }));
    const header = quarantineRecord(raw, many, { receivedAt: 'x' }).headers[HEADERS.quarantineViolations];
    expect(Buffer.byteLength(header)).toBeLessThanOrEqual(QUARANTINE_VIOLATIONS_MAX_BYTES);
    const decoded = JSON.parse(header) as Violation[];
    expect(decoded[decoded.length - 1].reason).toMatch(/^\d+ more violation\(s\) not shown$/);
    expect(decoded.length - 1 + Number(/^(\d+)/.exec(decoded[decoded.length - 1].reason)?.[1])).toBe(2000);
    expect(decoded[0].reason.length).toBeLessThanOrEqual(301);
  });

  it('encodeViolations leaves a small list alone and survives multi-byte text', () => {
    expect(encodeViolations(violations)).toBe(JSON.stringify(violations));
    const wide = Array.from({ length: 200 }, () => ({ path: 'æ', reason: '😀'.repeat(100) }));
    expect(Buffer.byteLength(encodeViolations(wide, 1000))).toBeLessThanOrEqual(1000);
  });

  it('quarantineViolations returns [] for missing or unreadable headers', () => {
    expect(quarantineViolations(undefined)).toEqual([]);
    expect(quarantineViolations({ quarantine_violations: 'nope' })).toEqual([]);
    expect(quarantineViolations({ quarantine_violations: '{"a":1}' })).toEqual([]);
    expect(
      quarantineViolations({ quarantine_violations: Buffer.from('[{"path":"a","reason":"b"},{"x":1}]') }),
    ).toEqual([{ path: 'a', reason: 'b' }]);
  });
});
