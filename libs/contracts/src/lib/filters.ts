/**
 * Consumer-side event filters in the CloudEvents Subscriptions API vocabulary (exact / prefix / suffix / all /
 * any / not), compiled once into pure predicates. Predicates read a small attribute record, which can be built
 * from Kafka headers alone ({@link attributesFromHeaders}), so a consumer can skip a record without parsing it.
 */
import { AltinnCloudEvent } from './cloud-event';
import { BROKER_TYPE_PREFIX, Role, canonicalEventType } from './event-types';
import { ORGANISATION_URN_PREFIX, RESOURCE_URN_PREFIX } from './formats';
import { HEADERS, KafkaHeadersIn, headerValue } from './kafka';
import { eventRole } from './parse';

export type FilterAttribute =
  'type' | 'source' | 'resource' | 'resourceinstance' | 'subject' | 'alternativesubject' | 'role';
export const FILTER_ATTRIBUTES: readonly FilterAttribute[] = [
  'type',
  'source',
  'resource',
  'resourceinstance',
  'subject',
  'alternativesubject',
  'role',
];

export type EventFilter =
  | { exact: Partial<Record<FilterAttribute, string>> }
  | { prefix: Partial<Record<FilterAttribute, string>> }
  | { suffix: Partial<Record<FilterAttribute, string>> }
  | { all: EventFilter[] }
  | { any: EventFilter[] }
  | { not: EventFilter };

/** What filters look at. `type` is the canonical type; `role` is data.Role. Missing = attribute absent. */
export type EventAttributes = Partial<Record<FilterAttribute, string>>;
export type EventPredicate = (attrs: EventAttributes) => boolean;

/** Thrown by {@link compileFilter} for a malformed filter; `path` points at the problem, e.g. `filter.all[1].exact`. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`Invalid event filter at ${path}: ${problem}`);
  }
}

const DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not'] as const;
type Dialect = (typeof DIALECTS)[number];
const MAX_DEPTH = 64;
const ATTRIBUTE_SET: ReadonlySet<string> = new Set(FILTER_ATTRIBUTES);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

type StringMatch = (actual: string, expected: string) => boolean;
const MATCHERS: Record<'exact' | 'prefix' | 'suffix', StringMatch> = {
  exact: (a, e) => a === e,
  prefix: (a, e) => a.startsWith(e),
  suffix: (a, e) => a.endsWith(e),
};

function compileAttributes(
  dialect: 'exact' | 'prefix' | 'suffix',
  value: unknown,
  path: string,
): EventPredicate {
  if (!isRecord(value)) {
    throw new FilterError(path, `${dialect} takes an object of attribute → string, got ${kindOf(value)}`);
  }
  const names = Object.keys(value);
  if (names.length === 0) {
    throw new FilterError(
      path,
      `${dialect} must name at least one attribute (one of ${FILTER_ATTRIBUTES.join(', ')})`,
    );
  }
  const pairs: [FilterAttribute, string][] = [];
  for (const name of names) {
    const expected = value[name];
    const at = `${path}.${name}`;
    if (!ATTRIBUTE_SET.has(name)) {
      throw new FilterError(
        at,
        `unknown attribute ${JSON.stringify(name)}; use one of ${FILTER_ATTRIBUTES.join(', ')}`,
      );
    }
    if (typeof expected !== 'string')
      throw new FilterError(at, `the value must be a string, got ${kindOf(expected)}`);
    if (expected.length === 0) {
      throw new FilterError(
        at,
        'the value must not be empty (an empty value is almost always a configuration mistake)',
      );
    }
    if (name === 'type' && dialect !== 'suffix') {
      const lower = expected.toLowerCase();
      const broker = lower.startsWith(BROKER_TYPE_PREFIX) || BROKER_TYPE_PREFIX.startsWith(lower);
      if (broker && expected !== lower) {
        throw new FilterError(
          at,
          `Broker types are matched in their canonical lowercase form: use ${JSON.stringify(lower)}, not ${JSON.stringify(expected)}`,
        );
      }
    }
    if (name === 'role' && dialect === 'exact' && expected !== 'Sender' && expected !== 'Recipient') {
      throw new FilterError(at, `role is "Sender" or "Recipient", got ${JSON.stringify(expected)}`);
    }
    pairs.push([name as FilterAttribute, expected]);
  }
  const match = MATCHERS[dialect];
  if (pairs.length === 1) {
    const [name, expected] = pairs[0];
    return (attrs) => {
      const actual = attrs[name];
      return actual !== undefined && match(actual, expected);
    };
  }
  return (attrs) =>
    pairs.every(([name, expected]) => {
      const actual = attrs[name];
      return actual !== undefined && match(actual, expected);
    });
}

function compileNode(filter: unknown, path: string, depth: number): EventPredicate {
  if (depth > MAX_DEPTH)
    throw new FilterError(path, `filters nest deeper than ${MAX_DEPTH} levels (a cycle?)`);
  if (!isRecord(filter)) {
    throw new FilterError(
      path,
      `a filter is an object with exactly one of ${DIALECTS.join(', ')}; got ${kindOf(filter)}`,
    );
  }
  const keys = Object.keys(filter);
  if (keys.length !== 1 || !(DIALECTS as readonly string[]).includes(keys[0])) {
    throw new FilterError(
      path,
      `a filter has exactly one of ${DIALECTS.join(', ')}; got ${keys.length === 0 ? 'no keys' : keys.map((k) => JSON.stringify(k)).join(', ')}`,
    );
  }
  const dialect = keys[0] as Dialect;
  const value = filter[dialect];
  const at = `${path}.${dialect}`;
  switch (dialect) {
    case 'exact':
    case 'prefix':
    case 'suffix':
      return compileAttributes(dialect, value, at);
    case 'all':
    case 'any': {
      if (!Array.isArray(value))
        throw new FilterError(at, `${dialect} takes an array of filters, got ${kindOf(value)}`);
      const parts = (value as unknown[]).map((f, i) => compileNode(f, `${at}[${i}]`, depth + 1));
      if (dialect === 'all') return parts.length === 0 ? () => true : (attrs) => parts.every((p) => p(attrs));
      return parts.length === 0 ? () => false : (attrs) => parts.some((p) => p(attrs));
    }
    case 'not': {
      const inner = compileNode(value, at, depth + 1);
      return (attrs) => !inner(attrs);
    }
  }
}

/**
 * Validates a filter and compiles it to a pure predicate. Throws {@link FilterError} naming the first problem.
 *
 * Semantics (CloudEvents Subscriptions API): exact / prefix / suffix match when every named attribute is present
 * and matches (case-sensitive); an absent attribute never matches. `all: []` is true, `any: []` is false.
 * Broker types must be written lowercase (events are matched on their canonical type).
 */
