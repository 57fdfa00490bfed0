import {
  type EventAttributes,
  type EventFilter,
  type EventPredicate,
  FilterError,
  compileFilter,
  filters,
} from '@broker-events/contracts';

/**
 * Routing rules for sinks, in config as JSON: each rule says which events it matches, in the contracts'
 * filter vocabulary (`when`) and/or shorthand lists (`types`, `resources`, `roles`, `organisations`: a rule
 * matches when every given list has a match), plus the sink-specific target fields (addresses, a channel…).
 */
export interface RouteMatch {
  when?: EventFilter;
  types?: string[];
  resources?: string[];
  roles?: ('Sender' | 'Recipient')[];
  organisations?: string[];
}

export interface CompiledRoute<T> {
  index: number;
  name: string;
  filter: EventFilter;
  matches: EventPredicate;
  target: T;
}

export class RouteConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'RouteConfigError';
  }
}

const MATCH_KEYS = new Set(['name', 'when', 'types', 'resources', 'roles', 'organisations']);

function stringList(value: unknown, at: string, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((v) => typeof v === 'string' && v.length > 0)
  ) {
    problems.push(`${at} must be a non-empty array of strings`);
    return undefined;
  }
  return value as string[];
}

/** The filter a rule stands for. */
export function routeFilter(match: RouteMatch): EventFilter {
  const parts: EventFilter[] = [];
  if (match.when) parts.push(match.when);
  if (match.types) parts.push(filters.type(...match.types));
  if (match.resources) parts.push(filters.any(...match.resources.map((r) => filters.resource(r))));
  if (match.roles) parts.push(filters.any(...match.roles.map((r) => filters.role(r))));
  if (match.organisations)
    parts.push(filters.any(...match.organisations.map((o) => filters.organisation(o))));
  return parts.length === 1 ? parts[0] : filters.all(...parts);
}

/**
 * Parses and compiles a JSON array of rules. `target` validates and extracts the sink-specific part of each rule
 * (pushing problems); every problem of every rule is reported at once.
 */
export function compileRoutes<T>(
  json: string,
  target: (rule: Record<string, unknown>, at: string, problems: string[]) => T | undefined,
  targetKeys: readonly string[],
): CompiledRoute<T>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new RouteConfigError([
      `is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new RouteConfigError(['must be a non-empty JSON array of rules']);
  const problems: string[] = [];
  const routes: CompiledRoute<T>[] = [];
  parsed.forEach((raw: unknown, index) => {
    const at = `rule ${index + 1}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const rule = raw as Record<string, unknown>;
    for (const key of Object.keys(rule)) {
      if (!MATCH_KEYS.has(key) && !targetKeys.includes(key))
        problems.push(`${at} has an unknown field "${key}"`);
    }
    const before = problems.length;
    const match: RouteMatch = {
      when: rule['when'] as EventFilter | undefined,
      types: stringList(rule['types'], `${at}.types`, problems),
      resources: stringList(rule['resources'], `${at}.resources`, problems),
      roles: stringList(rule['roles'], `${at}.roles`, problems) as RouteMatch['roles'],
      organisations: stringList(rule['organisations'], `${at}.organisations`, problems),
    };
    for (const role of match.roles ?? [])
      if (role !== 'Sender' && role !== 'Recipient')
        problems.push(`${at}.roles: "${role}" is not Sender or Recipient`);
    for (const type of match.types ?? [])
      if (type !== type.toLowerCase()) problems.push(`${at}.types: "${type}" must be lowercase`);
    const name = typeof rule['name'] === 'string' ? rule['name'] : at;
    const t = target(rule, at, problems);
    if (problems.length > before || t === undefined) return;
    try {
      const filter = routeFilter(match);
      routes.push({ index, name, filter, matches: compileFilter(filter), target: t });
    } catch (error) {
      problems.push(
        `${at}: ${error instanceof FilterError ? `${error.path.replace(/^filter/, 'when')}: ${error.problem}` : String(error)}`,
      );
    }
  });
  if (problems.length > 0) throw new RouteConfigError(problems);
  return routes;
}

/** The rules an event matches, in order. */
export function matchingRoutes<T>(
  routes: readonly CompiledRoute<T>[],
  attrs: EventAttributes,
): CompiledRoute<T>[] {
  return routes.filter((r) => r.matches(attrs));
}

/** The pipeline filter for a set of routes: an event goes through when any rule matches it. */
export function anyRoute(routes: readonly CompiledRoute<unknown>[]): EventFilter {
  return filters.any(...routes.map((r) => r.filter));
}
