import { readmeConfigSection } from '@broker-events/config/testing';
import { emailConfigSchema } from './email.config';

describe('email configuration', () => {
  it('is documented in docs/configuration.md exactly as the schema says (UPDATE_DOCS=1 rewrites it)', () => {
    const { actual, expected } = readmeConfigSection('email', emailConfigSchema);
    expect(actual).toBe(expected);
  });
});
