import { type PoolConfig } from 'pg';
import { PostgresStore } from '@broker-events/postgres';
import type { EventKey, IdempotencyStore } from './idempotency-store';

/** PostgreSQL-backed store: one row per (consumer, source, id). Shared safely by every replica of a consumer. */
export class PostgresIdempotencyStore extends PostgresStore implements IdempotencyStore {
  private readonly table: string;

  constructor(connection: string | PoolConfig, schema = 'public') {
    super(connection, schema, 4);
    this.table = this.qualified('processed_events');
  }

  async init(): Promise<void> {
    await this.createIfMissing(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         consumer text NOT NULL,
         source text NOT NULL,
         event_id text NOT NULL,
         processed_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (consumer, source, event_id)
       )`,
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
}
