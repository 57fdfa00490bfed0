import { readmeConfigSection } from '@broker-events/config/testing';
import { archiveConfigSchema } from './archive.config';

describe('archive configuration in the README', () => {
  it('README.md shows exactly the archive schema (UPDATE_DOCS=1 rewrites the table)', () => {
    const { actual, expected } = readmeConfigSection('archive', archiveConfigSchema);
    expect(actual).toBe(expected);
  });
});
