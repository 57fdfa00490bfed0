/**
 * Keeps the generated configuration tables in docs/configuration.md true: each schema's spec calls
 * `readmeConfigSection` and compares the section between `<!-- config:<app>:start -->` and `…:end -->` with
 * the table generated from the schema. `UPDATE_DOCS=1 npx nx test app-config` rewrites stale sections (and
 * appends a missing one) instead of failing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Schema, schemaMarkdownTable } from './lib/schema';

export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('nx.json not found above ' + from);
    dir = parent;
  }
  return dir;
}

export function readmeConfigSection(
  app: string,
  schema: Schema,
  file = join(repoRoot(), 'docs/configuration.md'),
): { actual: string | undefined; expected: string } {
  const start = `<!-- config:${app}:start -->`;
  const end = `<!-- config:${app}:end -->`;
  const expected = schemaMarkdownTable(schema);
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  const update = process.env['UPDATE_DOCS'] === '1';
  if (a === -1 || b === -1 || b < a) {
    if (!update) return { actual: undefined, expected };
    writeFileSync(file, `${text.trimEnd()}\n\n## ${app}\n\n${start}\n${expected}\n${end}\n`);
    return { actual: expected, expected };
  }
  const actual = text.slice(a + start.length, b).trim();
  if (update && actual !== expected) {
    writeFileSync(file, text.slice(0, a + start.length) + '\n' + expected + '\n' + text.slice(b));
    return { actual: expected, expected };
  }
  return { actual, expected };
}
