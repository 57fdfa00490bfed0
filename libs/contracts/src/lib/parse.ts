import {
  ATTRIBUTE_CHECKS,
  ATTRIBUTE_NAMES,
  AttributeName,
  FORBIDDEN_KEYS,
  checkData,
  checkExtensionName,
  isAttributeName,
  isPlainObject,
  normaliseExtensionValue,
  pushViolation,
} from './attribute-rules';
import { AltinnCloudEvent, blankEvent, setAttribute } from './cloud-event';
import { EventKind, Role, canonicalEventType, eventKindOf } from './event-types';
import { organisationNumberOf } from './formats';
import { Violation, describe } from './violation';

export type ParseResult =
  | { ok: true; event: AltinnCloudEvent; kind: EventKind; canonicalType: string }
  | { ok: false; violations: Violation[] };

/**
 * Validates an untrusted value (typically `JSON.parse` of a webhook body) as an Altinn CloudEvent.
 *
 * Never throws. On failure lists every violation found (up to 1000). On success returns a fresh
 * {@link AltinnCloudEvent} that shares nothing with the input, its kind, and the canonical type (lowercase for
 * `no.altinn.broker.*`). `null` attributes are treated as absent and dropped; extension attribute values are
 * kept as strings (booleans and integers converted).
 */
export function parseCloudEvent(input: unknown): ParseResult {
  try {
    return parse(input);
  } catch (err) {
    // Only reachable for exotic inputs built in code (throwing getters, proxies), never for JSON.
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      violations: [{ path: '', reason: `could not read the event: ${message.slice(0, 200)}` }],
    };
  }
}

function parse(input: unknown): ParseResult {
  if (!isPlainObject(input) && !(input instanceof AltinnCloudEvent)) {
    return { ok: false, violations: [{ path: '', reason: `must be a JSON object, got ${describe(input)}` }] };
  }
  const record = input as Record<string, unknown>;
  const violations: Violation[] = [];
  const keys = Object.keys(record);
  const attributes: Partial<Record<AttributeName, unknown>> = {};
  let data: unknown = undefined;

  for (const key of keys) {
    if (isAttributeName(key)) {
      attributes[key] = record[key];
    } else if (key === 'data') {
      data = record[key];
    } else {
      const nameProblem = checkExtensionName(key);
      if (nameProblem !== undefined) {
        pushViolation(violations, { path: key, reason: nameProblem });
        continue;
      }
      const value = record[key];
      if (value === null || value === undefined) continue;
      const normalised = normaliseExtensionValue(value);
      if ('reason' in normalised) pushViolation(violations, { path: key, reason: normalised.reason });
    }
  }

  const type = attributes.type;
  const kind = typeof type === 'string' ? eventKindOf(type) : undefined;
  for (const name of ATTRIBUTE_NAMES) {
    const reason = ATTRIBUTE_CHECKS[name](attributes[name], kind);
    if (reason !== undefined) pushViolation(violations, { path: name, reason });
  }
  const dataCopy = checkData(data, kind, violations);

  if (violations.length > 0 || kind === undefined || typeof type !== 'string') {
    return { ok: false, violations };
  }

  const event = blankEvent();
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key)) continue; // unreachable (reported above), kept as a second lock
    const value = key === 'data' ? dataCopy : record[key];
    if (value === null || value === undefined) continue;
    if (isAttributeName(key) || key === 'data') {
      setAttribute(event, key, value);
    } else {
      const normalised = normaliseExtensionValue(value);
      if ('value' in normalised) setAttribute(event, key, normalised.value);
    }
  }
  return { ok: true, event, kind, canonicalType: canonicalEventType(type) };
}

/** The Broker file transfer id: the event's `resourceinstance`. */
export function fileTransferId(e: AltinnCloudEvent): string | undefined {
  return e.resourceinstance;
}

/**
 * The organisation number the event is addressed to: from `subject`, else `alternativesubject`, in either the
 * URN form (`urn:altinn:organization:identifier-no:NNN`) or the legacy form (`/organisation/NNN`).
 */
export function organisationNumber(
  e: Pick<AltinnCloudEvent, 'subject' | 'alternativesubject'>,
): string | undefined {
  return organisationNumberOf(e.subject) ?? organisationNumberOf(e.alternativesubject);
}

/** Whose copy of the event this is: `data.Role` when it is `Sender` or `Recipient`. */
export function eventRole(e: Pick<AltinnCloudEvent, 'data'>): Role | undefined {
  const data = e.data;
  if (!isPlainObject(data)) return undefined;
  const role = Object.hasOwn(data, 'Role') ? data['Role'] : undefined;
  return role === 'Sender' || role === 'Recipient' ? role : undefined;
}
