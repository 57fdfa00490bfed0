import { validateSync } from 'class-validator';
import * as fc from 'fast-check';
import { arbitraryJsonish, arbitraryValidEventBody, loadSample, sampleEventBody } from '../testing';
import { ATTRIBUTE_NAMES, MAX_DATA_DEPTH } from './attribute-rules';
import { AltinnCloudEvent, extensionAttributes } from './cloud-event';
import { eventRole, fileTransferId, organisationNumber, parseCloudEvent } from './parse';
import { Violation } from './violation';

const RUNS = { numRuns: 500 };

function violationsOf(input: unknown): Violation[] {
  const result = parseCloudEvent(input);
  if (result.ok) throw new Error(`expected violations, got a valid ${result.kind} event`);
  return result.violations;
}

function pathsOf(input: unknown): string[] {
  return violationsOf(input).map((v) => v.path);
}

function parsed(input: unknown): Extract<ReturnType<typeof parseCloudEvent>, { ok: true }> {
  const result = parseCloudEvent(input);
  if (!result.ok) throw new Error(`expected a valid event, got ${JSON.stringify(result.violations)}`);
  return result;
}

describe('parseCloudEvent: valid events', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['the current Broker form', {}],
    [
      'legacy subject and alternativesubject',
      { subject: '/organisation/312000008', alternativesubject: '/party/50015641' },
    ],
    ['a person subject', { subject: 'urn:altinn:person:identifier-no:01017012345' }],
    ['a party subject', { subject: '/party/50015641' }],
    ['no time', { time: undefined }],
    ['time without fraction', { time: '2026-11-20T09:00:12Z' }],
    ['time with 7 fraction digits (.NET)', { time: '2026-11-20T09:00:12.2500000Z' }],
    ['time with 9 fraction digits', { time: '2026-11-20T09:00:12.250000001Z' }],
    ['time with an offset', { time: '2026-11-20T10:00:12.25+01:00' }],
    ['time with lowercase t and z', { time: '2026-11-20t09:00:12z' }],
    ['time on 29 February of a leap year', { time: '2024-02-29T00:00:00Z' }],
    ['no data', { data: undefined }],
    ['data without Role', { data: { Other: 1 } }],
    ['data with more keys', { data: { Role: 'Sender', nested: { list: [1, 'two', null, true] } } }],
    ['a JSON datacontenttype', { datacontenttype: 'application/json; charset=utf-8' }],
    ['a +json datacontenttype', { datacontenttype: 'application/problem+json' }],
    ['an absolute dataschema', { dataschema: 'https://example.com/schema.json' }],
    ['an upper-case resourceinstance UUID', { resourceinstance: 'DA4CEACC-AD44-4E54-99B6-B58E3C13C785' }],
    ['a relative source', { source: '/broker/api/v1/filetransfer' }],
    ['a URN source', { source: 'urn:altinn:broker' }],
    ['an extension attribute', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }],
    ['a 64-character extension name', { ['x'.repeat(64)]: 'ok' }],
    ['an empty extension value', { comment: '' }],
    ['a null optional attribute (treated as absent)', { time: null, alternativesubject: null }],
    ['the retired filedeleted type', { type: 'no.altinn.broker.filedeleted' }],
    ['a resource id with URN punctuation', { resource: 'urn:altinn:resource:a_b.c(1)+$!' }],
    ['non-ASCII in id', { id: 'hendelse-æøå-😀' }],
  ];
  it.each(cases)('accepts %s', (_name, overrides) => {
    const result = parsed(sampleEventBody(overrides));
    expect(result.kind).toBe('broker');
    expect(result.event).toBeInstanceOf(AltinnCloudEvent);
  });

  it('keeps the received type and gives the canonical lowercase type for the docs spelling', () => {
    const result = parsed(sampleEventBody({ type: 'no.altinn.broker.Published' }));
    expect(result.event.type).toBe('no.altinn.broker.Published');
    expect(result.canonicalType).toBe('no.altinn.broker.published');
    expect(result.kind).toBe('broker');
  });

  it('accepts an unknown no.altinn.broker.* type as broker-unknown', () => {
    const result = parsed(sampleEventBody({ type: 'no.altinn.broker.FileArchived' }));
    expect(result.kind).toBe('broker-unknown');
    expect(result.canonicalType).toBe('no.altinn.broker.filearchived');
  });

  it('accepts the handshake with only the core attributes', () => {
    const result = parsed(loadSample('validatesubscription').body);
    expect(result.kind).toBe('handshake');
    expect(result.canonicalType).toBe('platform.events.validatesubscription');
  });

  it('does not apply Broker rules to the handshake', () => {
    const body = { ...(loadSample('validatesubscription').body as object), data: ['anything'], subject: 'x' };
    expect(parsed(body).kind).toBe('handshake');
  });

  it('drops null attributes and keeps nothing undefined as an own property', () => {
    const { event } = parsed(sampleEventBody({ time: null, data: null }));
    expect(Object.keys(event)).not.toContain('time');
    expect(Object.keys(event)).not.toContain('data');
    expect(Object.values(event)).not.toContain(undefined);
  });

  it('normalises boolean and integer extension values to strings', () => {
    const { event } = parsed(sampleEventBody({ sampled: true, attempt: 3 }));
    expect(extensionAttributes(event)).toEqual({ sampled: 'true', attempt: '3' });
  });

  it('gives back the wire form: JSON.stringify(event) equals the body, key order included', () => {
    const sample = loadSample('current-published-recipient');
    expect(JSON.stringify(parsed(sample.body).event)).toBe(JSON.stringify(sample.body));
  });

  it('shares no objects with the input', () => {
    const body = sampleEventBody({ data: { Role: 'Recipient', nested: { a: 1 } } });
    const { event } = parsed(body);
    (body['data'] as { nested: { a: number } }).nested.a = 2;
    expect(event.data).toEqual({ Role: 'Recipient', nested: { a: 1 } });
  });

  it('re-validates an AltinnCloudEvent instance', () => {
    const { event } = parsed(sampleEventBody());
    expect(parsed(event).event).toStrictEqual(event);
  });
});

