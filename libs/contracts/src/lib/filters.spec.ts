import * as fc from 'fast-check';
import { arbitraryValidEventBody, loadSample, loadSamples } from '../testing';
import { BrokerEventType, VALIDATE_SUBSCRIPTION_TYPE } from './event-types';
import {
  EventAttributes,
  EventFilter,
  FilterError,
  attributesFromEvent,
  attributesFromHeaders,
  compileFilter,
  filters,
} from './filters';
import { toKafkaRecord } from './kafka';
import { parseCloudEvent } from './parse';

const published: EventAttributes = {
  type: 'no.altinn.broker.published',
  source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
  resource: 'urn:altinn:resource:altinn-broker-test-resource-1',
  resourceinstance: 'da4ceacc-ad44-4e54-99b6-b58e3c13c785',
  subject: 'urn:altinn:organization:identifier-no:312000008',
  role: 'Recipient',
};

describe('compileFilter: matching', () => {
  const cases: [string, EventFilter, EventAttributes, boolean][] = [
    ['exact match', { exact: { type: 'no.altinn.broker.published' } }, published, true],
    ['exact mismatch', { exact: { type: 'no.altinn.broker.uploadfailed' } }, published, false],
    ['exact is case-sensitive', { exact: { role: 'Sender' } }, { role: 'sender' }, false],
    ['exact on a missing attribute', { exact: { alternativesubject: '/party/1' } }, published, false],
    [
      'exact with two attributes, both match',
      { exact: { type: published.type, role: 'Recipient' } },
      published,
      true,
    ],
    [
      'exact with two attributes, one differs',
      { exact: { type: published.type, role: 'Sender' } },
      published,
      false,
    ],
    ['prefix match', { prefix: { type: 'no.altinn.broker.' } }, published, true],
    ['prefix mismatch', { prefix: { source: 'https://platform.altinn.no/' } }, published, false],
    ['prefix equal to the whole value', { prefix: { role: 'Recipient' } }, published, true],
    ['prefix on a missing attribute', { prefix: { alternativesubject: '/' } }, published, false],
    ['suffix match', { suffix: { subject: ':312000008' } }, published, true],
    ['suffix mismatch', { suffix: { subject: ':311000004' } }, published, false],
    ['suffix on a missing attribute', { suffix: { alternativesubject: '1' } }, {}, false],
    ['empty all is true', { all: [] }, {}, true],
    ['empty any is false', { any: [] }, published, false],
    [
      'all: every part must match',
      { all: [{ prefix: { type: 'no.' } }, { exact: { role: 'Sender' } }] },
      published,
      false,
    ],
    [
      'any: one part is enough',
      { any: [{ exact: { role: 'Sender' } }, { exact: { role: 'Recipient' } }] },
      published,
      true,
    ],
    ['not', { not: { exact: { role: 'Sender' } } }, published, true],
    ['not of a missing attribute is true', { not: { exact: { alternativesubject: 'x' } } }, published, true],
    [
      'nested',
      {
        all: [
          { prefix: { type: 'no.altinn.broker.' } },
          { not: { any: [{ exact: { type: BrokerEventType.FileDeleted } }, { exact: { role: 'Sender' } }] } },
        ],
      },
      published,
      true,
    ],
  ];
  it.each(cases)('%s', (_name, filter, attrs, expected) => {
    expect(compileFilter(filter)(attrs)).toBe(expected);
  });

  it('compiles to a pure predicate: same answer every time, input untouched', () => {
    const predicate = compileFilter({ any: [{ exact: { role: 'Sender' } }, { suffix: { subject: '8' } }] });
    const attrs = { ...published };
    expect([predicate(attrs), predicate(attrs), predicate(attrs)]).toEqual([true, true, true]);
    expect(attrs).toEqual(published);
  });

  it('obeys De Morgan and double negation on generated events', () => {
    const leaf = fc.oneof(
      fc.constantFrom<EventFilter>(
        filters.role('Sender'),
        filters.role('Recipient'),
        filters.type(BrokerEventType.Published),
        filters.broker(),
        { suffix: { subject: '8' } },
        { prefix: { alternativesubject: '/party/' } },
      ),
    );
    fc.assert(
      fc.property(arbitraryValidEventBody(), leaf, leaf, (body, a, b) => {
        const result = parseCloudEvent(body);
        if (!result.ok) throw new Error('generated body must be valid');
        const attrs = attributesFromEvent(result.event);
        const f = (filter: EventFilter) => compileFilter(filter)(attrs);
        expect(f({ not: { all: [a, b] } })).toBe(f({ any: [{ not: a }, { not: b }] }));
        expect(f({ not: { not: a } })).toBe(f(a));
      }),
      { numRuns: 500 },
    );
  });
});

