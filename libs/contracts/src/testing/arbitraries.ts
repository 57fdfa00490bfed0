/**
 * fast-check arbitraries for property tests: valid event bodies in every shape Altinn has used, and junk.
 */
import * as fc from 'fast-check';
import { ATTRIBUTE_NAMES, FORBIDDEN_KEYS } from '../lib/attribute-rules';
import { BROKER_TYPE_PREFIX, EVENT_CATALOG, VALIDATE_SUBSCRIPTION_TYPE } from '../lib/event-types';

const RESERVED: ReadonlySet<string> = new Set<string>([...ATTRIBUTE_NAMES, 'data', ...FORBIDDEN_KEYS]);

/** A valid CloudEvents extension attribute name that is not a core/Altinn attribute. */
export function arbitraryExtensionName(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-z0-9]{1,20}$/).filter((name) => !RESERVED.has(name));
}

/** Strings CloudEvents allows (no control characters, noncharacters or lone surrogates), possibly non-ASCII. */
function cloudEventString(): fc.Arbitrary<string> {
  return fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
    .filter((s) => !/[\p{Cc}\p{Noncharacter_Code_Point}\uD800-\uDFFF]/u.test(s));
}

/** A letter-case variant of a string (the docs capitalise Broker types). */
function anyCase(value: string): fc.Arbitrary<string> {
  return fc
    .array(fc.boolean(), { minLength: value.length, maxLength: value.length })
    .map((upper) => [...value].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));
}

const brokerTypes = EVENT_CATALOG.filter((i) => i.kind === 'broker').map((i) => i.type);

function arbitraryBrokerType(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...brokerTypes) },
    { weight: 2, arbitrary: fc.constantFrom(...brokerTypes).chain(anyCase) },
    {
      weight: 1,
      arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,24}$/).map((n) => `${BROKER_TYPE_PREFIX}${n}`),
    },
  );
}

function arbitraryTime(): fc.Arbitrary<string> {
  const instant = fc.date({
    min: new Date('1990-01-01T00:00:00Z'),
    max: new Date('2099-12-31T23:59:59Z'),
    noInvalidDate: true,
  });
  return fc
    .tuple(instant, fc.integer({ min: 0, max: 9 }), fc.constantFrom('Z', 'z', '+01:00', '-05:30', '+00:00'))
    .map(([d, digits, zone]) => {
      const base = d.toISOString().slice(0, 19);
      const fraction =
        digits === 0
          ? ''
          : `.${String(d.getTime() % 1000)
              .padStart(3, '0')
              .padEnd(digits, '0')
              .slice(0, digits)}`;
      return `${base}${fraction}${zone}`;
    });
}

function arbitrarySubject(): fc.Arbitrary<string> {
  const orgnr = fc.stringMatching(/^[0-9]{9}$/);
  return fc.oneof(
    orgnr.map((n) => `urn:altinn:organization:identifier-no:${n}`),
    orgnr.map((n) => `/organisation/${n}`),
    fc.stringMatching(/^[1-9][0-9]{0,9}$/).map((n) => `/party/${n}`),
    fc.stringMatching(/^[0-9]{11}$/).map((n) => `urn:altinn:person:identifier-no:${n}`),
  );
}

function arbitrarySource(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
      'https://platform.altinn.no/broker/api/v1/filetransfer',
      '/broker/api/v1/filetransfer',
      'urn:altinn:broker',
    ),
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
  );
}

/** True when a forbidden key appears anywhere inside a JSON value (nested objects and arrays included). */
function hasForbiddenKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasForbiddenKey);
  if (v !== null && typeof v === 'object')
    return Object.entries(v).some(([k, inner]) => FORBIDDEN_KEYS.has(k) || hasForbiddenKey(inner));
  return false;
}

