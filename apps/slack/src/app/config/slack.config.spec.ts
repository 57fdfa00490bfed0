import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaMarkdownTable } from '@broker-events/config';
import { slackConfigSchema } from './slack.config';

describe('slack configuration docs', () => {
  it('docs/consumers.md shows exactly the slack schema', () => {
    const doc = readFileSync(join(__dirname, '../../../../../docs/consumers.md'), 'utf8');
    const table = /<!-- config:slack:start -->\n([\s\S]*?)\n<!-- config:slack:end -->/.exec(doc)?.[1];
    expect(table).toBe(schemaMarkdownTable(slackConfigSchema));
  });
});
