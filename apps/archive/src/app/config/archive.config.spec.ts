import { join } from 'node:path';
import { readmeConfigSection, repoRoot } from '@broker-events/config/testing';
import { archiveConfigSchema } from './archive.config';

describe('archive configuration docs', () => {
  it('docs/consumers.md shows exactly the archive schema', () => {
    const { actual, expected } = readmeConfigSection(
      'archive',
      archiveConfigSchema,
      join(repoRoot(), 'docs/consumers.md'),
    );
    expect(actual).toBe(expected);
  });
});
