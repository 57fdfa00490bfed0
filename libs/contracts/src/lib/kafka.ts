/**
 * Mapping between an AltinnCloudEvent and a Kafka record: CloudEvents Kafka protocol binding, binary content
 * mode (attributes in `ce_*` headers, data as the value), plus our own derived `altinn_*` headers so consumers can
 * filter on headers alone. Plain shapes only: nothing here imports kafkajs.
 */
import { AltinnCloudEvent } from './cloud-event';
import { canonicalEventType, eventKindOf, eventTypeInfo } from './event-types';
import { UUID_PATTERN } from './formats';
import { ParseResult, eventRole, parseCloudEvent } from './parse';
import { TOPICS } from './topics';
import { Violation } from './violation';

/** Prefix of every CloudEvents attribute header (Kafka binding, binary mode). */
export const CE_HEADER_PREFIX = 'ce_';

/** Every header name this project writes or reads. Header names are lowercase; values are UTF-8 strings. */
export const HEADERS = {
  // CloudEvents attributes (Kafka protocol binding, binary mode). Other extension attributes travel as ce_<name>.
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  /** Always the canonical type (lowercase for no.altinn.broker.*). */
  type: 'ce_type',
  time: 'ce_time',
  subject: 'ce_subject',
  dataschema: 'ce_dataschema',
  resource: 'ce_resource',
  resourceinstance: 'ce_resourceinstance',
  alternativesubject: 'ce_alternativesubject',
  /**
   * The CloudEvents distributed-tracing extension (W3C trace context): the gateway writes the span that
   * published the record, consumers continue it. Absent when tracing is off.
   */
  traceparent: 'ce_traceparent',
  /** The `datacontenttype` attribute (the binding maps it to content-type, not ce_datacontenttype). */
  contentType: 'content-type',

  // Derived by us, for header-only filtering.
  /** `Sender` | `Recipient`, from data.Role; absent when the event has none. */
  role: 'altinn_role',
  /** `true` when the type is in EVENT_CATALOG, else `false`. */
  typeKnown: 'altinn_typeknown',
  /** `broker` | `broker-unknown` | `handshake`. */
  kind: 'altinn_kind',
  /** The type exactly as received, only when it differs from ce_type (e.g. `no.altinn.broker.Published`). */
  originalType: 'altinn_originaltype',

  // Quarantine records (TOPICS.quarantine).
  /** JSON array of {path, reason}, cut to QUARANTINE_VIOLATIONS_MAX_BYTES. */
  quarantineViolations: 'quarantine_violations',
  /** How many violations there were in total (the JSON may be cut). */
  quarantineViolationCount: 'quarantine_violationcount',
  /** When the gateway received the request (RFC 3339). */
  quarantineReceivedAt: 'quarantine_receivedat',
  /** The request's Content-Type. */
  quarantineContentType: 'quarantine_contenttype',
  /** The client address the request came from. */
  quarantineRemoteAddress: 'quarantine_remoteaddress',

  // Retry and dead-letter records (for libs/messaging).
  /** The consumer that failed to handle the event. */
  deliveryConsumer: 'delivery_consumer',
  /** 1-based number of the attempt that failed. */
  deliveryAttempt: 'delivery_attempt',
  /** RFC 3339 time before which a retry must not be attempted. */
  deliveryNotBefore: 'delivery_notbefore',
  /** Short text of the last error. */
  deliveryError: 'delivery_error',
  /** RFC 3339 time of the first failure. */
  deliveryFirstFailedAt: 'delivery_firstfailedat',
  /** Where the record was first read from: topic, partition and offset. */
  deliveryOriginalTopic: 'delivery_originaltopic',
  deliveryOriginalPartition: 'delivery_originalpartition',
  deliveryOriginalOffset: 'delivery_originaloffset',
  /** Retry-topic rounds already used (0 on the first park). */
  deliveryRound: 'delivery_round',
  /** RFC 3339 time of the most recent failure. */
  deliveryLastFailedAt: 'delivery_lastfailedat',
  /** Why the record was parked: `transient`, `permanent` or `invalid`. */
  deliveryFailure: 'delivery_failure',
  /** Set when an operator re-drives a dead-lettered record: when, and how many times so far. */
  deliveryRedrivenAt: 'delivery_redrivenat',
  deliveryRedriveCount: 'delivery_redrivecount',
} as const;

