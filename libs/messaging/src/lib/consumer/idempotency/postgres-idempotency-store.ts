import { type Pool, type PoolConfig } from 'pg';
import { assertPgIdentifier, createPool } from '@broker-events/postgres';
import type { EventKey, IdempotencyStore } from './idempotency-store';

/** PostgreSQL-backed store: one row per (consumer, source, id). Shared safely by every replica of a consumer. */
export class PostgresIdempotencyStore implements IdempotencyStore {
  private readonly pool: Pool;
  private readonly table: string;

  constructor(
    connection: string | PoolConfig,
    private readonly schema = 'public',
  ) {
    assertPgIdentifier(schema);
    this.pool = createPool(
      typeof connection === 'string' ? { connectionString: connection, max: 4 } : connection,
    );
    this.table = `"${schema}".processed_events`;
  }

  async init(): Promise<void> {
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         consumer text NOT NULL,
         source text NOT NULL,
         event_id text NOT NULL,
         processed_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (consumer, source, event_id)
       )`,
    );
    await this.pool.query(
      `CREATE INDEX IF NOT EXISTS processed_events_processed_at ON ${this.table} (processed_at)`,
    );
  }

  async seen(consumer: string, key: EventKey): Promise<boolean> {
    const r = await this.pool.query(
      `SELECT 1 FROM ${this.table} WHERE consumer = $1 AND source = $2 AND event_id = $3`,
      [consumer, key.source, key.id],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async remember(consumer: string, key: EventKey): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} (consumer, source, event_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [consumer, key.source, key.id],
    );
  }

  async prune(olderThan: Date): Promise<number> {
    const r = await this.pool.query(`DELETE FROM ${this.table} WHERE processed_at < $1`, [olderThan]);
    return r.rowCount ?? 0;
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
