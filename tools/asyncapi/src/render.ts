import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { asyncApiDocument } from './asyncapi';
import { BUILT_IN_CONSUMERS } from './consumers';

/** docs/: where asyncapi.yaml and schemas/ are written. */
export const DOCS_DIR = join(__dirname, '../../../docs');

export function renderAsyncApi(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
    version: string;
  };
  return (
    '# Generated from libs/contracts by `npm run asyncapi`. Do not edit by hand.\n' +
    stringify(asyncApiDocument(BUILT_IN_CONSUMERS, pkg.version), { lineWidth: 0 })
  );
}
