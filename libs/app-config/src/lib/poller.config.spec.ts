import { ConfigError } from '@broker-events/config';
import { readmeConfigSection } from '@broker-events/config/testing';
import { loadPollerConfig, pollerConfigSchema, resourceUrns } from './poller.config';

describe('poller configuration', () => {
  it('is documented in docs/configuration.md exactly as the schema says (UPDATE_DOCS=1 rewrites it)', () => {
    const { actual, expected } = readmeConfigSection('poller', pollerConfigSchema);
    expect(actual).toBe(expected);
  });

  it('loads a minimal environment and normalises resources to URNs', () => {
    const config = loadPollerConfig({
      KAFKA_BROKERS: 'k:9092',
      POLL_RESOURCES: 'res-a,urn:altinn:resource:res-b,res-a',
      POLL_ORGANISATION_NUMBER: '312000008',
      ALTINN_TOKEN: 'a.b.c',
    });
    expect(config).toMatchObject({
      POLL_INTERVAL_SECONDS: 300,
      POLL_PAGE_SIZE: 1000,
      POLL_INITIAL_CURSOR: 'latest',
      PORT: 8084,
    });
    expect(resourceUrns(config)).toEqual(['urn:altinn:resource:res-a', 'urn:altinn:resource:res-b']);
  });

  it('names every bad variable and refuses a production organisation number that fails mod-11', () => {
    let error: ConfigError | undefined;
    try {
      loadPollerConfig({
        KAFKA_BROKERS: 'k:9092',
        POLL_RESOURCES: 'ok',
        POLL_PAGE_SIZE: '5000',
        POLL_INITIAL_CURSOR: 'now',
        POLL_WITHOUT_SUBJECT_FILTER: 'true',
        ALTINN_TOKEN: 'a.b.c',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems.map((p) => p.variable).sort()).toEqual(['POLL_INITIAL_CURSOR', 'POLL_PAGE_SIZE']);
    expect(() =>
      loadPollerConfig({
        KAFKA_BROKERS: 'k:9092',
        POLL_RESOURCES: 'ok',
        ALTINN_TOKEN: 'a.b.c',
        ALTINN_ENVIRONMENT: 'production',
        POLL_ORGANISATION_NUMBER: '123456789',
      }),
    ).toThrow(/POLL_ORGANISATION_NUMBER: fails the mod-11 check/);
  });
});