describe('compileFilter: malformed filters', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 'type', /a filter is an object with exactly one of/],
    ['null', null, /got null/],
    ['an array', [], /got an array/],
    ['no dialect', {}, /got no keys/],
    ['two dialects', { exact: { role: 'Sender' }, prefix: { type: 'x' } }, /got "exact", "prefix"/],
    ['an unknown dialect', { regex: { type: '.*' } }, /got "regex"/],
    ['an empty exact', { exact: {} }, /at filter\.exact: exact must name at least one attribute/],
    ['exact not an object', { exact: 'no.altinn.broker.published' }, /exact takes an object/],
    ['an unknown attribute', { exact: { typ: 'x' } }, /at filter\.exact\.typ: unknown attribute "typ"/],
    ['a data attribute', { exact: { data: 'x' } }, /unknown attribute "data"/],
    ['a non-string value', { exact: { role: 1 } }, /the value must be a string, got a number/],
    ['an empty value', { prefix: { type: '' } }, /must not be empty/],
    [
      'a capitalised Broker type',
      { exact: { type: 'no.altinn.broker.Published' } },
      /use "no\.altinn\.broker\.published"/,
    ],
    ['a capitalised Broker prefix', { prefix: { type: 'No.Altinn' } }, /canonical lowercase form/],
    ['an invalid role', { exact: { role: 'sender' } }, /role is "Sender" or "Recipient"/],
    ['all not an array', { all: { exact: { role: 'Sender' } } }, /all takes an array/],
    [
      'a bad filter deep inside',
      { all: [{ any: [{ not: { exact: { nope: 'x' } } }] }] },
      /at filter\.all\[0\]\.any\[0\]\.not\.exact\.nope:/,
    ],
  ];
  it.each(cases)('rejects %s', (_name, filter, message) => {
    expect(() => compileFilter(filter as EventFilter)).toThrow(FilterError);
    expect(() => compileFilter(filter as EventFilter)).toThrow(message);
  });

  it('rejects a cyclic filter instead of overflowing the stack', () => {
    const cyclic: { not: unknown } = { not: undefined };
    cyclic.not = cyclic;
    expect(() => compileFilter(cyclic as EventFilter)).toThrow(/deeper than 64 levels/);
  });

  it('FilterError carries the path and the problem', () => {
    try {
      compileFilter({ any: [{ exact: { colour: 'red' } }] } as unknown as EventFilter);
      throw new Error('did not throw');
    } catch (err) {
      expect(err).toBeInstanceOf(FilterError);
      expect((err as FilterError).path).toBe('filter.any[0].exact.colour');
      expect((err as FilterError).name).toBe('FilterError');
    }
  });

  it('accepts type values that only look capitalised outside the Broker namespace', () => {
    expect(compileFilter({ exact: { type: 'com.Example.Type' } })({ type: 'com.Example.Type' })).toBe(true);
    expect(compileFilter({ suffix: { type: '.Published' } })({ type: 'x.Published' })).toBe(true);
  });
});

