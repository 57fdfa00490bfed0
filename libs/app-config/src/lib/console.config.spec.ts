import { ConfigError } from '@broker-events/config';
import { readmeConfigSection } from '@broker-events/config/testing';
import { consoleConfigSchema, loadConsoleConfig } from './console.config';

const minimal = {
  KAFKA_BROKERS: 'k:9092',
  ARCHIVE_URL: 'http://archive:80',
  CONSOLE_PUBLIC_URL: 'https://console.example.no',
  OIDC_ISSUER: 'https://login.example.no/realms/x',
  OIDC_CLIENT_ID: 'console',
  OIDC_CLIENT_SECRET: 'secret',
  SESSION_SECRET: 'a'.repeat(32),
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConsoleConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => p.variable).sort();
    throw e;
  }
  return [];
}

describe('console configuration', () => {
  it('is documented in docs/configuration.md exactly as the schema says (UPDATE_DOCS=1 rewrites it)', () => {
    const { actual, expected } = readmeConfigSection('console', consoleConfigSchema);
    expect(actual).toBe(expected);
  });

  it('loads a minimal environment with the contract defaults', () => {
    expect(loadConsoleConfig(minimal)).toMatchObject({
      PORT: 8089,
      OIDC_ROLES_CLAIM: 'roles',
      CONSOLE_VIEWER_ROLES: ['broker-events-viewer'],
      CONSOLE_OPERATOR_ROLES: ['broker-events-operator'],
      CONSOLE_CONSUMERS: ['archive', 'email', 'slack', 'file-fetcher'],
      CONSOLE_COOKIE_SECURE: true,
      CONSOLE_UNCONFIRMED_AFTER_SECONDS: 86400,
      CONSOLE_QUIET_AFTER_SECONDS: 21600,
      CONSOLE_DB_SCHEMA: 'console',
    });
  });

  it('accepts the trusted header instead of OpenID Connect', () => {
    const { OIDC_ISSUER: _i, OIDC_CLIENT_ID: _c, OIDC_CLIENT_SECRET: _s, ...rest } = minimal;
    expect(
      loadConsoleConfig({ ...rest, CONSOLE_TRUSTED_HEADER_USER: 'X-Auth-Request-Email' })
        .CONSOLE_TRUSTED_HEADER_USER,
    ).toBe('X-Auth-Request-Email');
  });

  it('names every bad variable', () => {
    expect(
      problemsOf({
        ...minimal,
        SESSION_SECRET: 'short',
        ARCHIVE_URL: 'archive',
        CONSOLE_CONSUMERS: 'email,Bad Name',
      }),
    ).toEqual(['ARCHIVE_URL', 'CONSOLE_CONSUMERS', 'SESSION_SECRET']);
    const { OIDC_CLIENT_SECRET: _s, ...noSecret } = minimal;
    expect(problemsOf(noSecret)).toEqual(['OIDC_CLIENT_SECRET']);
    const { OIDC_ISSUER: _i, OIDC_CLIENT_ID: _c, ...noLogin } = noSecret;
    expect(problemsOf(noLogin)).toEqual(['OIDC_ISSUER']);
    expect(problemsOf({ ...minimal, CONSOLE_PUBLIC_URL: 'http://127.0.0.1:8089' })).toEqual([
      'CONSOLE_COOKIE_SECURE',
    ]);
    expect(problemsOf({ ...minimal, CONSOLE_PUBLIC_URL: 'https://ops.example.no/console/' })).toEqual([
      'CONSOLE_PUBLIC_URL',
    ]);
    expect(problemsOf({ ...minimal, CONSOLE_TRUSTED_HEADER_GROUPS: 'X-Groups' })).toEqual([
      'CONSOLE_TRUSTED_HEADER_GROUPS',
    ]);
    expect(problemsOf({ ...minimal, PORT: '8089', METRICS_PORT: '8089' })).toEqual(['METRICS_PORT']);
    expect(loadConsoleConfig({ ...minimal, METRICS_PORT: '9090' }).METRICS_PORT).toBe(9090);
  });
});
