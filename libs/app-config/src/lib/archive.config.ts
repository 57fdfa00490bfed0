import { TOPICS } from '@broker-events/contracts';
import {
  type ConfigOf,
  ConfigError,
  type EnvRecord,
  int,
  loadConfig,
  oneOf,
  str,
} from '@broker-events/config';
import { kafkaConfigProblems, kafkaConfigSchema, pipelineConfigSchema } from '@broker-events/messaging';
import { LOG_LEVELS } from '@broker-events/observability';
import { postgresSchema, postgresUrl } from './settings';

/**
 * Every setting of the archive consumer. docs/configuration.md's table is generated from (and tested against) it.
 */
export const archiveConfigSchema = {
  ...kafkaConfigSchema,
  ...pipelineConfigSchema({ consumer: 'archive', concurrency: 500, partitionsConcurrently: 6, port: 8083 }),
  ARCHIVE_DATABASE_URL: postgresUrl(
    'PostgreSQL for the archive, e.g. `postgres://user:pass@127.0.0.1:5432/broker`. Unset: the embedded SQLite file below.',
  ),
  ARCHIVE_DB_SCHEMA: postgresSchema(
    'PostgreSQL schema holding `archived_events` and `schema_migrations`.',
    'archive',
  ),
  ARCHIVE_DB_POOL_SIZE: int({ doc: 'PostgreSQL connections.', default: 4, min: 1, max: 100 }),
  ARCHIVE_SQLITE_PATH: str({
    doc: 'SQLite file used when ARCHIVE_DATABASE_URL is unset.',
    default: './data/archive.sqlite',
  }),
  ARCHIVE_BATCH_MAX_ROWS: int({ doc: 'Most rows per INSERT.', default: 1000, min: 1, max: 10000 }),
  ARCHIVE_BATCH_LINGER_MS: int({
    doc: 'Wait this long for more rows before an INSERT (0: only rows that arrived together).',
    default: 0,
    min: 0,
    max: 1000,
  }),
  ARCHIVE_QUERY_MAX_ROWS: int({ doc: 'Largest `limit` the read API accepts.', default: 1000, min: 1 }),
  ARCHIVE_DELIVERIES_TOPIC: str({
    doc: "Topic of the consumers' delivery reports, stored for the read API (consumer group `archive-deliveries`). Leave at the default except in tests.",
    default: TOPICS.deliveries,
  }),
  ARCHIVE_RETENTION_DAYS: int({
    doc: 'Delete transfers (their events, summary and delivery reports) whose last event arrived more than this many days ago, and events and reports without a transfer older than that. 0: keep everything forever.',
    default: 0,
    min: 0,
  }),
  ARCHIVE_RETENTION_INTERVAL_MINUTES: int({
    doc: 'How often the retention runs (the first run is one minute after start).',
    default: 60,
    min: 1,
  }),
  ARCHIVE_RETENTION_BATCH: int({
    doc: 'Transfers (or loose rows) deleted per transaction, so ingest is never blocked for long.',
    default: 500,
    min: 1,
    max: 100000,
  }),
  ARCHIVE_SUMMARY_INTERVAL_MS: int({
    doc: 'How often the summarizer folds newly archived events into the transfer summaries (search, attention).',
    default: 200,
    min: 10,
    max: 60000,
  }),
  ARCHIVE_SUMMARY_BATCH: int({
    doc: 'Dirty transfers the summarizer claims and rewrites per transaction.',
    default: 500,
    min: 1,
    max: 10000,
  }),
  ARCHIVE_SUMMARY_LAG_WARN_SECONDS: int({
    doc: 'Readiness shows a `summarizer` note while the oldest unsummarised transfer waits longer than this.',
    default: 30,
    min: 1,
  }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { doc: 'Log level.', default: 'info' }),
};

export type ArchiveConfig = ConfigOf<typeof archiveConfigSchema>;

export function loadArchiveConfig(env: EnvRecord): ArchiveConfig {
  const config = loadConfig('archive', archiveConfigSchema, env);
  const problems = kafkaConfigProblems(config);
  if (problems.length > 0) throw new ConfigError('archive', problems);
  return config;
}
