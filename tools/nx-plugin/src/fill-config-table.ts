/**
 * Writes a generated consumer's configuration table from its schema (run by the generator after it wrote the
 * files; the same as `UPDATE_DOCS=1` on the schema's spec). The table goes where `readmeConfigSection` keeps
 * every app's table.
 * Usage: UPDATE_DOCS=1 tsx --tsconfig tsconfig.base.json tools/nx-plugin/src/fill-config-table.ts <name>
 */
import type { Schema } from '@broker-events/config';
import { readmeConfigSection, repoRoot } from '@broker-events/config/testing';
import { names } from '@nx/devkit';
import { join } from 'node:path';
import { APP_CONFIG } from './generators/consumer/generator';

const name = process.argv[2] ?? '';
const root = repoRoot(process.cwd());
// A computed path: the schema does not exist when this tool is written.
const module: Record<string, unknown> = require(join(root, APP_CONFIG.dir, `${name}.config.ts`));
const schema = module[`${names(name).propertyName}ConfigSchema`] as Schema | undefined;
if (schema === undefined)
  throw new Error(`${APP_CONFIG.dir}/${name}.config.ts: no ${names(name).propertyName}ConfigSchema export`);
const { actual, expected } = readmeConfigSection(name, schema);
if (actual !== expected)
  throw new Error(`the configuration table of ${name} was not written (is UPDATE_DOCS=1 set?)`);
process.stdout.write(`configuration table of ${name} written\n`);
