import { type Pool } from 'pg';
import { assertPgIdentifier, createPool } from '@broker-events/postgres';
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
export class PostgresArchiveStore implements ArchiveStore {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  private readonly table: string;
  private readonly insertSql: string;

  constructor(
    connectionString: string,
    private readonly schema: string,
    poolSize = 4,
  ) {
    assertPgIdentifier(schema);
    this.pool = createPool({ connectionString, max: poolSize });
    this.table = `"${schema}".archived_events`;
    const params = ARRAY_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    this.insertSql = `INSERT INTO ${this.table} (${COLUMNS.join(', ')}) SELECT * FROM unnest(${params}) ON CONFLICT (source, id) DO NOTHING`;
  }

  async migrate(): Promise<number[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Replicas starting together take turns.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`archive-migrations:${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${this.schema}".schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = new Set(
        (
          await client.query<{ version: number }>(`SELECT version FROM "${this.schema}".schema_migrations`)
        ).rows.map((r) => r.version),
      );
      const applied: number[] = [];
      await client.query(`SET LOCAL search_path TO "${this.schema}"`);
      for (const m of POSTGRES_MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "${this.schema}".schema_migrations (version, description) VALUES ($1, $2)`,
          [m.version, m.description],
        );
        applied.push(m.version);
      }
      await client.query('COMMIT');
      return applied;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
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

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
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
