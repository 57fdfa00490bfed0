import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaMarkdownTable } from '@broker-events/config';
import { emailConfigSchema } from './email.config';

describe('email configuration docs', () => {
  it('docs/consumers.md shows exactly the email schema', () => {
    const doc = readFileSync(join(__dirname, '../../../../../docs/consumers.md'), 'utf8');
    const table = /<!-- config:email:start -->\n([\s\S]*?)\n<!-- config:email:end -->/.exec(doc)?.[1];
    expect(table).toBe(schemaMarkdownTable(emailConfigSchema));
  });
});