export type HeaderName = (typeof HEADERS)[keyof typeof HEADERS];

export interface KafkaRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Header shape kafkajs hands to consumers (IHeaders). */
export type KafkaHeadersIn = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export interface KafkaMessageIn {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: KafkaHeadersIn;
}

/** The partition key: the file transfer id (lowercased, so letter case never splits one transfer), else the id. */
export function kafkaKey(event: AltinnCloudEvent): string {
  const instance = event.resourceinstance;
  if (instance === undefined) return event.id;
  return UUID_PATTERN.test(instance) ? instance.toLowerCase() : instance;
}

/**
 * The Kafka record for an event from {@link parseCloudEvent}, for TOPICS.events. `canonicalType` is the one from
 * the parse result; a value that is not the event's canonical type is a programming error and throws.
 */
export function toKafkaRecord(event: AltinnCloudEvent, canonicalType: string): KafkaRecord {
  const canonical = canonicalEventType(event.type);
  if (typeof canonicalType !== 'string' || canonicalType.toLowerCase() !== canonical.toLowerCase()) {
    throw new TypeError(
      `toKafkaRecord: canonicalType ${JSON.stringify(canonicalType)} is not the canonical type of ${JSON.stringify(event.type)} (${canonical})`,
    );
  }
  const headers: Record<string, string> = {};
  const record = event as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (key === 'data' || value === undefined || value === null) continue;
    if (key === 'type') {
      headers[HEADERS.type] = canonical;
      if (event.type !== canonical) headers[HEADERS.originalType] = event.type;
    } else if (key === 'datacontenttype') {
      headers[HEADERS.contentType] = String(value);
    } else {
      headers[CE_HEADER_PREFIX + key] = String(value);
    }
  }
  const role = eventRole(event);
  if (role !== undefined) headers[HEADERS.role] = role;
  headers[HEADERS.typeKnown] = eventTypeInfo(canonical) === undefined ? 'false' : 'true';
  const kind = eventKindOf(event.type);
  if (kind !== undefined) headers[HEADERS.kind] = kind;

  const value = event.data === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(event.data), 'utf8');
  return { topic: TOPICS.events, key: kafkaKey(event), value, headers };
}

function text(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

interface ReadHeaders {
  values: Map<string, string>;
  ambiguous: string[];
}

/** Header values as strings. A header repeated with different values is ambiguous and left out. */
function readHeaders(headers: KafkaHeadersIn | undefined): ReadHeaders {
  const values = new Map<string, string>();
  const ambiguous: string[] = [];
  if (headers === undefined || headers === null || typeof headers !== 'object') return { values, ambiguous };
  for (const rawName of Object.keys(headers)) {
    const raw = headers[rawName];
    if (raw === undefined || raw === null) continue;
    const name = rawName.toLowerCase() === HEADERS.contentType ? HEADERS.contentType : rawName;
    const list = Array.isArray(raw) ? raw.map(text) : [text(raw)];
    const previous = values.get(name);
    if (previous !== undefined) list.push(previous);
    if (list.length === 0) continue;
    if (list.some((v) => v !== list[0])) {
      ambiguous.push(name);
      values.delete(name);
      continue;
    }
    if (!ambiguous.includes(name)) values.set(name, list[0]);
  }
  return { values, ambiguous };
}

/**
 * One header's value as a string, looked up by exact name; undefined when absent or repeated with different
 * values (ambiguous). Cheaper than reading every header when a consumer only needs a few.
 */
export function headerValue(headers: KafkaHeadersIn | undefined, name: string): string | undefined {
  if (
    headers === undefined ||
    headers === null ||
    typeof headers !== 'object' ||
    !Object.hasOwn(headers, name)
  ) {
    return undefined;
  }
  const raw = headers[name];
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) return text(raw);
  if (raw.length === 0) return undefined;
  const first = text(raw[0]);
  for (let i = 1; i < raw.length; i++) if (text(raw[i]) !== first) return undefined;
  return first;
}