describe('filters builders', () => {
  const matches = (filter: EventFilter, sample: string) => {
    const result = parseCloudEvent(loadSample(sample).body);
    if (!result.ok) throw new Error('sample must parse');
    return compileFilter(filter)(attributesFromEvent(result.event));
  };

  it('type: one type is an exact filter, several an any', () => {
    expect(filters.type(BrokerEventType.Published)).toEqual({ exact: { type: BrokerEventType.Published } });
    const f = filters.type(BrokerEventType.Published, BrokerEventType.UploadFailed);
    expect(matches(f, 'current-uploadfailed-sender')).toBe(true);
    expect(matches(f, 'current-filepurged-sender')).toBe(false);
    expect(() => filters.type()).toThrow(FilterError);
  });

  it('type matches the docs’ capitalised spelling through the canonical type', () => {
    expect(matches(filters.type(BrokerEventType.Published), 'seed-docs-example')).toBe(true);
  });

  it('broker leaves out the handshake', () => {
    expect(matches(filters.broker(), 'current-published-sender')).toBe(true);
    expect(matches(filters.broker(), 'validatesubscription')).toBe(false);
    expect(matches(filters.type(VALIDATE_SUBSCRIPTION_TYPE), 'validatesubscription')).toBe(true);
  });

  it('role', () => {
    expect(matches(filters.role('Recipient'), 'current-published-recipient')).toBe(true);
    expect(matches(filters.role('Recipient'), 'current-published-sender')).toBe(false);
    expect(matches(filters.role('Sender'), 'seed-docs-example')).toBe(false);
  });

  it('organisation matches every subject form Broker has used', () => {
    const ours = filters.organisation('312000008');
    expect(matches(ours, 'current-published-recipient')).toBe(true);
    expect(matches(ours, 'legacy-2025-published-recipient')).toBe(true);
    expect(matches(ours, 'current-published-sender')).toBe(false);
    expect(matches(filters.organisation('123456789'), 'seed-docs-example')).toBe(true);
    expect(() => filters.organisation('31200000')).toThrow(/9 digits/);
  });

  it('resource takes an id or a URN; fileTransfer matches resourceinstance', () => {
    expect(filters.resource('altinn-broker-test-resource-1')).toEqual(
      filters.resource('urn:altinn:resource:altinn-broker-test-resource-1'),
    );
    expect(matches(filters.resource('altinn-broker-test-resource-1'), 'current-published-sender')).toBe(true);
    expect(
      matches(filters.fileTransfer('da4ceacc-ad44-4e54-99b6-b58e3c13c785'), 'current-filepurged-sender'),
    ).toBe(true);
  });

  it('combinators build the plain shapes', () => {
    const f = filters.all(
      filters.exact({ role: 'Sender' }),
      filters.not(filters.prefix({ type: 'x' })),
      filters.any(),
    );
    expect(f).toEqual({
      all: [{ exact: { role: 'Sender' } }, { not: { prefix: { type: 'x' } } }, { any: [] }],
    });
    expect(filters.suffix({ subject: '8' })).toEqual({ suffix: { subject: '8' } });
  });
});

describe('attributes', () => {
  it('from headers alone, without parsing the value', () => {
    const result = parseCloudEvent(loadSample('legacy-2025-published-recipient').body);
    if (!result.ok) throw new Error('sample must parse');
    const record = toKafkaRecord(result.event, result.canonicalType);
    expect(attributesFromHeaders({ ...record.headers })).toEqual({
      type: 'no.altinn.broker.published',
      source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
      resource: 'urn:altinn:resource:altinn-broker-test-resource-1',
      resourceinstance: '7f3b2a10-94c2-4c1e-8d2f-1a6b9c0e5d44',
      subject: '/organisation/312000008',
      alternativesubject: '/party/50015641',
      role: 'Recipient',
    });
  });

  it('a header repeated with different values counts as absent, so it cannot satisfy a filter', () => {
    const attrs = attributesFromHeaders({
      ce_type: 'no.altinn.broker.published',
      altinn_role: ['Sender', 'Recipient'],
    });
    expect(attrs).toEqual({ type: 'no.altinn.broker.published' });
    expect(compileFilter(filters.role('Sender'))(attrs)).toBe(false);
  });

  it('no headers means no attributes', () => {
    expect(attributesFromHeaders(undefined)).toEqual({});
    expect(attributesFromHeaders({})).toEqual({});
  });

  it('every sample gives the same attributes from the event and from its Kafka headers', () => {
    for (const sample of loadSamples()) {
      const result = parseCloudEvent(sample.body);
      if (!result.ok) throw new Error('sample must parse');
      const record = toKafkaRecord(result.event, result.canonicalType);
      expect(attributesFromHeaders(record.headers)).toEqual(attributesFromEvent(result.event));
    }
  });
});
