import { readmeConfigSection } from '@broker-events/config/testing';
import { slackConfigSchema } from './slack.config';

describe('slack configuration', () => {
  it('is documented in docs/configuration.md exactly as the schema says (UPDATE_DOCS=1 rewrites it)', () => {
    const { actual, expected } = readmeConfigSection('slack', slackConfigSchema);
    expect(actual).toBe(expected);
  });
});
