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
  LOG_LEVEL: oneOf(LOG_LEVELS, { doc: 'Log level.', default: 'info' }),
};

export type ArchiveConfig = ConfigOf<typeof archiveConfigSchema>;

export function loadArchiveConfig(env: EnvRecord): ArchiveConfig {
  const config = loadConfig('archive', archiveConfigSchema, env);
  const problems = kafkaConfigProblems(config);
  if (problems.length > 0) throw new ConfigError('archive', problems);
  return config;
}
