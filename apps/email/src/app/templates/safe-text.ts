/**
 * Making untrusted field values safe for mail. Values come from events (validated, but attribute values are
 * still strings chosen by someone else), so none may break out of a header, a line or an HTML element.
 */

// C0 and C1 controls (CR and LF included), DEL, and Unicode line/paragraph separators and bidi overrides.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One line of plain text: controls become spaces, runs of whitespace collapse, at most `max` characters. */
export function plain(value: string | undefined | null, max = 300): string {
  if (value === undefined || value === null) return '';
  const line = value.replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** {@link plain}, then escaped for HTML text and attribute values. */
export function html(value: string | undefined | null, max = 300): string {
  return plain(value, max).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
