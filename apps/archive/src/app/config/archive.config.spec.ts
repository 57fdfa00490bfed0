import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaMarkdownTable } from '@broker-events/config';
import { archiveConfigSchema } from './archive.config';

describe('archive configuration docs', () => {
  it('docs/consumers.md shows exactly the archive schema', () => {
    const doc = readFileSync(join(__dirname, '../../../../../docs/consumers.md'), 'utf8');
    const table = /<!-- config:archive:start -->\n([\s\S]*?)\n<!-- config:archive:end -->/.exec(doc)?.[1];
    expect(table).toBe(schemaMarkdownTable(archiveConfigSchema));
  });
});
