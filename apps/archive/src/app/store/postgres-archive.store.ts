import { PostgresStore } from '@broker-events/postgres';
import type { ArchiveRow, ArchiveStore, ArchivedEvent, TimeRangeQuery } from './archive-store';
import { COLUMNS } from './archive-store';
import { POSTGRES_MIGRATIONS } from './migrations';

/** The array types unnest() gets, column by column (same order as COLUMNS). */
const ARRAY_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'timestamptz',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'jsonb',
  'text',
  'integer',
  'bigint',
  'timestamptz',
] as const;

interface DbRow {
  source: string;
  id: string;
  type: string;
  time: Date | null;
  subject: string | null;
  resource: string | null;
  resourceinstance: string | null;
  role: string | null;
  event: unknown;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  received_at: Date;
}

const SELECT = `SELECT source, id, type, time, subject, resource, resourceinstance, role, event,
                       kafka_topic, kafka_partition, kafka_offset::text AS kafka_offset, received_at`;

/**
 * PostgreSQL archive. One INSERT … SELECT FROM unnest(…) per batch (a fixed statement text whatever the batch
 * size), `ON CONFLICT (source, id) DO NOTHING` so redelivered events are archived once.
 */
export class PostgresArchiveStore extends PostgresStore implements ArchiveStore {
  private readonly table: string;
  private readonly insertSql: string;

  constructor(connectionString: string, schema: string, poolSize = 4) {
    super(connectionString, schema, poolSize);
    this.table = this.qualified('archived_events');
    const params = ARRAY_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    this.insertSql = `INSERT INTO ${this.table} (${COLUMNS.join(', ')}) SELECT * FROM unnest(${params}) ON CONFLICT (source, id) DO NOTHING`;
  }

  async migrate(): Promise<number[]> {
    return this.applyMigrations('archive', POSTGRES_MIGRATIONS);
  }

  async insertBatch(rows: ArchiveRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const columns: unknown[][] = COLUMNS.map(() => new Array<unknown>(rows.length));
    rows.forEach((r, i) => {
      const values = [
        r.source,
        r.id,
        r.specversion,
        r.type,
        r.originalType,
        r.time,
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
        r.kafkaOffset,
        r.receivedAt.toISOString(),
      ];
      values.forEach((v, c) => (columns[c][i] = v));
    });
    const result = await this.pool.query(this.insertSql, columns);
    return result.rowCount ?? 0;
  }

  async byId(id: string): Promise<ArchivedEvent[]> {
    const r = await this.pool.query<DbRow>(`${SELECT} FROM ${this.table} WHERE id = $1 ORDER BY source`, [
      id,
    ]);
    return r.rows.map(toEvent);
  }

  async byFileTransferId(fileTransferId: string, limit: number): Promise<ArchivedEvent[]> {
    const r = await this.pool.query<DbRow>(
      `${SELECT} FROM ${this.table} WHERE resourceinstance = $1 ORDER BY time NULLS LAST, received_at LIMIT $2`,
      [fileTransferId, limit],
    );
    return r.rows.map(toEvent);
  }

  async byTimeRange(q: TimeRangeQuery): Promise<ArchivedEvent[]> {
    const column = q.on === 'time' ? 'time' : 'received_at';
    const r = await this.pool.query<DbRow>(
      `${SELECT} FROM ${this.table} WHERE ${column} >= $1 AND ${column} < $2 ORDER BY ${column}, source, id LIMIT $3`,
      [q.from.toISOString(), q.to.toISOString(), q.limit],
    );
    return r.rows.map(toEvent);
  }

  async count(): Promise<number> {
    const r = await this.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${this.table}`);
    return Number(r.rows[0]?.n ?? 0);
  }
}

function toEvent(r: DbRow): ArchivedEvent {
  return {
    source: r.source,
    id: r.id,
    type: r.type,
    time: r.time ? r.time.toISOString() : null,
    subject: r.subject,
    resource: r.resource,
    resourceinstance: r.resourceinstance,
    role: r.role,
    event: r.event,
    kafka: { topic: r.kafka_topic, partition: r.kafka_partition, offset: r.kafka_offset },
    receivedAt: r.received_at.toISOString(),
  };
}
