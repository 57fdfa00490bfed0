import {
  type ConfigOf,
  type ConfigProblem,
  ConfigError,
  type EnvRecord,
  bool,
  int,
  list,
  loadConfig,
  oneOf,
  optional,
  str,
  url,
} from '@broker-events/config';
import { kafkaConfigProblems, kafkaConfigSchema } from '@broker-events/messaging';
import { LOG_LEVELS } from '@broker-events/observability';
import { metricsPort, metricsPortProblems, postgresSchema, postgresUrl } from './settings';

const HEADER_NAME = /^[A-Za-z0-9-]{1,100}$/;
const CONSUMER_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/**
 * Every setting of the web console (issue #15). docs/configuration.md's table is generated from (and tested
 * against) this schema.
 */
export const consoleConfigSchema = {
  ARCHIVE_URL: url({
    doc: "The archive's read API (`GET /archive/...`), e.g. `http://archive:80` in the cluster.",
    protocols: ['http', 'https'],
  }),
  POLLER_URL: optional(
    url({
      doc: "The poller's health and metrics (`/health/ready`, `/metrics`), e.g. `http://poller:80`. Unset: the console does not watch a poller.",
      protocols: ['http', 'https'],
    }),
  ),
  CONSOLE_PUBLIC_URL: url({
    doc: 'The address people open the console at: scheme, host and port only (the console is served at the root of its host). The OpenID redirect is `<this>/auth/callback`, and a change (POST) must come from this origin.',
    protocols: ['http', 'https'],
  }),
  OIDC_ISSUER: optional(
    url({
      doc: "The OpenID Connect provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). Unset: no OpenID login (then CONSOLE_TRUSTED_HEADER_USER must be set).",
      protocols: ['http', 'https'],
    }),
  ),
  OIDC_CLIENT_ID: optional(str({ doc: "The console's client id at the provider." })),
  OIDC_CLIENT_SECRET: optional(str({ doc: "The console's client secret at the provider.", secret: true })),
  OIDC_ROLES_CLAIM: str({
    doc: 'ID token (or userinfo) claim with the user’s roles or groups: an array of strings, or one space- or comma-separated string.',
    default: 'roles',
  }),
  OIDC_SCOPES: str({
    doc: 'Scopes asked for at login (space-separated).',
    default: 'openid profile email',
  }),
  CONSOLE_VIEWER_ROLES: list({
    doc: 'Roles (or groups) that may read everything. Operators may read too.',
    default: ['broker-events-viewer'],
  }),
  CONSOLE_OPERATOR_ROLES: list({
    doc: 'Roles (or groups) that may also re-drive dead letters.',
    default: ['broker-events-operator'],
  }),
  CONSOLE_TRUSTED_HEADER_USER: optional(
    str({
      doc: 'Behind an authenticating proxy (oauth2-proxy): the request header naming the signed-in user, e.g. `X-Auth-Request-Email`. Unset: no header is trusted. Set it only when every request passes the proxy (the NetworkPolicy allows the ingress controller only).',
      pattern: HEADER_NAME,
    }),
  ),
  CONSOLE_TRUSTED_HEADER_GROUPS: optional(
    str({
      doc: "With CONSOLE_TRUSTED_HEADER_USER: the header with the user's groups (comma-separated), e.g. `X-Auth-Request-Groups`; matched against the role lists above.",
      pattern: HEADER_NAME,
    }),
  ),
  SESSION_SECRET: str({
    doc: 'Key material for the session cookie (encrypted and authenticated, AES-256-GCM) and the CSRF tokens; at least 32 characters. Changing it signs everyone out.',
    secret: true,
    minLength: 32,
  }),
  CONSOLE_COOKIE_SECURE: bool({
    doc: 'Mark cookies `Secure` (HTTPS only). Turn off only for a plain-HTTP local run.',
    default: true,
  }),
  CONSOLE_SESSION_HOURS: int({
    doc: 'How long a login lasts.',
    default: 8,
    min: 1,
    max: 168,
  }),
  CONSOLE_CONSUMERS: list({
    doc: 'Consumers (CONSUMER_NAME) whose dead-letter topics the console shows and re-drives.',
    default: ['archive', 'email', 'slack', 'file-fetcher'],
    item: (v) => (CONSUMER_NAME.test(v) ? undefined : `"${v}" is not a consumer name`),
  }),
  CONSOLE_DATABASE_URL: postgresUrl(
    'PostgreSQL for the audit log of re-drives, e.g. `postgres://user:pass@host:5432/db`. Unset: the SQLite file below.',
  ),
  CONSOLE_DB_SCHEMA: postgresSchema('PostgreSQL schema of the `console_audit` table.', 'console'),
  CONSOLE_SQLITE_PATH: str({
    doc: 'SQLite file for the audit log when CONSOLE_DATABASE_URL is unset.',
    default: './data/console.sqlite',
  }),
  CONSOLE_UNCONFIRMED_AFTER_SECONDS: int({
    doc: 'Needs attention: a transfer published this long ago that not every recipient confirmed.',
    default: 86400,
    min: 1,
  }),
  CONSOLE_QUIET_AFTER_SECONDS: int({
    doc: 'Needs attention: a resource (subscription) from which nothing arrived for this long.',
    default: 21600,
    min: 1,
  }),
  CONSOLE_LIVE_POLL_MS: int({
    doc: 'Live page: how often the console asks the archive for newly received events (once for all open browsers, only while one is connected).',
    default: 2000,
    min: 200,
  }),
  CONSOLE_HTTP_TIMEOUT_MS: int({
    doc: 'Deadline for a request to the archive, the poller and the OpenID provider.',
    default: 10000,
    min: 100,
  }),
  ...kafkaConfigSchema,
  PORT: int({
    doc: 'HTTP port: the pages, and /health/live, /health/ready and /metrics unless METRICS_PORT is set.',
    default: 8089,
    min: 0,
    max: 65535,
  }),
  METRICS_PORT: metricsPort('the pages'),
  HOST: str({ doc: 'Interface to listen on.', default: '0.0.0.0' }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { doc: 'Log level.', default: 'info' }),
  SHUTDOWN_GRACE_MS: int({
    doc: 'How long a graceful shutdown waits for open requests (live streams are ended at once).',
    default: 10000,
    min: 0,
  }),
};

