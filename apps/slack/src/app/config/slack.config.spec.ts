import { join } from 'node:path';
import { readmeConfigSection, repoRoot } from '@broker-events/config/testing';
import { slackConfigSchema } from './slack.config';

describe('slack configuration docs', () => {
  it('docs/consumers.md shows exactly the slack schema', () => {
    const { actual, expected } = readmeConfigSection(
      'slack',
      slackConfigSchema,
      join(repoRoot(), 'docs/consumers.md'),
    );
    expect(actual).toBe(expected);
  });
});
