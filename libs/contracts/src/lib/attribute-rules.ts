/**
 * The validation rules for each CloudEvent attribute, written once and used twice: by `parseCloudEvent` (directly,
 * on the hot path) and by the class-validator decorators on `AltinnCloudEvent` (for callers that validate
 * instances). Each check returns the reason a value is wrong, or undefined when it is fine.
 * `null` counts as absent (some JSON serializers write nulls for unset attributes).
 */
import {
  BROKER_TYPE_PREFIX,
  EventKind,
  VALIDATE_SUBSCRIPTION_TYPE,
  eventKindOf,
  isBrokerEventType,
  isBrokerKind,
} from './event-types';
import {
  ALTINN_URN_PATTERN,
  RESOURCE_URN_PREFIX,
  UUID_PATTERN,
  isAbsoluteUri,
  isJsonMediaType,
  isMediaType,
  isRfc3339,
  isUriReference,
  isUrnExceptForCase,
  subjectForm,
} from './formats';
import { Violation, describe, quote } from './violation';

/** CloudEvents 1.0 context attributes plus the Altinn extensions, in the order violations are reported. */
export const ATTRIBUTE_NAMES = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'datacontenttype',
  'dataschema',
  'resource',
  'resourceinstance',
  'alternativesubject',
] as const;
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];

const ATTRIBUTE_NAME_SET: ReadonlySet<string> = new Set(ATTRIBUTE_NAMES);
export function isAttributeName(name: string): name is AttributeName {
  return ATTRIBUTE_NAME_SET.has(name);
}

/** Keys refused anywhere in an event (top level and inside data): they are how prototype pollution gets in. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Extension attribute names: CloudEvents 1.0 says lowercase ASCII letters and digits, and recommends at most 20
 * characters. We accept up to 64 (a longer name is legal CloudEvents, and refusing it would lose the event), and
 * refuse anything else.
 */
export const EXTENSION_NAME_PATTERN = /^[a-z0-9]{1,64}$/;

type Check = (value: unknown, kind: EventKind | undefined) => string | undefined;

const absent = (v: unknown): v is null | undefined => v === undefined || v === null;

/**
 * Characters the CloudEvents String type disallows: control characters (U+0000–U+001F, U+007F–U+009F),
 * noncharacters, and surrogates not used in pairs. Refusing them also keeps newlines out of logs and headers,
 * and makes every attribute survive the UTF-8 round trip through a Kafka header.
 */
const DISALLOWED_CHARACTERS = /[\p{Cc}\p{Noncharacter_Code_Point}\uD800-\uDFFF]/u;
const DISALLOWED_REASON =
  'contains characters CloudEvents does not allow (control characters, noncharacters or unpaired surrogates)';

/** Why a string is not a valid CloudEvents String, or undefined. */
export function stringCharactersProblem(value: string): string | undefined {
  return DISALLOWED_CHARACTERS.test(value) ? DISALLOWED_REASON : undefined;
}

function requiredString(value: unknown): string | undefined {
  if (absent(value)) return 'is required';
  if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
  if (value.length === 0) return 'must not be empty';
  return stringCharactersProblem(value);
}

function optionalString(value: unknown): string | undefined {
  return absent(value) ? undefined : requiredString(value);
}

function subjectCheck(value: unknown, kind: EventKind | undefined, required: boolean): string | undefined {
  if (!isBrokerKind(kind)) return optionalString(value);
  if (!required && absent(value)) return undefined;
  const base = requiredString(value);
  if (base !== undefined || typeof value !== 'string') return base;
  return subjectForm(value) === undefined
    ? `must be urn:altinn:organization:identifier-no:<9 digits>, /organisation/<9 digits>, /party/<id> or ` +
        `urn:altinn:person:identifier-no:<11 digits>, got ${quote(value)}`
    : undefined;
}

export const ATTRIBUTE_CHECKS: Readonly<Record<AttributeName, Check>> = {
  specversion: (value) => {
    if (absent(value)) return 'is required';
    if (value !== '1.0') return `must be "1.0" (CloudEvents 1.0), got ${describe(value)}`;
    return undefined;
  },
  id: (value) => requiredString(value),
  source: (value) => {
    const base = requiredString(value);
    if (base !== undefined || typeof value !== 'string') return base;
    return isUriReference(value) ? undefined : `must be a URI-reference (RFC 3986), got ${quote(value)}`;
  },
  type: (value) => {
    const base = requiredString(value);
    if (base !== undefined || typeof value !== 'string') return base;
    if (eventKindOf(value) !== undefined) return undefined;
    if (isBrokerEventType(value) || value.toLowerCase() === BROKER_TYPE_PREFIX) {
      return `malformed Broker event type ${quote(value)}: expected ${BROKER_TYPE_PREFIX}<name> (letters, digits, ".", "_", "-")`;
    }
    return `unsupported event type ${quote(value)}: this gateway accepts ${BROKER_TYPE_PREFIX}* and ${VALIDATE_SUBSCRIPTION_TYPE}`;
  },
  time: (value) => {
    if (absent(value)) return undefined;
    if (typeof value !== 'string') return `must be an RFC 3339 timestamp string, got ${describe(value)}`;
    return isRfc3339(value)
      ? undefined
      : `must be an RFC 3339 timestamp with a Z or ±hh:mm offset (e.g. 2026-11-20T09:00:12.250000Z), got ${quote(value)}`;
  },
  subject: (value, kind) => subjectCheck(value, kind, true),
  alternativesubject: (value, kind) => subjectCheck(value, kind, false),
  datacontenttype: (value, kind) => {
    const base = optionalString(value);
    if (base !== undefined || typeof value !== 'string') return base;
    if (!isMediaType(value)) return `must be a media type (RFC 2046), got ${quote(value)}`;
    if (isBrokerKind(kind) && !isJsonMediaType(value)) {
      return `must be a JSON media type (application/json or */*+json) for a Broker event, got ${quote(value)}`;
    }
    return undefined;
  },
  dataschema: (value) => {
    const base = optionalString(value);
    if (base !== undefined || typeof value !== 'string') return base;
    return isAbsoluteUri(value) ? undefined : `must be an absolute URI, got ${quote(value)}`;
  },
  resource: (value, kind) => {
    if (!isBrokerKind(kind)) return optionalString(value);
    const base = requiredString(value);
    if (base !== undefined || typeof value !== 'string') return base;
    if (isUrnExceptForCase(value)) return `must be lowercase (Altinn URNs are), got ${quote(value)}`;
    if (!ALTINN_URN_PATTERN.test(value)) return `must be a valid Altinn URN, got ${quote(value)}`;
    if (!value.startsWith(RESOURCE_URN_PREFIX))
      return `must start with ${RESOURCE_URN_PREFIX}, got ${quote(value)}`;
    return undefined;
  },
  resourceinstance: (value, kind) => {
    if (!isBrokerKind(kind)) return optionalString(value);
    const base = requiredString(value);
    if (base !== undefined || typeof value !== 'string') return base;
    return UUID_PATTERN.test(value)
      ? undefined
      : `must be a UUID (the file transfer id), got ${quote(value)}`;
  },
};