export type ConsoleConfig = ConfigOf<typeof consoleConfigSchema>;

export function loadConsoleConfig(env: EnvRecord): ConsoleConfig {
  const config = loadConfig('console', consoleConfigSchema, env);
  const problems: ConfigProblem[] = [...kafkaConfigProblems(config), ...metricsPortProblems(config)];
  const oidc = [config.OIDC_ISSUER, config.OIDC_CLIENT_ID, config.OIDC_CLIENT_SECRET];
  if (oidc.some((v) => v !== undefined) && oidc.some((v) => v === undefined)) {
    for (const [name, value] of [
      ['OIDC_ISSUER', config.OIDC_ISSUER],
      ['OIDC_CLIENT_ID', config.OIDC_CLIENT_ID],
      ['OIDC_CLIENT_SECRET', config.OIDC_CLIENT_SECRET],
    ] as const)
      if (value === undefined)
        problems.push({ variable: name, reason: 'is required with the other OIDC_* settings' });
  }
  if (config.OIDC_ISSUER === undefined && config.CONSOLE_TRUSTED_HEADER_USER === undefined)
    problems.push({
      variable: 'OIDC_ISSUER',
      reason: 'or CONSOLE_TRUSTED_HEADER_USER is required: nobody could sign in',
    });
  if (config.CONSOLE_TRUSTED_HEADER_GROUPS !== undefined && config.CONSOLE_TRUSTED_HEADER_USER === undefined)
    problems.push({ variable: 'CONSOLE_TRUSTED_HEADER_GROUPS', reason: 'needs CONSOLE_TRUSTED_HEADER_USER' });
  if (new URL(config.CONSOLE_PUBLIC_URL).origin !== config.CONSOLE_PUBLIC_URL)
    problems.push({
      variable: 'CONSOLE_PUBLIC_URL',
      reason: 'must be an origin only (scheme, host, port), without a path or a trailing slash',
    });
  if (config.CONSOLE_COOKIE_SECURE && config.CONSOLE_PUBLIC_URL.startsWith('http:'))
    problems.push({
      variable: 'CONSOLE_COOKIE_SECURE',
      reason:
        'is true but CONSOLE_PUBLIC_URL is plain http: the browser would never send the session cookie back',
    });
  if (problems.length > 0) throw new ConfigError('console', problems);
  return config;
}
