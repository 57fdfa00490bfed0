import {
  type ConfigOf,
  ConfigError,
  type EnvRecord,
  bool,
  int,
  loadConfig,
  oneOf,
  optional,
  str,
  url,
} from '@broker-events/config';
import { altinnConfigSchema, resourceIdsOf } from '@broker-events/altinn-client';
import { kafkaConfigSchema, pipelineConfigSchema } from '@broker-events/messaging';
import { LOG_LEVELS } from '@broker-events/observability';
import { altinnAppProblems, brokerResources, postgresSchema, postgresUrl } from './settings';

/**
 * Every setting of the file fetcher. docs/configuration.md's table is generated from (and tested against) it.
 */
export const fileFetcherConfigSchema = {
  FETCH_ORGANISATION_NUMBER: str({
    doc: 'Our organisation number: files are fetched when we are a recipient.',
    pattern: /^[0-9]{9}$/,
  }),
  FETCH_RESOURCES: brokerResources(
    'Broker resources to fetch from (ids or `urn:altinn:resource:` URNs, comma-separated); also what reconciliation asks Broker about.',
  ),
  STORAGE_DIR: str({
    doc: 'Folder the files are written to, one sub-folder per file transfer (`<dir>/<fileTransferId>/<fileName>`).',
    default: './data/files',
  }),
  STORAGE_S3_BUCKET: optional(
    str({
      doc: 'Store the files in this S3-compatible bucket instead of STORAGE_DIR (which then only holds the download while it is uploaded).',
    }),
  ),
  STORAGE_S3_ENDPOINT: optional(
    url({
      doc: 'S3 endpoint, path-style (`https://s3.eu-north-1.amazonaws.com`, `http://minio:9000`). Required with STORAGE_S3_BUCKET.',
      protocols: ['https', 'http'],
    }),
  ),
  STORAGE_S3_REGION: str({ doc: 'Region the requests are signed for (SigV4).', default: 'us-east-1' }),
  STORAGE_S3_ACCESS_KEY_ID: optional(str({ doc: 'S3 access key id. Required with STORAGE_S3_BUCKET.' })),
  STORAGE_S3_SECRET_ACCESS_KEY: optional(
    str({ doc: 'S3 secret access key. Required with STORAGE_S3_BUCKET.', secret: true }),
  ),
  STORAGE_S3_PREFIX: str({
    doc: 'Key prefix; objects are `<prefix><fileTransferId>/<fileName>`.',
    default: '',
  }),
  FETCH_VERIFY_CHECKSUM: bool({
    doc: 'Compare the download with the MD5 checksum in the overview, when the sender gave one.',
    default: true,
  }),
  FETCH_MAX_FILE_BYTES: optional(
    int({ doc: 'Refuse (dead-letter) files larger than this. Unset: no limit.', min: 1 }),
  ),
  FETCH_DOWNLOAD_RESUMES: int({
    doc: 'How often a download that broke off (timeout, connection lost) continues with a Range request from the last byte received, before the attempt fails.',
    default: 3,
    min: 0,
    max: 100,
  }),
  RECONCILE_INTERVAL_SECONDS: int({
    doc: 'How often to ask Broker for transfers still awaiting our download (status Published, our status Initialized or DownloadStarted). 0 turns it off.',
    default: 900,
    min: 0,
  }),
  RECONCILE_ON_START: bool({ doc: 'Reconcile once at start-up.', default: true }),
  RECONCILE_WINDOW_DAYS: int({
    doc: 'How far back reconciliation looks (by when a transfer was published). Broker lists at most the 100 newest per query; reconciliation walks back through this window with `from`/`to`.',
    default: 30,
    min: 1,
    max: 365,
  }),
  RECONCILE_SET_ASIDE_AFTER: int({
    doc: 'After this many failed attempts (events and reconciliation together) reconciliation puts a transfer aside with its last error (`GET /files/<id>` shows it; `fetcher_reconcile_set_aside_total` counts them) instead of retrying it every run. A new `published` event for it still tries.',
    default: 5,
    min: 1,
  }),
  FETCH_DATABASE_URL: postgresUrl(
    'PostgreSQL for the fetch outcomes, e.g. `postgres://user:pass@host:5432/db`. Unset: the SQLite file below.',
  ),
  FETCH_DB_SCHEMA: postgresSchema('PostgreSQL schema of the `fetched_files` table.', 'file_fetcher'),
  FETCH_SQLITE_PATH: str({
    doc: 'SQLite file for the fetch outcomes when FETCH_DATABASE_URL is unset.',
    default: './data/file-fetcher.sqlite',
  }),
  ...altinnConfigSchema,
  ...kafkaConfigSchema,
  // earliest: a first deployment fetches what the topic still announces; transfers already confirmed or purged
  // are recognised from Broker's overview and cost one call each.
  ...pipelineConfigSchema({ consumer: 'file-fetcher', concurrency: 4, port: 8085, startFrom: 'earliest' }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { doc: 'Log level.', default: 'info' }),
};

export type FileFetcherConfig = ConfigOf<typeof fileFetcherConfigSchema>;

/** The Maskinporten scope the fetcher needs (overview, list, download, confirm). */
export const FILE_FETCHER_SCOPES = ['altinn:broker.read'];

export function loadFileFetcherConfig(env: EnvRecord): FileFetcherConfig {
  const config = loadConfig('file-fetcher', fileFetcherConfigSchema, env);
  const problems = altinnAppProblems(config, 'FETCH_ORGANISATION_NUMBER');
  if (config.STORAGE_S3_BUCKET !== undefined) {
    for (const variable of [
      'STORAGE_S3_ENDPOINT',
      'STORAGE_S3_ACCESS_KEY_ID',
      'STORAGE_S3_SECRET_ACCESS_KEY',
    ] as const) {
      if (config[variable] === undefined)
        problems.push({ variable, reason: 'is required with STORAGE_S3_BUCKET' });
    }
  }
  if (problems.length > 0) throw new ConfigError('file-fetcher', problems);
  return config;
}

/** Broker resource ids (Broker's list takes the bare id, events carry the URN). */
export function resourceIds(config: FileFetcherConfig): string[] {
  return resourceIdsOf(config.FETCH_RESOURCES);
}
