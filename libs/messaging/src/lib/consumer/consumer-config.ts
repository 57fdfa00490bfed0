import { CONSUMER_NAME_PATTERN, TOPICS } from '@broker-events/contracts';
import { type ConfigOf, bool, int, list, oneOf, optional, str, url } from '@broker-events/config';
import { tracingConfigSchema } from '@broker-events/observability';
import type { RetryPolicy } from './backoff';
import type { IdempotencyStore } from './idempotency/idempotency-store';
import { PostgresIdempotencyStore } from './idempotency/postgres-idempotency-store';
import { SqliteIdempotencyStore } from './idempotency/sqlite-idempotency-store';

const wholeNumber = (v: string): string | undefined =>
  /^\d+$/.test(v) ? undefined : `"${v}" is not a whole number of milliseconds`;

/**
 * Settings every pipeline consumer shares (spread into the app's schema after kafkaConfigSchema).
 * `defaults` lets an app pick its own consumer name and concurrency.
 */
export function pipelineConfigSchema(defaults: {
  consumer: string;
  concurrency?: number;
  partitionsConcurrently?: number;
  startFrom?: 'earliest' | 'latest';
  port: number;
}) {
  return {
    CONSUMER_NAME: str({
      doc: 'Consumer name: names the retry topic `altinn.broker.retry.v1.<name>`, the DLQ `altinn.broker.dlq.v1.<name>` and the consumer group `<name>-server`.',
      default: defaults.consumer,
      pattern: CONSUMER_NAME_PATTERN,
    }),
    CONSUMER_TOPICS: list({
      doc: 'Topics to deliver from. Leave at the default except in tests.',
      default: [TOPICS.events],
      minItems: 1,
    }),
    CONSUMER_START_FROM: oneOf(['earliest', 'latest'] as const, {
      doc: 'Where the consumer group starts when it has no committed offsets yet (first deployment, new CONSUMER_NAME): `earliest` replays what the events topic still holds, `latest` only takes new events.',
      default: defaults.startFrom ?? 'earliest',
    }),
    CONSUMER_CONCURRENCY: int({
      doc: 'Records of one partition handled at once; records with the same key (file transfer) always one after another.',
      default: defaults.concurrency ?? 1,
      min: 1,
      max: 10_000,
    }),
    CONSUMER_PARTITIONS_CONCURRENTLY: int({
      doc: 'Partitions handled at once (kafkajs partitionsConsumedConcurrently).',
      default: defaults.partitionsConcurrently ?? 2,
      min: 1,
      max: 64,
    }),
    RETRY_IN_PLACE_ATTEMPTS: int({
      doc: 'Handler calls per round before an event is parked (first call included).',
      default: 3,
      min: 1,
      max: 20,
    }),
    RETRY_INITIAL_BACKOFF_MS: int({
      doc: 'First in-place backoff; doubles per call, with jitter.',
      default: 200,
      min: 1,
    }),
    RETRY_MAX_BACKOFF_MS: int({
      doc: 'Longest in-place backoff. A sink Retry-After longer than this parks the event in the retry topic instead.',
      default: 5000,
      min: 1,
    }),
    RETRY_TOPIC_DELAYS_MS: list({
      doc: 'Delay before each retry-topic round; after the last round the event goes to the DLQ. Empty: no retry topic.',
      default: ['30000', '300000', '1800000'],
      item: wholeNumber,
    }),
    DELIVERY_REPORTS: bool({
      doc: 'Publish a delivery report (delivered, skipped, retry, dead-lettered; see docs/consumers.md) to `altinn.broker.deliveries.v1` for every attempt, before the offset is committed. A report that cannot be written is logged and counted (`pipeline_reports_failed_total`); the event is not delivered again for it.',
      default: true,
    }),
    DELIVERY_REPORTS_FILTERED: bool({
      doc: "Also report the events this consumer's filter skipped (`skipped`, `filter: not for this consumer`). Off by default: a consumer with a narrow filter would report nearly every event, each a Kafka write and an archive row, to say it did not want it. Skips of duplicates are always reported.",
      default: false,
    }),
    KAFKA_CREATE_TOPICS: bool({
      doc: 'Create the source, retry, DLQ (and delivery-report) topics at start-up when missing (off where Strimzi owns topics).',
      default: true,
    }),
    KAFKA_TOPIC_PARTITIONS: int({
      doc: 'Partitions for the topics it creates (the gateway creates the events topic with its own setting).',
      default: 6,
      min: 1,
    }),
    KAFKA_TOPIC_REPLICATION_FACTOR: int({
      doc: 'Replication factor for the topics it creates.',
      default: 1,
      min: 1,
    }),
    KAFKA_SESSION_TIMEOUT_MS: int({ doc: 'Consumer session timeout.', default: 30000, min: 6000 }),
    KAFKA_HEARTBEAT_INTERVAL_MS: int({
      doc: 'Consumer heartbeat interval (also sent while a slow delivery runs).',
      default: 3000,
      min: 100,
    }),
    KAFKA_FETCH_MIN_BYTES: int({
      doc: 'Bytes the broker gathers before it answers a fetch (fetch.min.bytes), up to KAFKA_FETCH_MAX_WAIT_MS. 1 answers as soon as one record is there: under load that is many small fetches, batches, offset commits and report writes.',
      default: 1,
      min: 1,
    }),
    KAFKA_FETCH_MAX_WAIT_MS: int({
      doc: 'Longest the broker holds a fetch for KAFKA_FETCH_MIN_BYTES (fetch.max.wait.ms): with a minimum above 1, the most a record waits at low traffic.',
      default: 1000,
      min: 10,
    }),
    PORT: int({
      doc: 'HTTP port for /health/live, /health/ready, /metrics (and the app’s own API); 0 picks a free port.',
      default: defaults.port,
      min: 0,
      max: 65535,
    }),
    HOST: str({ doc: 'Interface to listen on.', default: '0.0.0.0' }),
    SHUTDOWN_GRACE_MS: int({
      doc: 'How long a graceful shutdown may take (drain in-flight deliveries, commit) before the process exits.',
      default: 25000,
      min: 0,
    }),
    ...tracingConfigSchema,
  };
}

