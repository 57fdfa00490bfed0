/** `npm run asyncapi`: writes docs/asyncapi.yaml from the contracts. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAsyncApi } from './render';

const file = join(__dirname, '../../../docs/asyncapi.yaml');
writeFileSync(file, renderAsyncApi());
process.stdout.write(`wrote ${file}\n`);
