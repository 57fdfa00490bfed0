import { bool, type ConfigOf, int, list, oneOf, optional, str } from '@broker-events/config';
import { readFileSync } from 'node:fs';
import type { AppLogger } from '@broker-events/observability';
import { Kafka, type KafkaConfig, type logCreator, logLevel, type SASLOptions } from 'kafkajs';
import {
  applyKafkajsEncoderFastPath,
  applyKafkajsRequestQueueTimerFix,
  kafkajsRetriesPerPartition,
  noDelaySocketFactory,
} from './kafkajs-tuning';

/**
 * The Kafka connection settings every app shares. Apps spread this into their own schema, so each
 * variable is declared (and documented) once.
 */
export const kafkaConfigSchema = {
  KAFKA_BROKERS: list({ doc: 'Bootstrap servers, `host:port` separated by commas.', minItems: 1 }),
  KAFKA_SSL: bool({ doc: 'Connect with TLS.', default: false }),
  KAFKA_SSL_CA_FILE: optional(
    str({
      doc: "PEM file with the CA certificate(s) that signed the brokers' certificates (e.g. Strimzi's `<cluster>-cluster-ca-cert` `ca.crt`); trusted instead of the system CAs. Needs `KAFKA_SSL=true`; unset uses the system CAs.",
    }),
  ),
  KAFKA_SASL_MECHANISM: optional(
    oneOf(['plain', 'scram-sha-256', 'scram-sha-512'] as const, {
      doc: 'SASL mechanism; unset means no SASL.',
    }),
  ),
  KAFKA_SASL_USERNAME: optional(str({ doc: 'SASL user name.' })),
  KAFKA_SASL_PASSWORD: optional(str({ doc: 'SASL password.', secret: true })),
  KAFKA_CONNECTION_TIMEOUT_MS: int({ doc: 'TCP connect timeout.', default: 3000, min: 100 }),
  KAFKA_REQUEST_TIMEOUT_MS: int({ doc: 'Kafka request timeout.', default: 10000, min: 100 }),
};

export type KafkaConnectionConfig = ConfigOf<typeof kafkaConfigSchema>;

/**
 * kafkajs warnings that say what we chose on purpose, on every producer (re)connect: the idempotent producer
 * runs with retries bounded by the caller's deadline (`retriesWithin` in publisher.ts), after which
 * CoalescingPublisher replaces it and the caller (Altinn) retries.
 */
const EXPECTED_KAFKAJS_WARNINGS = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

const SECRET_KEY = /sasl|password|secret|token|authorization|credential/i;

/** A copy of kafkajs's log fields without anything secret: no SASL keys, and the password nowhere in a string. */
function scrub(value: unknown, password: string | undefined, depth = 0): unknown {
  if (typeof value === 'string')
    return password && value.includes(password) ? value.split(password).join('[redacted]') : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 3) return '[…]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, password, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : scrub(v, password, depth + 1);
  return out;
}

/**
 * kafkajs's own log lines at WARN and ERROR, into the app's logger at the same level (`kafkajs` names the
 * component, e.g. `Connection`); its debug and info chatter stays out. Never a SASL password.
 */
export function kafkajsLogCreator(logger: AppLogger, password?: string): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, ...fields } = entry;
      if (EXPECTED_KAFKAJS_WARNINGS.has(message)) return;
      const text = String(scrub(String(message), password));
      const extra = { kafkajs: namespace, ...(scrub(fields, password) as Record<string, unknown>) };
      if (level === logLevel.ERROR) log.error(extra, text);
      else if (level === logLevel.WARN) log.warn(extra, text);
    };
}

/**
 * The kafkajs client settings. With `logger`, kafkajs's warnings and errors go to it
 * ({@link kafkajsLogCreator}); without (tools, benches), kafkajs logs nothing.
 */
export function kafkaClientConfig(
  cfg: KafkaConnectionConfig,
  clientId: string,
  logger?: AppLogger,
): KafkaConfig {
  let sasl: SASLOptions | undefined;
  if (cfg.KAFKA_SASL_MECHANISM) {
    sasl = {
      mechanism: cfg.KAFKA_SASL_MECHANISM,
      username: cfg.KAFKA_SASL_USERNAME ?? '',
      password: cfg.KAFKA_SASL_PASSWORD ?? '',
    } as SASLOptions;
  }
  return {
    clientId,
    brokers: cfg.KAFKA_BROKERS,
    ssl:
      cfg.KAFKA_SSL && cfg.KAFKA_SSL_CA_FILE
        ? { ca: [readFileSync(cfg.KAFKA_SSL_CA_FILE, 'utf8')] }
        : cfg.KAFKA_SSL,
    sasl,
    connectionTimeout: cfg.KAFKA_CONNECTION_TIMEOUT_MS,
    requestTimeout: cfg.KAFKA_REQUEST_TIMEOUT_MS,
    ...(logger
      ? { logLevel: logLevel.WARN, logCreator: kafkajsLogCreator(logger, cfg.KAFKA_SASL_PASSWORD) }
      : { logLevel: logLevel.NOTHING }),
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2000 },
    socketFactory: noDelaySocketFactory,
  };
}

let warnedUnpatched = false;

export function createKafka(cfg: KafkaConnectionConfig, clientId: string, logger?: AppLogger): Kafka {
  applyKafkajsEncoderFastPath();
  applyKafkajsRequestQueueTimerFix();
  if (logger && !kafkajsRetriesPerPartition() && !warnedUnpatched) {
    warnedUnpatched = true;
    logger.warn(
      'kafkajs is not patched (patches/kafkajs+2.2.4.patch; npm ci applies it): publishing one request per partition, which is safe and slower',
    );
  }
  return new Kafka(kafkaClientConfig(cfg, clientId, logger));
}

/** Config-level check that SASL settings come together; returns problems in ConfigError's shape. */
export function kafkaConfigProblems(cfg: KafkaConnectionConfig): { variable: string; reason: string }[] {
  const problems: { variable: string; reason: string }[] = [];
  if (cfg.KAFKA_SSL_CA_FILE !== undefined) {
    if (!cfg.KAFKA_SSL)
      problems.push({ variable: 'KAFKA_SSL_CA_FILE', reason: 'is set but KAFKA_SSL is false' });
    const caProblem = caFileProblem(cfg.KAFKA_SSL_CA_FILE);
    if (caProblem) problems.push({ variable: 'KAFKA_SSL_CA_FILE', reason: caProblem });
  }
  if (!cfg.KAFKA_SASL_MECHANISM) return problems;
  if (!cfg.KAFKA_SASL_USERNAME)
    problems.push({ variable: 'KAFKA_SASL_USERNAME', reason: 'is required with SASL' });
  if (!cfg.KAFKA_SASL_PASSWORD)
    problems.push({ variable: 'KAFKA_SASL_PASSWORD', reason: 'is required with SASL' });
  return problems;
}

function caFileProblem(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  return text.includes('-----BEGIN CERTIFICATE-----') ? undefined : 'holds no PEM certificate';
}