export function compileFilter(filter: EventFilter): EventPredicate {
  return compileNode(filter, 'filter', 0);
}

function put(attrs: EventAttributes, name: FilterAttribute, value: string | undefined): void {
  if (value !== undefined) attrs[name] = value;
}

/**
 * Filter attributes from Kafka headers only (as written by toKafkaRecord): no need to parse the value. A header
 * repeated with different values counts as absent, so it can never satisfy exact/prefix/suffix.
 */
export function attributesFromHeaders(headers: KafkaHeadersIn | undefined): EventAttributes {
  const attrs: EventAttributes = {};
  const type = headerValue(headers, HEADERS.type);
  put(attrs, 'type', type === undefined ? undefined : canonicalEventType(type));
  put(attrs, 'source', headerValue(headers, HEADERS.source));
  put(attrs, 'resource', headerValue(headers, HEADERS.resource));
  put(attrs, 'resourceinstance', headerValue(headers, HEADERS.resourceinstance));
  put(attrs, 'subject', headerValue(headers, HEADERS.subject));
  put(attrs, 'alternativesubject', headerValue(headers, HEADERS.alternativesubject));
  put(attrs, 'role', headerValue(headers, HEADERS.role));
  return attrs;
}

/** Filter attributes from a parsed event (gives the same record as {@link attributesFromHeaders} of its Kafka record). */
export function attributesFromEvent(e: AltinnCloudEvent): EventAttributes {
  const attrs: EventAttributes = {};
  put(attrs, 'type', canonicalEventType(e.type));
  put(attrs, 'source', e.source);
  put(attrs, 'resource', e.resource);
  put(attrs, 'resourceinstance', e.resourceinstance);
  put(attrs, 'subject', e.subject);
  put(attrs, 'alternativesubject', e.alternativesubject);
  put(attrs, 'role', eventRole(e));
  return attrs;
}

/** Small builders for common filters. They only build; {@link compileFilter} validates. */
export const filters = {
  exact: (attrs: Partial<Record<FilterAttribute, string>>): EventFilter => ({ exact: attrs }),
  prefix: (attrs: Partial<Record<FilterAttribute, string>>): EventFilter => ({ prefix: attrs }),
  suffix: (attrs: Partial<Record<FilterAttribute, string>>): EventFilter => ({ suffix: attrs }),
  all: (...parts: EventFilter[]): EventFilter => ({ all: parts }),
  any: (...parts: EventFilter[]): EventFilter => ({ any: parts }),
  not: (part: EventFilter): EventFilter => ({ not: part }),

  /** Any of these types (exact, canonical lowercase). Throws without a type: `any: []` would match nothing. */
  type: (...types: string[]): EventFilter => {
    if (types.length === 0) throw new FilterError('filters.type', 'give at least one type');
    return types.length === 1
      ? { exact: { type: types[0] } }
      : { any: types.map((type) => ({ exact: { type } })) };
  },
  /** Every `no.altinn.broker.*` event (known or not); leaves out the handshake. */
  broker: (): EventFilter => ({ prefix: { type: BROKER_TYPE_PREFIX } }),
  /** The sender's or the recipients' copies. */
  role: (role: Role): EventFilter => ({ exact: { role } }),
  /**
   * Events addressed to this organisation, in every subject form Broker has used: subject or alternativesubject,
   * `urn:altinn:organization:identifier-no:<orgnr>` or `/organisation/<orgnr>`. Throws unless 9 digits.
   */
  organisation: (orgnr: string): EventFilter => {
    if (typeof orgnr !== 'string' || !/^[0-9]{9}$/.test(orgnr)) {
      throw new FilterError(
        'filters.organisation',
        `an organisation number is 9 digits, got ${JSON.stringify(orgnr)}`,
      );
    }
    const forms = [`${ORGANISATION_URN_PREFIX}${orgnr}`, `/organisation/${orgnr}`];
    return {
      any: forms.flatMap((value) => [
        { exact: { subject: value } },
        { exact: { alternativesubject: value } },
      ]),
    };
  },
  /** Events of one Altinn resource; takes the resource id or the full `urn:altinn:resource:` URN. */
  resource: (resourceIdOrUrn: string): EventFilter => ({
    exact: {
      resource: resourceIdOrUrn.startsWith(RESOURCE_URN_PREFIX)
        ? resourceIdOrUrn
        : `${RESOURCE_URN_PREFIX}${resourceIdOrUrn}`,
    },
  }),
  /** Events of one file transfer (resourceinstance, exact). */
  fileTransfer: (fileTransferId: string): EventFilter => ({ exact: { resourceinstance: fileTransferId } }),
} as const;
