import { readmeConfigSection } from '@broker-events/config/testing';
import { slackConfigSchema } from './slack.config';

describe('slack configuration in the README', () => {
  it('README.md shows exactly the slack schema (UPDATE_DOCS=1 rewrites the table)', () => {
    const { actual, expected } = readmeConfigSection('slack', slackConfigSchema);
    expect(actual).toBe(expected);
  });
});
