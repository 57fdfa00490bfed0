/**
 * Keeps the README's configuration tables true: each app's spec calls `readmeConfigSection` and compares
 * it with the table generated from the app's schema. `UPDATE_DOCS=1 npx nx test <app>` rewrites the
 * section instead of failing.
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
  file = join(repoRoot(), 'README.md'),
): { actual: string | undefined; expected: string } {
  const start = `<!-- config:${app}:start -->`;
  const end = `<!-- config:${app}:end -->`;
  const expected = schemaMarkdownTable(schema);
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a === -1 || b === -1 || b < a) return { actual: undefined, expected };
  const actual = text.slice(a + start.length, b).trim();
  if (process.env['UPDATE_DOCS'] === '1' && actual !== expected) {
    writeFileSync(file, text.slice(0, a + start.length) + '\n' + expected + '\n' + text.slice(b));
    return { actual: expected, expected };
  }
  return { actual, expected };
}
