import type { Migration } from '@broker-events/postgres';

/**
 * Schema migrations, in order, one list per dialect with the same logical schema. Append only: a released
 * migration is never edited. Each store records applied versions in `schema_migrations`.
 */

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'archived_events: a column per attribute, the full JSON, Kafka coordinates, time received',
    sql: `
      CREATE TABLE archived_events (
        source             text        NOT NULL,
        id                 text        NOT NULL,
        specversion        text        NOT NULL,
        type               text        NOT NULL,
        original_type      text,
        time               timestamptz,
        subject            text,
        datacontenttype    text,
        dataschema         text,
        resource           text,
        resourceinstance   text,
        alternativesubject text,
        role               text,
        event              jsonb       NOT NULL,
        kafka_topic        text        NOT NULL,
        kafka_partition    integer     NOT NULL,
        kafka_offset       bigint      NOT NULL,
        received_at        timestamptz NOT NULL,
        PRIMARY KEY (source, id)
      );
      CREATE INDEX archived_events_id ON archived_events (id);
      CREATE INDEX archived_events_resourceinstance ON archived_events (resourceinstance, time);
      CREATE INDEX archived_events_time ON archived_events (time);
      CREATE INDEX archived_events_received_at ON archived_events (received_at);
    `,
  },
];

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'archived_events: a column per attribute, the full JSON, Kafka coordinates, time received',
    sql: `
      CREATE TABLE archived_events (
        source             TEXT    NOT NULL,
        id                 TEXT    NOT NULL,
        specversion        TEXT    NOT NULL,
        type               TEXT    NOT NULL,
        original_type      TEXT,
        time               TEXT,
        subject            TEXT,
        datacontenttype    TEXT,
        dataschema         TEXT,
        resource           TEXT,
        resourceinstance   TEXT,
        alternativesubject TEXT,
        role               TEXT,
        event              TEXT    NOT NULL CHECK (json_valid(event)),
        kafka_topic        TEXT    NOT NULL,
        kafka_partition    INTEGER NOT NULL,
        kafka_offset       INTEGER NOT NULL,
        received_at        TEXT    NOT NULL,
        PRIMARY KEY (source, id)
      ) WITHOUT ROWID;
      CREATE INDEX archived_events_id ON archived_events (id);
      CREATE INDEX archived_events_resourceinstance ON archived_events (resourceinstance, time);
      CREATE INDEX archived_events_time ON archived_events (time);
      CREATE INDEX archived_events_received_at ON archived_events (received_at);
    `,
  },
];
