import { TOPICS } from '@broker-events/contracts';
import {
  type ConfigOf,
  ConfigError,
  type EnvRecord,
  bool,
  int,
  list,
  loadConfig,
  oneOf,
  optional,
  str,
} from '@broker-events/config';
import { altinnConfigSchema, resourceUrnsOf } from '@broker-events/altinn-client';
import { kafkaConfigSchema, producerConfigSchema } from '@broker-events/messaging';
import { LOG_LEVELS, tracingConfigSchema } from '@broker-events/observability';
import { altinnAppProblems, brokerResources, postgresSchema, postgresUrl } from './settings';

/**
 * Every setting of the poller. docs/configuration.md's table is generated from (and tested against) this schema.
 */
export const pollerConfigSchema = {
  POLL_RESOURCES: brokerResources(
    'Broker resources to poll, as resource ids (`altinn-broker-test-resource-1`) or `urn:altinn:resource:` URNs, comma-separated.',
  ),
  POLL_ORGANISATION_NUMBER: optional(
    str({
      doc: 'Our organisation: only events whose subject is `urn:altinn:organization:identifier-no:<orgnr>`. Required (unless POLL_WITHOUT_SUBJECT_FILTER=true): Altinn filters GET /events by authorization after the page limit, so without a subject a page of events we may not read comes back empty and the poller stalls.',
      pattern: /^[0-9]{9}$/,
    }),
  ),
  POLL_WITHOUT_SUBJECT_FILTER: bool({
    doc: "Poll without a subject filter (a service owner reading every party's events). An empty page then does not prove the poller caught up; watch `poller_stalled`.",
    default: false,
  }),
  POLL_STALL_AFTER_SECONDS: int({
    doc: 'Report a resource whose cursor has not moved for this long (`poller_stalled`, an error log, `progress: false` in /health/ready). Set it above the longest quiet spell your resources have. 0 turns it off.',
    default: 86400,
    min: 0,
  }),
  POLL_TYPES: list({
    doc: 'Only these event types (exact, comma-separated). Empty: every type.',
    default: [],
  }),
  POLL_INTERVAL_SECONDS: int({
    doc: 'Time between polls of every resource (5–15 minutes is plenty for a catch-up).',
    default: 300,
    min: 1,
  }),
  POLL_PAGE_SIZE: int({
    doc: '`size` of each GET /events page (Altinn clamps to 1..1000).',
    default: 1000,
    min: 1,
    max: 1000,
  }),
  POLL_MAX_PAGES_PER_RUN: int({
    doc: 'Most pages read per resource in one poll (the rest waits for the next poll).',
    default: 100,
    min: 1,
  }),
  POLL_INITIAL_CURSOR: oneOf(['latest', 'beginning'] as const, {
    doc: 'Where a resource without a saved cursor starts: `latest` skips what Altinn already holds (no replay of history), `beginning` publishes everything Altinn still keeps.',
    default: 'latest',
  }),
  POLL_ON_START: bool({ doc: 'Poll once at start-up instead of waiting one interval.', default: true }),
  POLLER_DATABASE_URL: postgresUrl(
    'PostgreSQL for the cursors, e.g. `postgres://user:pass@host:5432/db`. Unset: the SQLite file below.',
  ),
  POLLER_DB_SCHEMA: postgresSchema('PostgreSQL schema of the `poller_cursors` table.', 'poller'),
  POLLER_SQLITE_PATH: str({
    doc: 'SQLite file for the cursors when POLLER_DATABASE_URL is unset.',
    default: './data/poller.sqlite',
  }),
  POLLER_TOPIC: str({
    doc: 'Topic the recovered events go to. Leave at the default except in tests.',
    default: TOPICS.events,
  }),
  POLLER_QUARANTINE_TOPIC: str({
    doc: 'Topic for events that fail validation. Leave at the default except in tests.',
    default: TOPICS.quarantine,
  }),
  ...altinnConfigSchema,
  ...kafkaConfigSchema,
  ...producerConfigSchema('poller'),
  PUBLISH_TIMEOUT_MS: int({
    doc: 'Deadline for Kafka to acknowledge a page of events (acks=all).',
    default: 30000,
    min: 100,
  }),
  PORT: int({
    doc: 'HTTP port for /health/live, /health/ready and /metrics.',
    default: 8084,
    min: 0,
    max: 65535,
  }),
  HOST: str({ doc: 'Interface to listen on.', default: '0.0.0.0' }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { doc: 'Log level.', default: 'info' }),
  ...tracingConfigSchema,
  SHUTDOWN_GRACE_MS: int({
    doc: 'How long a graceful shutdown waits for a running poll.',
    default: 20000,
    min: 0,
  }),
};

export type PollerConfig = ConfigOf<typeof pollerConfigSchema>;

/** The Maskinporten scope the poller needs (GET /events). */
export const POLLER_SCOPES = ['altinn:events.subscribe'];

export function loadPollerConfig(env: EnvRecord): PollerConfig {
  const config = loadConfig('poller', pollerConfigSchema, env);
  const problems = altinnAppProblems(config, 'POLL_ORGANISATION_NUMBER');
  if (config.POLL_ORGANISATION_NUMBER === undefined && !config.POLL_WITHOUT_SUBJECT_FILTER) {
    problems.push({
      variable: 'POLL_ORGANISATION_NUMBER',
      reason:
        "is required (set POLL_WITHOUT_SUBJECT_FILTER=true only if you mean to read every party's events): without a subject filter an empty page does not prove the poller caught up",
    });
  }
  if (problems.length > 0) throw new ConfigError('poller', problems);
  return config;
}

/** `urn:altinn:resource:<id>` for each configured resource. */
export function resourceUrns(config: PollerConfig): string[] {
  return resourceUrnsOf(config.POLL_RESOURCES);
}