/** At most this many violations are listed; a last entry says how many more there were. */
export const MAX_VIOLATIONS = 1000;
/** Data nested deeper than this is refused (Broker sends `{"Role": …}`; this only stops abuse and cycles). */
export const MAX_DATA_DEPTH = 32;

/** True for `{}`-style objects (prototype Object.prototype or null): never arrays, class instances, Buffers. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
function childPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${quote(key)}]`;
}

function push(out: Violation[], v: Violation): void {
  if (out.length < MAX_VIOLATIONS) out.push(v);
  else if (out.length === MAX_VIOLATIONS)
    out.push({ path: '', reason: 'too many violations; the rest are not listed' });
}

/** A deep copy of a JSON value; every non-JSON value, forbidden key or too-deep nesting becomes a violation. */
function cloneJson(value: unknown, path: string, depth: number, out: Violation[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value))
        push(out, { path, reason: `must be a finite number, got ${String(value)}` });
      return value === 0 ? 0 : value; // -0 becomes 0, as it would after a JSON round trip
    case 'object':
      break;
    default:
      push(out, { path, reason: `is not a JSON value (got ${describe(value)})` });
      return undefined;
  }
  if (value === null) return null;
  if (depth >= MAX_DATA_DEPTH) {
    push(out, { path, reason: `is nested deeper than ${MAX_DATA_DEPTH} levels` });
    return undefined;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = cloneJson(value[i], `${path}[${i}]`, depth + 1, out);
    return copy;
  }
  if (!isPlainObject(value)) {
    push(out, { path, reason: 'is not a JSON value (a class instance or other non-plain object)' });
    return undefined;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      push(out, { path: childPath(path, key), reason: 'forbidden key (prototype pollution guard)' });
      continue;
    }
    copy[key] = cloneJson(value[key], childPath(path, key), depth + 1, out);
  }
  return copy;
}

/**
 * Checks `data` and returns a deep copy of it (so the parsed event never shares objects with the input). For
 * Broker kinds data must be a JSON object when present, and `data.Role`, when present, `Sender` or `Recipient`.
 */
export function checkData(value: unknown, kind: EventKind | undefined, out: Violation[]): unknown {
  if (absent(value)) return undefined;
  if (isBrokerKind(kind) && !isPlainObject(value)) {
    push(out, { path: 'data', reason: `must be a JSON object when present, got ${describe(value)}` });
    return undefined;
  }
  const copy = cloneJson(value, 'data', 0, out);
  if (isBrokerKind(kind) && isPlainObject(value) && Object.hasOwn(value, 'Role')) {
    const role = value['Role'];
    if (role !== 'Sender' && role !== 'Recipient') {
      push(out, { path: 'data.Role', reason: `must be "Sender" or "Recipient", got ${describe(role)}` });
    }
  }
  return copy;
}

/** Why an extension attribute name is refused, or undefined when it is a valid CloudEvents extension name. */
export function checkExtensionName(name: string): string | undefined {
  if (FORBIDDEN_KEYS.has(name)) return 'forbidden attribute name (prototype pollution guard)';
  if (name === 'data_base64') return 'binary data (data_base64) is not supported: Altinn sends JSON data';
  if (!EXTENSION_NAME_PATTERN.test(name)) {
    return 'is not a valid extension attribute name (lowercase ASCII letters and digits only, at most 64 characters)';
  }
  return undefined;
}

/**
 * Extension attribute values in their canonical string form: strings unchanged, booleans as `true`/`false`,
 * integers in decimal (the CloudEvents types that JSON can carry). Anything else is a violation. Keeping them as
 * strings is what makes a Kafka round trip (headers are strings) give back an equal event.
 */
export function normaliseExtensionValue(value: unknown): { value: string } | { reason: string } {
  if (typeof value === 'string') {
    const problem = stringCharactersProblem(value);
    return problem === undefined ? { value } : { reason: problem };
  }
  if (typeof value === 'boolean') return { value: value ? 'true' : 'false' };
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { value: String(value) };
  return {
    reason: `extension attribute values must be strings, booleans or integers, got ${describe(value)}`,
  };
}

export { push as pushViolation };
