import type Database from 'better-sqlite3';
import { SqliteStore } from '@broker-events/postgres';
import type { ArchiveRow, ArchiveStore, ArchivedEvent, TimeRangeQuery } from './archive-store';
import { COLUMNS } from './archive-store';
import { SQLITE_MIGRATIONS } from './migrations';

interface DbRow {
  source: string;
  id: string;
  type: string;
  time: string | null;
  subject: string | null;
  resource: string | null;
  resourceinstance: string | null;
  role: string | null;
  event: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number | bigint;
  received_at: string;
}

const SELECT = `SELECT source, id, type, time, subject, resource, resourceinstance, role, event,
                       kafka_topic, kafka_partition, kafka_offset, received_at FROM archived_events`;

/**
 * The embedded default (better-sqlite3), same schema as PostgreSQL. Times are stored as UTC ISO-8601 text so
 * ranges compare as strings; the exact original time stays in the event JSON. A batch is one transaction.
 */
export class SqliteArchiveStore extends SqliteStore implements ArchiveStore {
  private insert?: Database.Statement;

  constructor(path: string) {
    super(path, { synchronous: 'NORMAL' });
    this.db.defaultSafeIntegers(false);
  }

  async migrate(): Promise<number[]> {
    return this.applyMigrations(SQLITE_MIGRATIONS);
  }

  async insertBatch(rows: ArchiveRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const insert = (this.insert ??= this.db.prepare(
      `INSERT INTO archived_events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (source, id) DO NOTHING`,
    ));
    const run = this.db.transaction((batch: ArchiveRow[]) => {
      let inserted = 0;
      for (const r of batch) {
        inserted += insert.run(
          r.source,
          r.id,
          r.specversion,
          r.type,
          r.originalType,
          r.time === null ? null : utc(r.time),
          r.subject,
          r.datacontenttype,
          r.dataschema,
          r.resource,
          r.resourceinstance,
          r.alternativesubject,
          r.role,
          r.event,
          r.kafkaTopic,
          r.kafkaPartition,
          BigInt(r.kafkaOffset),
          r.receivedAt.toISOString(),
        ).changes;
      }
      return inserted;
    });
    return run(rows);
  }

  async byId(id: string): Promise<ArchivedEvent[]> {
    return (this.db.prepare(`${SELECT} WHERE id = ? ORDER BY source`).all(id) as DbRow[]).map(toEvent);
  }

  async byFileTransferId(fileTransferId: string, limit: number): Promise<ArchivedEvent[]> {
    return (
      this.db
        .prepare(`${SELECT} WHERE resourceinstance = ? ORDER BY time IS NULL, time, received_at LIMIT ?`)
        .all(fileTransferId, limit) as DbRow[]
    ).map(toEvent);
  }

  async byTimeRange(q: TimeRangeQuery): Promise<ArchivedEvent[]> {
    const column = q.on === 'time' ? 'time' : 'received_at';
    return (
      this.db
        .prepare(`${SELECT} WHERE ${column} >= ? AND ${column} < ? ORDER BY ${column}, source, id LIMIT ?`)
        .all(q.from.toISOString(), q.to.toISOString(), q.limit) as DbRow[]
    ).map(toEvent);
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM archived_events').get() as { n: number }).n;
  }
}

function utc(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
}

function toEvent(r: DbRow): ArchivedEvent {
  return {
    source: r.source,
    id: r.id,
    type: r.type,
    time: r.time,
    subject: r.subject,
    resource: r.resource,
    resourceinstance: r.resourceinstance,
    role: r.role,
    event: JSON.parse(r.event) as unknown,
    kafka: { topic: r.kafka_topic, partition: r.kafka_partition, offset: String(r.kafka_offset) },
    receivedAt: r.received_at,
  };
}
