/** One reason why something was rejected. */
export interface Violation {
  /** Where: an attribute name (`subject`), a path into data (`data.Role`), a header (`header:ce_id`), or `""` for the whole input. */
  path: string;
  /** Why, in plain English. Input values are quoted and cut to a few dozen characters. */
  reason: string;
}

const MAX_QUOTED = 60;

/** A value quoted for an error message, cut so hostile input cannot blow up logs or headers. */
export function quote(value: string): string {
  const cut = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
  return JSON.stringify(cut);
}

/** What kind of JSON-ish value this is, for messages ("a number", "an array", "null"). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${quote(value)}`;
    case 'number':
      return `the number ${String(value)}`;
    case 'boolean':
      return `the boolean ${String(value)}`;
    case 'object':
      return 'an object';
    case 'undefined':
      return 'nothing';
    default:
      return `a ${typeof value}`;
  }
}

/** Violations as one line each, for Error messages. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `  - ${v.path === '' ? '(root)' : v.path}: ${v.reason}`).join('\n');
}
