import {
  type ConfigOf,
  ConfigError,
  int,
  list,
  loadConfig,
  oneOf,
  optional,
  url,
  str,
  type EnvRecord,
} from '@broker-events/config';
import { kafkaConfigProblems, kafkaConfigSchema, producerConfigSchema } from '@broker-events/messaging';
import { LOG_LEVELS, tracingConfigSchema } from '@broker-events/observability';
import { isIP } from 'node:net';
import { metricsPort, metricsPortProblems } from './settings';

/** The webhook routes: the token as the last path segment, or as the `code` query parameter. */
export const WEBHOOK_PATH = '/altinn/events';

function cidrProblem(v: string): string | undefined {
  const [addr, bits, extra] = v.split('/');
  const family = isIP(addr ?? '');
  if (family === 0 || extra !== undefined) return `"${v}" is not an address or CIDR`;
  if (bits === undefined) return undefined;
  const n = Number(bits);
  const max = family === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && n <= max ? undefined : `"${v}" has a prefix length outside 0..${max}`;
}

/**
 * Every setting of the gateway. docs/configuration.md's table is generated from (and tested against) this
 * schema.
 */
export const gatewayConfigSchema = {
  PORT: int({ doc: 'HTTP port.', default: 8080, min: 1, max: 65535 }),
  METRICS_PORT: metricsPort('the webhook'),
  HOST: str({ doc: 'Interface to listen on.', default: '0.0.0.0' }),
  WEBHOOK_TOKENS: list({
    doc: 'Secret tokens accepted in the webhook URL (`/altinn/events/<token>` or `?code=<token>`). Several may be valid at once, for rotation. At least 32 characters each.',
    secret: true,
    minItems: 1,
    item: (v) =>
      v.length < 32
        ? 'is shorter than 32 characters'
        : /^[A-Za-z0-9._~-]+$/.test(v)
          ? undefined
          : 'may only contain URL-safe characters (A-Z a-z 0-9 . _ ~ -)',
  }),
  ALLOWED_SOURCE_CIDRS: list({
    doc: 'Optional source-IP allow-list (addresses or CIDRs). Altinn pushes from 20.100.24.41/32 (TT02) and 20.100.46.139/32 (production). Empty allows every address.',
    default: [],
    item: cidrProblem,
  }),
  TRUSTED_PROXY_HOPS: int({
    doc: 'Number of reverse proxies in front of the gateway whose `X-Forwarded-For` entries are trusted (0 = use the socket address).',
    default: 0,
    min: 0,
    max: 10,
  }),
  BODY_LIMIT_BYTES: int({ doc: 'Largest request body accepted (413 above it).', default: 65536, min: 1024 }),
  REQUEST_TIMEOUT_MS: int({
    doc: 'A client that has not sent its whole request within this time gets 408 and is disconnected (slow clients).',
    default: 30000,
    min: 1000,
  }),
  BATCH_MAX_EVENTS: int({
    doc: 'Most events accepted in one `application/cloudevents-batch+json` request.',
    default: 100,
    min: 1,
  }),
  ...kafkaConfigSchema,
  ...producerConfigSchema('gateway'),
  PUBLISH_TIMEOUT_MS: int({
    doc: 'Deadline for Kafka to acknowledge a write (acks=all); past it the request is answered 503. Altinn gives up on a request after 45 s.',
    default: 10000,
    min: 100,
    max: 40000,
  }),
  PUBLISH_MAX_BATCH: int({ doc: 'Most records coalesced into one produce request.', default: 1000, min: 1 }),
  PUBLISH_LINGER_MS: int({
    doc: 'Extra time to wait for more records before a produce request (0 = none).',
    default: 0,
    min: 0,
    max: 1000,
  }),
  RETRY_AFTER_SECONDS: int({ doc: '`Retry-After` sent with 503 answers.', default: 10, min: 1 }),
  DEDUP_WINDOW_SECONDS: int({
    doc: 'How long a (source, id) pair is remembered to answer duplicates without a second publish. Altinn retries for about 1.5 days.',
    default: 172800,
    min: 0,
  }),
  DEDUP_MEMORY_MAX_ENTRIES: int({
    doc: 'Size bound of the in-memory duplicate window (used when REDIS_URL is unset). Each entry costs about 160 bytes of RSS, so the default holds about 30 MiB (measured by `npm run soak`).',
    default: 200000,
    min: 1,
  }),
  REDIS_URL: optional(
    url({
      doc: 'Redis for a duplicate window shared by all replicas, e.g. `redis://127.0.0.1:6379/0`.',
      secret: true,
      protocols: ['redis', 'rediss'],
    }),
  ),
  REDIS_COMMAND_TIMEOUT_MS: int({
    doc: 'How long a duplicate-window command may take before the gateway passes over it and publishes anyway (fail open). A Redis that is down fails at once; this bounds a slow one.',
    default: 1000,
    min: 10,
    max: 10000,
  }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { doc: 'Log level.', default: 'info' }),
  ...tracingConfigSchema,
  SHUTDOWN_GRACE_MS: int({
    doc: 'How long a graceful shutdown waits for in-flight requests and publishes.',
    default: 20000,
    min: 0,
  }),
};

export type GatewayConfig = ConfigOf<typeof gatewayConfigSchema>;

export function loadGatewayConfig(env: EnvRecord): GatewayConfig {
  const config = loadConfig('gateway', gatewayConfigSchema, env);
  const problems = [...kafkaConfigProblems(config), ...metricsPortProblems(config)];
  if (problems.length > 0) throw new ConfigError('gateway', problems);
  return config;
}
