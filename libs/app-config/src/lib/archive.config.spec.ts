import { readmeConfigSection } from '@broker-events/config/testing';
import { archiveConfigSchema } from './archive.config';

describe('archive configuration', () => {
  it('is documented in docs/configuration.md exactly as the schema says (UPDATE_DOCS=1 rewrites it)', () => {
    const { actual, expected } = readmeConfigSection('archive', archiveConfigSchema);
    expect(actual).toBe(expected);
  });
});
