/**
 * Fills a generated consumer's configuration table in docs/consumers.md from its schema (run by the generator
 * after it wrote the files; the same as `UPDATE_DOCS=1 npx nx test <name> --testFile=config`).
 * Usage: UPDATE_DOCS=1 tsx --tsconfig tsconfig.base.json tools/nx-plugin/src/fill-config-table.ts <name>
 */
import type { Schema } from '@broker-events/config';
import { readmeConfigSection, repoRoot } from '@broker-events/config/testing';
import { names } from '@nx/devkit';
import { join } from 'node:path';

const name = process.argv[2] ?? '';
const root = repoRoot(process.cwd());
// A computed path: the app does not exist when this tool is written, and tools never import apps statically.
const module: Record<string, unknown> = require(
  join(root, 'apps', name, 'src/app/config', `${name}.config.ts`),
);
const schema = module[`${names(name).propertyName}ConfigSchema`] as Schema | undefined;
if (schema === undefined) throw new Error(`apps/${name}: no ${names(name).propertyName}ConfigSchema export`);
const { actual, expected } = readmeConfigSection(name, schema, join(root, 'docs/consumers.md'));
if (actual !== expected)
  throw new Error('docs/consumers.md: the table was not written (is UPDATE_DOCS=1 set?)');
process.stdout.write(`docs/consumers.md: configuration table of ${name} written\n`);
