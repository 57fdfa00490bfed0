import { readFileSync } from 'node:fs';

/**
 * Reads a dotenv file the way docker compose does for interpolation: `KEY=value` lines, `#` comments, optional
 * quotes around the value.
 */
export function readDotenv(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`${path}: cannot read line ${JSON.stringify(raw)}`);
    const value = m[2];
    // A value that starts with a quote is one quoted string (as compose's dotenv parsers read it): anything
    // after the closing quote makes the line unreadable to them (`EMAIL_FROM="Name" <a@b>`).
    if (/^['"]/.test(value) && !/^(['"])(?:(?!\1).)*\1(\s+#.*)?$/.test(value))
      throw new Error(
        `${path}: quote the whole value of ${m[1]} (compose cannot read ${JSON.stringify(raw)})`,
      );
    out[m[1]] = value.replace(/^(['"])(.*?)\1(\s+#.*)?$/, '$2');
  }
  return out;
}

/**
 * Compose-file interpolation (the compose specification's "Interpolation" section): `$$` is a literal `$`;
 * `${VAR}`, `$VAR`; `${VAR:-default}` / `${VAR-default}`; `${VAR:?error}` / `${VAR?error}` (throws when
 * missing); `${VAR:+alt}` / `${VAR+alt}`. Defaults may themselves contain interpolations.
 */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
        j++;
      }
      if (depth !== 0) throw new Error(`unterminated \${ in ${JSON.stringify(text)}`);
      out += expand(text.slice(i + 2, j - 1), vars);
      i = j;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (m) {
      out += vars[m[0]] ?? '';
      i += 1 + m[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function expand(expr: string, vars: Record<string, string | undefined>): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([\s\S]*))?$/.exec(expr);
  if (!m) throw new Error(`invalid interpolation \${${expr}}`);
  const [, name, colon, op, arg = ''] = m;
  const value = vars[name];
  const missing = colon === ':' ? value === undefined || value === '' : value === undefined;
  if (op === undefined) return value ?? '';
  if (op === '-') return missing ? interpolate(arg, vars) : (value ?? '');
  if (op === '+') return missing ? '' : interpolate(arg, vars);
  if (missing) throw new Error(`required variable ${name} is missing: ${interpolate(arg, vars)}`);
  return value ?? '';
}

/** A service's `environment` as a record (the map form, or the `KEY=value` list form). */
export function serviceEnvironment(env: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq > 0) out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (env && typeof env === 'object') {
    for (const [k, v] of Object.entries(env)) out[k] = v === null || v === undefined ? '' : String(v);
  }
  return out;
}
