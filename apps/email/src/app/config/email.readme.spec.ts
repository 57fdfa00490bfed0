import { readmeConfigSection } from '@broker-events/config/testing';
import { emailConfigSchema } from './email.config';

describe('email configuration in the README', () => {
  it('README.md shows exactly the email schema (UPDATE_DOCS=1 rewrites the table)', () => {
    const { actual, expected } = readmeConfigSection('email', emailConfigSchema);
    expect(actual).toBe(expected);
  });
});