const STRUCTURED = /^application\/cloudevents\+json\b/i;
const BATCH = /^application\/cloudevents-batch\b/i;
/** ce_ headers that do not map to an attribute in binary mode. */
const NOT_ATTRIBUTE_HEADERS: ReadonlySet<string> = new Set([
  'ce_data',
  'ce_data_base64',
  'ce_datacontenttype',
]);

/**
 * The event in a Kafka record, validated exactly like a webhook body. Reads binary mode (what
 * {@link toKafkaRecord} writes) and, for interoperability, structured mode (content-type
 * `application/cloudevents+json`, whole event as the value). Also checks that our derived headers agree with
 * the event, so a consumer that filtered on headers is never fooled. Never throws.
 */
export function fromKafkaRecord(msg: KafkaMessageIn): ParseResult {
  try {
    return readRecord(msg);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      violations: [{ path: '', reason: `could not read the record: ${message.slice(0, 200)}` }],
    };
  }
}

function readRecord(msg: KafkaMessageIn): ParseResult {
  const violations: Violation[] = [];
  const { values, ambiguous } = readHeaders(msg.headers);
  for (const name of ambiguous) {
    violations.push({ path: `header:${name}`, reason: 'appears more than once with different values' });
  }
  const valueText = msg.value === null || msg.value === undefined ? '' : text(msg.value);
  const contentType = values.get(HEADERS.contentType);

  if (contentType !== undefined && BATCH.test(contentType)) {
    return {
      ok: false,
      violations: [{ path: 'header:content-type', reason: 'batched CloudEvents are not supported' }],
    };
  }
  if (contentType !== undefined && STRUCTURED.test(contentType)) {
    let body: unknown;
    try {
      body = JSON.parse(valueText);
    } catch {
      return {
        ok: false,
        violations: [...violations, { path: '', reason: 'structured-mode value is not valid JSON' }],
      };
    }
    return merge(violations, parseCloudEvent(body));
  }

  const candidate = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of values) {
    if (!name.startsWith(CE_HEADER_PREFIX)) continue;
    if (NOT_ATTRIBUTE_HEADERS.has(name)) {
      violations.push({ path: `header:${name}`, reason: 'is not a CloudEvents binary-mode header' });
      continue;
    }
    candidate[name.slice(CE_HEADER_PREFIX.length)] = value;
  }
  if (contentType !== undefined) candidate['datacontenttype'] = contentType;

  const originalType = values.get(HEADERS.originalType);
  if (originalType !== undefined) {
    const ceType = values.get(HEADERS.type);
    if (ceType !== canonicalEventType(originalType)) {
      violations.push({
        path: `header:${HEADERS.originalType}`,
        reason: `its canonical form does not equal ${HEADERS.type} (${JSON.stringify(ceType ?? null)})`,
      });
    }
    candidate['type'] = originalType;
  }

  if (valueText.length > 0) {
    try {
      candidate['data'] = JSON.parse(valueText) as unknown;
    } catch {
      violations.push({ path: 'data', reason: 'the record value is not valid JSON' });
    }
  }

  const result = parseCloudEvent(candidate);
  if (result.ok) {
    if (!originalType && values.get(HEADERS.type) !== result.canonicalType) {
      violations.push({
        path: `header:${HEADERS.type}`,
        reason: `must be the canonical type ${result.canonicalType}`,
      });
    }
    checkDerived(values, HEADERS.role, eventRole(result.event), violations);
    checkDerived(values, HEADERS.kind, result.kind, violations);
    checkDerived(
      values,
      HEADERS.typeKnown,
      eventTypeInfo(result.canonicalType) ? 'true' : 'false',
      violations,
    );
  }
  return merge(violations, result);
}

