/**
 * A small, typed environment schema: each variable is declared once with its parser, default, whether it
 * is secret and a line of documentation. `loadConfig` validates a whole env record at once and fails with
 * one error naming every bad variable; `describeSchema` feeds the README configuration tables.
 */

export interface ConfigProblem {
  variable: string;
  reason: string;
}

export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `Invalid configuration for ${app}:\n` +
        problems.map((p) => `  - ${p.variable}: ${p.reason}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

type Parser<T> = (raw: string) => { ok: true; value: T } | { ok: false; reason: string };

export interface VarSpec<T> {
  readonly kind: string;
  readonly doc: string;
  readonly secret: boolean;
  readonly required: boolean;
  readonly default?: T;
  readonly parse: Parser<T>;
  /** Human-readable default for docs (secrets and computed defaults get a description instead). */
  readonly defaultText?: string;
}

interface CommonOpts<T> {
  doc: string;
  default?: T;
  secret?: boolean;
  /** Text shown in docs instead of the default value. */
  defaultText?: string;
}

function spec<T>(kind: string, parse: Parser<T>, opts: CommonOpts<T>): VarSpec<T> {
  return {
    kind,
    doc: opts.doc,
    secret: opts.secret ?? false,
    required: opts.default === undefined,
    default: opts.default,
    parse,
    defaultText: opts.defaultText,
  };
}

/** An optional variable: absent means `undefined`. */
export function optional<T>(inner: VarSpec<T>): VarSpec<T | undefined> {
  return { ...inner, required: false, default: undefined, defaultText: inner.defaultText ?? '(unset)' };
}

export const str = (opts: CommonOpts<string> & { minLength?: number; pattern?: RegExp }) =>
  spec<string>(
    'string',
    (raw) => {
      if (opts.minLength !== undefined && raw.length < opts.minLength)
        return { ok: false, reason: `must be at least ${opts.minLength} characters` };
      if (opts.pattern && !opts.pattern.test(raw)) return { ok: false, reason: `must match ${opts.pattern}` };
      return { ok: true, value: raw };
    },
    opts,
  );

export const int = (opts: CommonOpts<number> & { min?: number; max?: number }) =>
  spec<number>(
    'integer',
    (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) return { ok: false, reason: `must be a whole number, got "${raw}"` };
      const n = Number(raw.trim());
      if (!Number.isSafeInteger(n)) return { ok: false, reason: 'is out of range' };
      if (opts.min !== undefined && n < opts.min)
        return { ok: false, reason: `must be at least ${opts.min}` };
      if (opts.max !== undefined && n > opts.max) return { ok: false, reason: `must be at most ${opts.max}` };
      return { ok: true, value: n };
    },
    opts,
  );

export const bool = (opts: CommonOpts<boolean>) =>
  spec<boolean>(
    'boolean',
    (raw) => {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return { ok: true, value: true };
      if (['false', '0', 'no', 'off'].includes(v)) return { ok: true, value: false };
      return { ok: false, reason: `must be true or false, got "${raw}"` };
    },
    opts,
  );

export const oneOf = <const V extends string>(values: readonly V[], opts: CommonOpts<V>) =>
  spec<V>(
    values.join(' | '),
    (raw) =>
      (values as readonly string[]).includes(raw)
        ? { ok: true, value: raw as V }
        : { ok: false, reason: `must be one of ${values.join(', ')}, got "${raw}"` },
    opts,
  );

/** Comma-separated list; blanks are dropped. `item` validates each entry. */
export const list = (
  opts: CommonOpts<string[]> & { minItems?: number; item?: (v: string) => string | undefined },
) =>
  spec<string[]>(
    'comma-separated list',
    (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (opts.minItems !== undefined && items.length < opts.minItems)
        return { ok: false, reason: `needs at least ${opts.minItems} item(s)` };
      if (opts.item) {
        const bad = items
          .map((v, i) => ({ i, reason: opts.item?.(v) }))
          .filter((r) => r.reason !== undefined)
          .map((r) => `item ${r.i + 1} ${r.reason}`);
        if (bad.length > 0) return { ok: false, reason: bad.join('; ') };
      }
      return { ok: true, value: items };
    },
    opts,
  );

export const url = (opts: CommonOpts<string> & { protocols?: string[] }) =>
  spec<string>(
    'URL',
    (raw) => {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        return { ok: false, reason: 'must be an absolute URL' };
      }
      if (opts.protocols && !opts.protocols.includes(u.protocol.replace(/:$/, '')))
        return { ok: false, reason: `must use ${opts.protocols.join(' or ')}` };
      return { ok: true, value: raw };
    },
    opts,
  );

export type Schema = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends Schema> = {
  readonly [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never;
};

export type EnvRecord = Record<string, string | undefined>;

/**
 * Validates every variable of `schema` against `env`. Empty strings count as unset. Throws one ConfigError
 * naming every bad variable; never echoes the value of a secret.
 */
export function loadConfig<S extends Schema>(app: string, schema: S, env: EnvRecord): ConfigOf<S> {
  const problems: ConfigProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(schema)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (v.required) problems.push({ variable: name, reason: 'is required' });
      else out[name] = v.default;
      continue;
    }
    const parsed = v.parse(raw);
    if (parsed.ok) out[name] = parsed.value;
    else problems.push({ variable: name, reason: v.secret ? scrub(parsed.reason, raw) : parsed.reason });
  }
  if (problems.length > 0) throw new ConfigError(app, problems);
  return out as ConfigOf<S>;
}

function scrub(reason: string, secret: string): string {
  return secret.length > 0 ? reason.split(secret).join('***') : reason;
}

export interface VarDoc {
  name: string;
  kind: string;
  required: boolean;
  default: string;
  secret: boolean;
  doc: string;
}

export function describeSchema(schema: Schema): VarDoc[] {
  return Object.entries(schema).map(([name, v]) => ({
    name,
    kind: v.kind,
    required: v.required,
    default: v.required ? '' : (v.defaultText ?? formatDefault(v.default)),
    secret: v.secret,
    doc: v.doc,
  }));
}

function formatDefault(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (Array.isArray(v)) return v.length > 0 ? v.join(',') : '(none)';
  return String(v);
}

/** A markdown table of the schema, as the README shows it. */
export function schemaMarkdownTable(schema: Schema): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = describeSchema(schema).map(
    (d) =>
      `| \`${d.name}\` | ${cell(d.kind)}${d.secret ? ', secret' : ''} | ${d.required ? 'required' : `\`${cell(d.default)}\``} | ${cell(d.doc)} |`,
  );
  return ['| variable | type | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Redacts secret values for logging a loaded config at start-up. */
export function redactConfig<S extends Schema>(schema: S, config: ConfigOf<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(schema)) {
    const value = (config as Record<string, unknown>)[name];
    out[name] = v.secret && value !== undefined ? '[redacted]' : value;
  }
  return out;
}
