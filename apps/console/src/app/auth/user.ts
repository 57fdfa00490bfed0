/** Who is signed in, and what they may do. Operators may do everything viewers may. */
export type Role = 'viewer' | 'operator';

export interface ConsoleUser {
  /** Stable id: the OpenID `sub`, or the trusted header's value. */
  id: string;
  /** For people and the audit log: name, e-mail or preferred user name, else the id. */
  name: string;
  role: Role;
}

/**
 * The console role for the roles or groups a login carries: operator wins over viewer; undefined when the
 * login has neither (signed in, but no access).
 */
export function roleFor(
  granted: readonly string[],
  lists: { viewer: readonly string[]; operator: readonly string[] },
): Role | undefined {
  if (granted.some((g) => lists.operator.includes(g))) return 'operator';
  if (granted.some((g) => lists.viewer.includes(g))) return 'viewer';
  return undefined;
}

/** A roles claim as strings: an array, or one string separated by spaces or commas. */
export function rolesFromClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((v) => v.length > 0);
  return [];
}
