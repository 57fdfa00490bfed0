import { readmeConfigSection } from '@broker-events/config/testing';
import { fileFetcherConfigSchema, loadFileFetcherConfig, resourceIds } from './file-fetcher.config';

describe('file-fetcher configuration', () => {
  it('is documented in docs/configuration.md exactly as the schema says (UPDATE_DOCS=1 rewrites it)', () => {
    const { actual, expected } = readmeConfigSection('file-fetcher', fileFetcherConfigSchema);
    expect(actual).toBe(expected);
  });

  it('loads a minimal environment; Broker gets bare resource ids', () => {
    const config = loadFileFetcherConfig({
      KAFKA_BROKERS: 'k:9092',
      FETCH_ORGANISATION_NUMBER: '312000008',
      FETCH_RESOURCES: 'urn:altinn:resource:res-a,res-b',
      ALTINN_TOKEN: 'a.b.c',
    });
    expect(config).toMatchObject({
      CONSUMER_NAME: 'file-fetcher',
      PORT: 8085,
      STORAGE_DIR: './data/files',
      RECONCILE_INTERVAL_SECONDS: 900,
      FETCH_VERIFY_CHECKSUM: true,
    });
    expect(resourceIds(config)).toEqual(['res-a', 'res-b']);
  });

  it('needs the endpoint and keys with an S3 bucket, and never echoes the secret', () => {
    const base = {
      KAFKA_BROKERS: 'k:9092',
      FETCH_ORGANISATION_NUMBER: '312000008',
      FETCH_RESOURCES: 'r',
      ALTINN_TOKEN: 'a.b.c',
    };
    expect(() =>
      loadFileFetcherConfig({ ...base, STORAGE_S3_BUCKET: 'b', STORAGE_S3_SECRET_ACCESS_KEY: 'very-secret' }),
    ).toThrow(
      /STORAGE_S3_ENDPOINT: is required with STORAGE_S3_BUCKET[\s\S]*STORAGE_S3_ACCESS_KEY_ID: is required/,
    );
    expect(() =>
      loadFileFetcherConfig({
        ...base,
        STORAGE_S3_BUCKET: 'b',
        STORAGE_S3_ENDPOINT: 'ftp://x',
        STORAGE_S3_SECRET_ACCESS_KEY: 'very-secret',
      }),
    ).not.toThrow(/very-secret/);
  });

  it('requires our organisation and resources, and an Altinn credential', () => {
    expect(() => loadFileFetcherConfig({ KAFKA_BROKERS: 'k:9092' })).toThrow(
      /FETCH_ORGANISATION_NUMBER: is required[\s\S]*FETCH_RESOURCES: is required/,
    );
    expect(() =>
      loadFileFetcherConfig({
        KAFKA_BROKERS: 'k:9092',
        FETCH_ORGANISATION_NUMBER: '312000008',
        FETCH_RESOURCES: 'r',
      }),
    ).toThrow(/MASKINPORTEN_CLIENT_ID: no way to authenticate/);
  });
});
