/**
 * String formats shared by event validation, filters and subscription builders. Plain regexes and small functions:
 * they run on every webhook request, so nothing here allocates more than a regex match.
 */

/** Altinn Events' URN rule for `resource` / `resourceFilter` (EV UriExtensions.cs). Lowercase only. */
export const ALTINN_URN_PATTERN = /^urn:[a-z0-9-]{1,30}(:[a-z0-9()+,.\-;$_!/]{1,100}){1,10}$/;

export const RESOURCE_URN_PREFIX = 'urn:altinn:resource:';
export const ORGANISATION_URN_PREFIX = 'urn:altinn:organization:identifier-no:';
export const PERSON_URN_PREFIX = 'urn:altinn:person:identifier-no:';

/** A UUID in 8-4-4-4-12 hex form, any version, either letter case (.NET writes lowercase). */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const ORG_URN = /^urn:altinn:organization:identifier-no:([0-9]{9})$/;
const LEGACY_ORG = /^\/organisation\/([0-9]{9})$/;
const PARTY = /^\/party\/[0-9]{1,19}$/;
const PERSON_URN = /^urn:altinn:person:identifier-no:[0-9]{11}$/;

export type SubjectForm = 'organisation-urn' | 'organisation-legacy' | 'party' | 'person-urn';

/**
 * Which of the subject forms Broker events use (or used) this is:
 * `urn:altinn:organization:identifier-no:<9 digits>` (today), `/organisation/<9 digits>` and `/party/<id>` (before
 * December 2025), `urn:altinn:person:identifier-no:<11 digits>` (an Events subject form Broker may use for people).
 * The organisation number is not mod-11 checked here: the docs' own example carries a placeholder that fails it.
 */
export function subjectForm(value: string): SubjectForm | undefined {
  if (ORG_URN.test(value)) return 'organisation-urn';
  if (LEGACY_ORG.test(value)) return 'organisation-legacy';
  if (PARTY.test(value)) return 'party';
  if (PERSON_URN.test(value)) return 'person-urn';
  return undefined;
}

/** The organisation number in an organisation subject (URN or legacy form), else undefined. */
export function organisationNumberOf(subject: string | undefined): string | undefined {
  if (subject === undefined) return undefined;
  const m = ORG_URN.exec(subject) ?? LEGACY_ORG.exec(subject);
  return m ? m[1] : undefined;
}

const RFC3339 =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))$/;

/**
 * RFC 3339 date-time with a `Z` or `±hh:mm` offset and 1–9 fractional digits (Altinn writes 6–7: `…12.250000Z`).
 * Calendar ranges are checked (month, day incl. leap years, hour, minute). Second 60 (leap second) is refused:
 * JavaScript's Date cannot represent it, so consumers would get an Invalid Date.
 */
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  return true;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const URI_REFERENCE_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/**
 * RFC 3986 URI-reference, checked at the character level: only URI characters and valid percent-escapes, at most
 * one `#`, and a colon before the first `/`, `?` or `#` must end a valid scheme (a relative reference may not have
 * a colon in its first segment). Not a full grammar check; enough to refuse junk, spaces and control characters.
 */
export function isUriReference(value: string): boolean {
  if (!URI_REFERENCE_CHARS.test(value)) return false;
  const hash = value.indexOf('#');
  if (hash !== -1 && value.indexOf('#', hash + 1) !== -1) return false;
  const colon = value.indexOf(':');
  if (colon === -1) return true;
  const firstDelimiter = firstIndexOfAny(value, '/?#');
  if (firstDelimiter !== -1 && firstDelimiter < colon) return true;
  return SCHEME.test(value.slice(0, colon));
}

/** An absolute URI: a URI-reference that starts with a scheme. */
export function isAbsoluteUri(value: string): boolean {
  if (!isUriReference(value)) return false;
  const colon = value.indexOf(':');
  if (colon <= 0) return false;
  const firstDelimiter = firstIndexOfAny(value, '/?#');
  return (firstDelimiter === -1 || colon < firstDelimiter) && SCHEME.test(value.slice(0, colon));
}

function firstIndexOfAny(value: string, chars: string): number {
  for (let i = 0; i < value.length; i++) if (chars.includes(value[i])) return i;
  return -1;
}

const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const MEDIA_TYPE = new RegExp(
  `^(${TOKEN})/(${TOKEN})(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[^"\\\\]*"))*[ \\t]*$`,
);

/** RFC 2046 media type (`type/subtype` plus `; name=value` parameters). */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

/**
 * A JSON media type: `application/json`, `text/json` or any `+json` suffix. `application/cloudevents*` is excluded:
 * in a Kafka record that content type would announce structured mode, which our binary-mode records are not.
 */
export function isJsonMediaType(value: string): boolean {
  const m = MEDIA_TYPE.exec(value);
  if (!m) return false;
  const type = m[1].toLowerCase();
  const subtype = m[2].toLowerCase();
  if (type === 'application' && subtype.startsWith('cloudevents')) return false;
  return (type === 'application' || type === 'text') && (subtype === 'json' || subtype.endsWith('+json'));
}

/** True if the Altinn URN regex would accept this value once lowercased (i.e. only its letter case is wrong). */
export function isUrnExceptForCase(value: string): boolean {
  return value !== value.toLowerCase() && ALTINN_URN_PATTERN.test(value.toLowerCase());
}
