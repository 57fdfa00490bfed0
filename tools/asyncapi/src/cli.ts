/** `npm run asyncapi`: writes docs/asyncapi.yaml and the JSON Schemas it references (docs/schemas/) from the contracts. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCS_DIR, renderAsyncApi } from './render';
import { SCHEMAS_DIR, renderSchema, schemaFiles } from './schemas';

const file = join(DOCS_DIR, 'asyncapi.yaml');
writeFileSync(file, renderAsyncApi());
process.stdout.write(`wrote ${file}\n`);

const dir = join(DOCS_DIR, SCHEMAS_DIR);
mkdirSync(dir, { recursive: true });
const files = schemaFiles();
// A schema the contracts no longer produce (a type removed from the catalog) must not linger.
for (const name of readdirSync(dir)) {
  if (name.endsWith('.schema.json') && !files.some((f) => f.file === name)) rmSync(join(dir, name));
}
for (const f of files) writeFileSync(join(dir, f.file), renderSchema(f.schema));
process.stdout.write(`wrote ${files.length} JSON Schemas to ${dir}\n`);