describe('parseCloudEvent: invalid events', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['missing specversion', { specversion: undefined }, 'specversion'],
    ['specversion 0.3', { specversion: '0.3' }, 'specversion'],
    ['numeric specversion', { specversion: 1.0 }, 'specversion'],
    ['missing id', { id: undefined }, 'id'],
    ['empty id', { id: '' }, 'id'],
    ['numeric id', { id: 42 }, 'id'],
    ['id with a newline', { id: 'a\nb' }, 'id'],
    ['id with an unpaired surrogate', { id: 'a\uD800b' }, 'id'],
    ['id with a noncharacter', { id: 'a\uFFFEb' }, 'id'],
    ['missing source', { source: undefined }, 'source'],
    ['source with a space', { source: 'https://platform altinn no' }, 'source'],
    ['source with a bad scheme', { source: '1http://x' }, 'source'],
    ['source with a bad percent-escape', { source: 'https://x/%zz' }, 'source'],
    ['missing type', { type: undefined }, 'type'],
    ['empty type', { type: '' }, 'type'],
    ['a non-Broker type', { type: 'com.example.something' }, 'type'],
    ['the bare Broker prefix', { type: 'no.altinn.broker.' }, 'type'],
    ['a Broker type with a space', { type: 'no.altinn.broker.pub lished' }, 'type'],
    ['a Broker type with trailing space', { type: 'no.altinn.broker.published ' }, 'type'],
    ['time without offset', { time: '2026-11-20T09:00:12' }, 'time'],
    ['time as prose', { time: 'yesterday' }, 'time'],
    ['time as a number', { time: 1732093212 }, 'time'],
    ['time on 30 February', { time: '2026-02-30T00:00:00Z' }, 'time'],
    ['time on 29 February of a common year', { time: '2026-02-29T00:00:00Z' }, 'time'],
    ['hour 24', { time: '2026-11-20T24:00:00Z' }, 'time'],
    ['a leap second', { time: '2026-12-31T23:59:60Z' }, 'time'],
    ['10 fraction digits', { time: '2026-11-20T09:00:12.2500000001Z' }, 'time'],
    ['a date only', { time: '2026-11-20' }, 'time'],
    ['missing resource', { resource: undefined }, 'resource'],
    ['upper-case resource', { resource: 'urn:altinn:resource:Altinn-Broker' }, 'resource'],
    ['a URN that is not a resource', { resource: 'urn:altinn:app:ttd' }, 'resource'],
    ['a resource that is not a URN', { resource: 'altinn-broker-test-resource-1' }, 'resource'],
    ['missing resourceinstance', { resourceinstance: undefined }, 'resourceinstance'],
    ['a resourceinstance that is not a UUID', { resourceinstance: 'filetransfer-1' }, 'resourceinstance'],
    ['a numeric resourceinstance', { resourceinstance: 7 }, 'resourceinstance'],
    ['missing subject', { subject: undefined }, 'subject'],
    ['a bare org number subject', { subject: '312000008' }, 'subject'],
    ['an 8-digit org number', { subject: 'urn:altinn:organization:identifier-no:31200000' }, 'subject'],
    ['a legacy subject with letters', { subject: '/organisation/31200000A' }, 'subject'],
    ['an /org/ subject', { subject: '/org/ttd' }, 'subject'],
    ['a bad alternativesubject', { alternativesubject: 'someone' }, 'alternativesubject'],
    ['an empty alternativesubject', { alternativesubject: '' }, 'alternativesubject'],
    ['data as a string', { data: '{"Role":"Sender"}' }, 'data'],
    ['data as an array', { data: [{ Role: 'Sender' }] }, 'data'],
    ['data as a number', { data: 1 }, 'data'],
    ['Role in lowercase', { data: { Role: 'sender' } }, 'data.Role'],
    ['Role as a number', { data: { Role: 1 } }, 'data.Role'],
    ['Role null', { data: { Role: null } }, 'data.Role'],
    ['a non-JSON datacontenttype', { datacontenttype: 'text/plain' }, 'datacontenttype'],
    ['a cloudevents datacontenttype', { datacontenttype: 'application/cloudevents+json' }, 'datacontenttype'],
    ['a malformed datacontenttype', { datacontenttype: 'json' }, 'datacontenttype'],
    ['a relative dataschema', { dataschema: '/schema.json' }, 'dataschema'],
    ['an upper-case extension name', { Traceparent: 'x' }, 'Traceparent'],
    ['an extension name with underscore', { trace_parent: 'x' }, 'trace_parent'],
    ['a 65-character extension name', { ['x'.repeat(65)]: 'x' }, 'x'.repeat(65)],
    ['an object extension value', { extra: { a: 1 } }, 'extra'],
    ['an array extension value', { extra: ['a'] }, 'extra'],
    ['a fractional extension value', { extra: 1.5 }, 'extra'],
    ['an extension value with a newline', { extra: 'a\r\nb' }, 'extra'],
    ['data_base64', { data_base64: 'AAAA' }, 'data_base64'],
    ['a constructor key', { constructor: 'x' }, 'constructor'],
    ['a prototype key', { prototype: 'x' }, 'prototype'],
    [
      'data with a constructor key',
      { data: { Role: 'Sender', constructor: { prototype: {} } } },
      'data.constructor',
    ],
    [
      'data with a deep __proto__ key',
      { data: JSON.parse('{"a":[{"__proto__":{"x":1}}]}') },
      'data.a[0].__proto__',
    ],
    ['data with Infinity', { data: { n: Infinity } }, 'data.n'],
    ['data with a BigInt', { data: { n: BigInt(1) } }, 'data.n'],
    ['data with a function', { data: { f: () => 1 } }, 'data.f'],
    ['data with a Date', { data: { d: new Date(0) } }, 'data.d'],
    ['data with an odd key', { data: { 'a b': undefined } }, 'data["a b"]'],
  ];
  it.each(cases)('rejects %s', (_name, overrides, path) => {
    expect(pathsOf(sampleEventBody(overrides))).toEqual([path]);
  });

  it('rejects a __proto__ key that JSON.parse made an own property', () => {
    const body = JSON.parse(
      `{"__proto__":{"polluted":true},${JSON.stringify(sampleEventBody()).slice(1)}`,
    ) as unknown;
    expect(pathsOf(body)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it(`rejects data nested deeper than ${MAX_DATA_DEPTH} levels`, () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < MAX_DATA_DEPTH + 5; i++) deep = { d: deep };
    const violations = violationsOf(sampleEventBody({ data: deep as Record<string, unknown> }));
    expect(violations).toHaveLength(1);
    expect(violations[0].reason).toMatch(/nested deeper/);
  });

  it('rejects cyclic data without overflowing the stack', () => {
    const data: Record<string, unknown> = { Role: 'Sender' };
    data['self'] = data;
    expect(violationsOf(sampleEventBody({ data }))[0].reason).toMatch(/nested deeper/);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an array', [sampleEventBody()]],
    ['a string', JSON.stringify(sampleEventBody())],
    ['a number', 42],
    ['a boolean', true],
    ['a Date', new Date()],
    ['a Map', new Map([['specversion', '1.0']])],
    ['a Buffer', Buffer.from('{}')],
    ['a class instance', new (class Foo {})()],
  ])('rejects %s at the root', (_name, input) => {
    expect(violationsOf(input)).toEqual([
      { path: '', reason: expect.stringMatching(/must be a JSON object/) },
    ]);
  });

  it('lists every violation, not just the first', () => {
    const body = {
      specversion: '2.0',
      id: '',
      source: 'not a uri',
      type: 'no.altinn.broker.Published',
      time: 'noon',
      resource: 'urn:altinn:resource:UPPER',
      resourceinstance: 'nope',
      subject: 'me',
      alternativesubject: 'you',
      datacontenttype: 'text/plain',
      dataschema: 'relative',
      data: { Role: 'Boss', __proto__x: 1, constructor: 1 },
      BadName: 1,
      __proto__: 'x',
    };
    expect(pathsOf(body).sort()).toEqual(
      [
        'BadName',
        'alternativesubject',
        'data.Role',
        'data.constructor',
        'datacontenttype',
        'dataschema',
        'id',
        'resource',
        'resourceinstance',
        'source',
        'specversion',
        'subject',
        'time',
      ].sort(),
    );
  });

  it('reports an unsupported type and still checks the core attributes', () => {
    expect(pathsOf({ specversion: '1.0', type: 'com.example.x', source: 'a b' }).sort()).toEqual([
      'id',
      'source',
      'type',
    ]);
  });

  it('never throws on hostile objects (throwing getters, proxies)', () => {
    const getter = Object.defineProperty({}, 'id', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys for you');
        },
      },
    );
    expect(violationsOf(getter)[0].reason).toMatch(/could not read the event: boom/);
    expect(violationsOf(proxy)[0].path).toBe('');
  });

  it('quotes and cuts long input values in reasons', () => {
    const [violation] = violationsOf(sampleEventBody({ subject: 'x'.repeat(10_000) }));
    expect(violation.reason.length).toBeLessThan(300);
  });
});