export type PipelineConfig = ConfigOf<ReturnType<typeof pipelineConfigSchema>>;

export function retryPolicyFromConfig(cfg: PipelineConfig): RetryPolicy {
  return {
    inPlaceAttempts: cfg.RETRY_IN_PLACE_ATTEMPTS,
    initialBackoffMs: cfg.RETRY_INITIAL_BACKOFF_MS,
    maxBackoffMs: cfg.RETRY_MAX_BACKOFF_MS,
    retryTopicDelaysMs: cfg.RETRY_TOPIC_DELAYS_MS.map(Number),
  };
}

/** Idempotency store settings for consumers whose sink cannot de-duplicate by itself (email, Slack). */
export const idempotencyConfigSchema = {
  IDEMPOTENCY_DATABASE_URL: optional(
    url({
      doc: 'PostgreSQL for the processed-events store, e.g. `postgres://user:pass@host:5432/db`. Unset: an embedded SQLite file.',
      secret: true,
      protocols: ['postgres', 'postgresql'],
    }),
  ),
  IDEMPOTENCY_DB_SCHEMA: str({
    doc: 'PostgreSQL schema for the processed-events table.',
    default: 'consumers',
    pattern: /^[a-z_][a-z0-9_]{0,62}$/,
  }),
  IDEMPOTENCY_SQLITE_PATH: str({
    doc: 'SQLite file for the processed-events store when no database URL is set.',
    default: './data/processed-events.sqlite',
  }),
  IDEMPOTENCY_RETENTION_DAYS: int({
    doc: 'Processed-event entries older than this are pruned (at start and every 6 hours). Keep it longer than a redelivery can come late (retry delays, a DLQ re-drive).',
    default: 30,
    min: 1,
  }),
};

export type IdempotencyConfig = ConfigOf<typeof idempotencyConfigSchema>;

export function createIdempotencyStore(cfg: IdempotencyConfig): IdempotencyStore {
  return cfg.IDEMPOTENCY_DATABASE_URL
    ? new PostgresIdempotencyStore(cfg.IDEMPOTENCY_DATABASE_URL, cfg.IDEMPOTENCY_DB_SCHEMA)
    : new SqliteIdempotencyStore(cfg.IDEMPOTENCY_SQLITE_PATH);
}