/** A derived header, when present, must say what the event says. */
function checkDerived(
  values: Map<string, string>,
  name: string,
  expected: string | undefined,
  out: Violation[],
): void {
  const actual = values.get(name);
  if (actual !== undefined && actual !== expected) {
    out.push({
      path: `header:${name}`,
      reason: `says ${JSON.stringify(actual)} but the event says ${JSON.stringify(expected ?? null)}`,
    });
  }
}

function merge(before: Violation[], result: ParseResult): ParseResult {
  if (before.length === 0) return result;
  return { ok: false, violations: result.ok ? before : [...before, ...result.violations] };
}

/** Size cap for the quarantine_violations header (Kafka headers travel with every fetch; keep them small). */
export const QUARANTINE_VIOLATIONS_MAX_BYTES = 8192;
const MAX_FIELD = 300;
const MAX_META = 256;

function cut(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/**
 * JSON of the violations, each path/reason cut to 300 characters, the list cut so the whole stays under
 * {@link QUARANTINE_VIOLATIONS_MAX_BYTES}, with a last entry saying how many were left out. Always valid JSON.
 */
export function encodeViolations(
  violations: readonly Violation[],
  maxBytes = QUARANTINE_VIOLATIONS_MAX_BYTES,
): string {
  const items = violations.map((v) => ({
    path: cut(String(v.path), MAX_FIELD),
    reason: cut(String(v.reason), MAX_FIELD),
  }));
  let kept = items.length;
  let json = JSON.stringify(items);
  while (Buffer.byteLength(json, 'utf8') > maxBytes && kept > 0) {
    kept = Math.max(0, Math.min(kept - 1, Math.floor((kept * maxBytes) / Buffer.byteLength(json, 'utf8'))));
    json = JSON.stringify([
      ...items.slice(0, kept),
      { path: '', reason: `${items.length - kept} more violation(s) not shown` },
    ]);
  }
  return json;
}

/** The violations in a quarantine record's headers (empty when missing or unreadable). */
export function quarantineViolations(headers: KafkaHeadersIn | undefined): Violation[] {
  const raw = readHeaders(headers).values.get(HEADERS.quarantineViolations);
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    const out: Violation[] = [];
    for (const item of parsed as unknown[]) {
      const v = item as { path?: unknown; reason?: unknown } | null;
      if (typeof v === 'object' && v !== null && typeof v.path === 'string' && typeof v.reason === 'string') {
        out.push({ path: v.path, reason: v.reason });
      }
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * A deterministic, non-cryptographic 64-bit hash of the bytes, as 16 hex digits (cyrb53's mixing, both halves
 * kept). The same rejected body always gets the same key, so repeats land on one partition and group together.
 */
export function quarantineKey(raw: Uint8Array): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    h1 = Math.imul(h1 ^ b, 2654435761);
    h2 = Math.imul(h2 ^ b, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

/**
 * The record for a request that failed validation: the raw bytes as received, the violations and request
 * metadata in headers, keyed by a hash of the bytes. For TOPICS.quarantine.
 */
export function quarantineRecord(
  raw: Buffer,
  violations: Violation[],
  meta: { receivedAt: string; contentType?: string; remoteAddress?: string },
): KafkaRecord {
  const headers: Record<string, string> = {
    [HEADERS.quarantineViolations]: encodeViolations(violations),
    [HEADERS.quarantineViolationCount]: String(violations.length),
    [HEADERS.quarantineReceivedAt]: cut(String(meta.receivedAt), MAX_META),
  };
  if (meta.contentType !== undefined)
    headers[HEADERS.quarantineContentType] = cut(meta.contentType, MAX_META);
  if (meta.remoteAddress !== undefined)
    headers[HEADERS.quarantineRemoteAddress] = cut(meta.remoteAddress, MAX_META);
  return { topic: TOPICS.quarantine, key: quarantineKey(raw), value: raw, headers };
}