/** JSON data for a Broker event: an object, usually with Role, never with prototype-pollution keys. */
function arbitraryData(): fc.Arbitrary<Record<string, unknown>> {
  const key = fc.string({ maxLength: 12 }).filter((k) => !FORBIDDEN_KEYS.has(k) && k !== 'Role');
  const value = fc
    .jsonValue({ maxDepth: 3 })
    .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
    .filter((v) => !hasForbiddenKey(v));
  return fc
    .tuple(
      fc.option(fc.constantFrom('Sender', 'Recipient'), { nil: undefined }),
      fc.dictionary(key, value, { maxKeys: 4 }),
    )
    .map(([role, rest]) => (role === undefined ? { ...rest } : { Role: role, ...rest }));
}

/** Builds an object from optional entries, leaving out the undefined ones. */
function compact(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) if (v !== undefined) out[k] = v;
  return out;
}

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

/** A wire body of a valid Broker event, in any of the forms Altinn has used, plus extension attributes. */
export function arbitraryBrokerEventBody(): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      id: fc.oneof(fc.uuid(), cloudEventString()),
      source: arbitrarySource(),
      type: arbitraryBrokerType(),
      time: opt(arbitraryTime()),
      resource: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,39}$/).map((id) => `urn:altinn:resource:${id}`),
      resourceinstance: fc.oneof(
        fc.uuid(),
        fc.uuid().map((u) => u.toUpperCase()),
      ),
      subject: arbitrarySubject(),
      alternativesubject: opt(arbitrarySubject()),
      datacontenttype: opt(
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/vnd.x+json'),
      ),
      dataschema: opt(fc.webUrl()),
      data: opt(arbitraryData()),
      extensions: fc.dictionary(arbitraryExtensionName(), fc.oneof(cloudEventString(), fc.constant('')), {
        maxKeys: 3,
      }),
    })
    .map(({ extensions, ...attrs }) =>
      compact([
        ['specversion', '1.0'],
        ...(Object.entries(attrs) as [string, unknown][]),
        ...(Object.entries(extensions) as [string, unknown][]),
      ]),
    );
}

/** The subscription-validation handshake, sometimes with optional attributes. */
export function arbitraryHandshakeBody(): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({ id: fc.uuid(), sub: fc.integer({ min: 1, max: 10_000_000 }), time: opt(arbitraryTime()) })
    .map(({ id, sub, time }) =>
      compact([
        ['specversion', '1.0'],
        ['id', id],
        ['source', `https://platform.tt02.altinn.no/events/api/v1/subscriptions/${sub}`],
        ['type', VALIDATE_SUBSCRIPTION_TYPE],
        ['time', time],
      ]),
    );
}

/** Any valid body: mostly Broker events, some handshakes. */
export function arbitraryValidEventBody(): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 5, arbitrary: arbitraryBrokerEventBody() },
    { weight: 1, arbitrary: arbitraryHandshakeBody() },
  );
}

/**
 * Junk for never-throws properties: arbitrary JSON, objects with `__proto__` / `constructor` keys (as JSON.parse
 * makes them), valid bodies with one attribute replaced by anything, and non-JSON JavaScript values.
 */
export function arbitraryJsonish(): fc.Arbitrary<unknown> {
  const anything = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.anything({
      maxDepth: 3,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
    }),
  );
  const pollution = fc
    .tuple(
      fc.constantFrom('__proto__', 'constructor', 'prototype'),
      fc.jsonValue({ maxDepth: 2 }),
      fc.boolean(),
    )
    .map(([key, value, nested]) => {
      const inner = `{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}`;
      return JSON.parse(
        nested
          ? `{"specversion":"1.0","id":"x","source":"/s","type":"no.altinn.broker.published","data":${inner}}`
          : inner,
      ) as unknown;
    });
  const mutated = fc
    .tuple(arbitraryValidEventBody(), fc.constantFrom(...ATTRIBUTE_NAMES, 'data', 'Role'), anything)
    .map(([body, key, value]) => {
      if (key === 'Role') return { ...body, data: { Role: value } };
      return { ...body, [key]: value };
    });
  return fc.oneof(anything, pollution, mutated);
}
