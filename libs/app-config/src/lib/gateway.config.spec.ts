import { ConfigError } from '@broker-events/config';
import { readmeConfigSection } from '@broker-events/config/testing';
import { gatewayConfigSchema, loadGatewayConfig } from './gateway.config';

const token = 'x'.repeat(32);

describe('gateway configuration', () => {
  it('loads a minimal environment with documented defaults', () => {
    const config = loadGatewayConfig({ KAFKA_BROKERS: '127.0.0.1:9092', WEBHOOK_TOKENS: token });
    expect(config).toMatchObject({
      PORT: 8080,
      WEBHOOK_TOKENS: [token],
      ALLOWED_SOURCE_CIDRS: [],
      BODY_LIMIT_BYTES: 65536,
      PUBLISH_TIMEOUT_MS: 10000,
      REDIS_URL: undefined,
    });
  });

  it('names every bad variable, including SASL settings that do not come together', () => {
    let error: ConfigError | undefined;
    try {
      loadGatewayConfig({
        KAFKA_BROKERS: 'k:9092',
        WEBHOOK_TOKENS: 'has spaces but is long enough to pass the length',
        ALLOWED_SOURCE_CIDRS: '20.100.24.41/32,not-an-ip,10.0.0.0/33',
        PUBLISH_TIMEOUT_MS: '60000',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems.map((p) => p.variable).sort()).toEqual([
      'ALLOWED_SOURCE_CIDRS',
      'PUBLISH_TIMEOUT_MS',
      'WEBHOOK_TOKENS',
    ]);
    expect(error?.message).toContain('"not-an-ip" is not an address or CIDR');
    expect(error?.message).toContain('prefix length outside 0..32');
    expect(() =>
      loadGatewayConfig({ KAFKA_BROKERS: 'k:9092', WEBHOOK_TOKENS: token, KAFKA_SASL_MECHANISM: 'plain' }),
    ).toThrow(/KAFKA_SASL_USERNAME: is required with SASL[\s\S]*KAFKA_SASL_PASSWORD: is required with SASL/);
  });

  it('is documented in docs/configuration.md exactly as the schema says (UPDATE_DOCS=1 rewrites it)', () => {
    const { actual, expected } = readmeConfigSection('gateway', gatewayConfigSchema);
    expect(actual).toBe(expected);
  });
});