describe('parseCloudEvent: properties', () => {
  it('never throws on arbitrary JSON-ish input, and always answers in the documented shape', () => {
    fc.assert(
      fc.property(arbitraryJsonish(), (input) => {
        const result = parseCloudEvent(input);
        if (result.ok) {
          expect(result.event).toBeInstanceOf(AltinnCloudEvent);
          expect(['broker', 'broker-unknown', 'handshake']).toContain(result.kind);
        } else {
          expect(result.violations.length).toBeGreaterThan(0);
          for (const v of result.violations) {
            expect(typeof v.path).toBe('string');
            expect(typeof v.reason).toBe('string');
          }
        }
        expect(Object.prototype).not.toHaveProperty('polluted');
      }),
      RUNS,
    );
  });

  it('accepts every generated valid body; the canonical type is the lowercase of a Broker type', () => {
    fc.assert(
      fc.property(arbitraryValidEventBody(), (body) => {
        const result = parsed(body);
        const type = body['type'] as string;
        expect(result.event.type).toBe(type);
        expect(result.canonicalType).toBe(result.kind === 'handshake' ? type : type.toLowerCase());
      }),
      RUNS,
    );
  });

  it('is idempotent: parsing the JSON of a parsed event gives an equal event', () => {
    fc.assert(
      fc.property(arbitraryValidEventBody(), (body) => {
        const first = parsed(body);
        const second = parsed(JSON.parse(JSON.stringify(first.event)));
        expect(second.event).toStrictEqual(first.event);
        expect(second.canonicalType).toBe(first.canonicalType);
      }),
      RUNS,
    );
  });

  it('agrees with class-validator on every declared attribute (the decorators run the same rules)', () => {
    const declared = new Set<string>([...ATTRIBUTE_NAMES, 'data']);
    fc.assert(
      fc.property(arbitraryJsonish(), (input) => {
        if (typeof input !== 'object' || input === null || Array.isArray(input)) return;
        if (Object.getPrototypeOf(input) !== Object.prototype) return;
        const onlyDeclared: Record<string, unknown> = {};
        for (const key of Object.keys(input)) {
          if (declared.has(key)) onlyDeclared[key] = (input as Record<string, unknown>)[key];
        }
        const instance = Object.assign(
          Object.create(AltinnCloudEvent.prototype) as AltinnCloudEvent,
          onlyDeclared,
        );
        const errors = validateSync(instance);
        const result = parseCloudEvent(onlyDeclared);
        const parserPaths = result.ok ? [] : result.violations.map((v) => v.path.split(/[.[]/)[0]);
        expect([...new Set(errors.map((e) => e.property))].sort()).toEqual([...new Set(parserPaths)].sort());
      }),
      RUNS,
    );
  });
});

describe('class-validator on AltinnCloudEvent', () => {
  it('passes a parsed sample and names the attribute in its messages', () => {
    const { event } = parsed(loadSample('current-published-sender').body);
    expect(validateSync(event)).toEqual([]);
    const broken = Object.assign(Object.create(AltinnCloudEvent.prototype) as AltinnCloudEvent, event, {
      subject: 'nobody',
      data: { Role: 'x' },
    });
    const messages = validateSync(broken).flatMap((e) => Object.values(e.constraints ?? {}));
    expect(messages).toEqual([
      expect.stringMatching(/^subject must be urn:altinn:organization/),
      expect.stringMatching(/^data\.Role must be "Sender" or "Recipient"/),
    ]);
  });
});

describe('accessors', () => {
  it('fileTransferId is resourceinstance', () => {
    const { event } = parsed(loadSample('current-published-sender').body);
    expect(fileTransferId(event)).toBe('da4ceacc-ad44-4e54-99b6-b58e3c13c785');
    expect(fileTransferId(parsed(loadSample('validatesubscription').body).event)).toBeUndefined();
  });

  it.each([
    ['urn subject', { subject: 'urn:altinn:organization:identifier-no:311000004' }, '311000004'],
    ['legacy subject', { subject: '/organisation/311000004', alternativesubject: '/party/1' }, '311000004'],
    [
      'party subject, org in alternativesubject (docs form)',
      { subject: '/party/1', alternativesubject: '/organisation/123456789' },
      '123456789',
    ],
    [
      'party subject, urn alternativesubject',
      { subject: '/party/1', alternativesubject: 'urn:altinn:organization:identifier-no:312000008' },
      '312000008',
    ],
    [
      'subject wins over alternativesubject',
      { subject: '/organisation/311000004', alternativesubject: '/organisation/312000008' },
      '311000004',
    ],
    ['person subject', { subject: 'urn:altinn:person:identifier-no:01017012345' }, undefined],
    ['party only', { subject: '/party/1' }, undefined],
  ])('organisationNumber: %s', (_name, overrides, expected) => {
    expect(organisationNumber(parsed(sampleEventBody(overrides)).event)).toBe(expected);
  });

  it.each([
    [{ Role: 'Sender' }, 'Sender'],
    [{ Role: 'Recipient' }, 'Recipient'],
    [{}, undefined],
    [undefined, undefined],
  ])('eventRole of data %j is %s', (data, expected) => {
    expect(eventRole(parsed(sampleEventBody({ data })).event)).toBe(expected);
  });

  it('eventRole ignores an inherited Role and non-object data', () => {
    const event = Object.create(AltinnCloudEvent.prototype) as AltinnCloudEvent;
    event.data = Object.create({ Role: 'Sender' });
    expect(eventRole(event)).toBeUndefined();
    event.data = 'Sender';
    expect(eventRole(event)).toBeUndefined();
  });
});
