import { bool, type ConfigOf, int, list, oneOf, optional, str } from '@broker-events/config';
import { readFileSync } from 'node:fs';
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import { applyKafkajsEncoderFastPath, noDelaySocketFactory } from './kafkajs-tuning';

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

export function kafkaClientConfig(cfg: KafkaConnectionConfig, clientId: string): KafkaConfig {
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
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2000 },
    socketFactory: noDelaySocketFactory,
  };
}

export function createKafka(cfg: KafkaConnectionConfig, clientId: string): Kafka {
  applyKafkajsEncoderFastPath();
  return new Kafka(kafkaClientConfig(cfg, clientId));
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
