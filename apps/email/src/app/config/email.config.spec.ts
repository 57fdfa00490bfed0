import { join } from 'node:path';
import { readmeConfigSection, repoRoot } from '@broker-events/config/testing';
import { emailConfigSchema } from './email.config';

describe('email configuration docs', () => {
  it('docs/consumers.md shows exactly the email schema', () => {
    const { actual, expected } = readmeConfigSection(
      'email',
      emailConfigSchema,
      join(repoRoot(), 'docs/consumers.md'),
    );
    expect(actual).toBe(expected);
  });
});
