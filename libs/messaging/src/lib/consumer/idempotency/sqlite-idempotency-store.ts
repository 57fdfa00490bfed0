import { SqliteStore } from '@broker-events/postgres';
import type { EventKey, IdempotencyStore } from './idempotency-store';

/**
 * Embedded default (better-sqlite3): one file per consumer instance. Right for a single replica; use
 * PostgreSQL when several replicas share a consumer group, since a partition can move between them.
 */
export class SqliteIdempotencyStore extends SqliteStore implements IdempotencyStore {
  constructor(path: string) {
    super(path, { synchronous: 'NORMAL' });
  }

  async init(): Promise<void> {
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS processed_events (
         consumer TEXT NOT NULL,
         source TEXT NOT NULL,
         event_id TEXT NOT NULL,
         processed_at TEXT NOT NULL,
         PRIMARY KEY (consumer, source, event_id)
       );
       CREATE INDEX IF NOT EXISTS processed_events_processed_at ON processed_events (processed_at);`,
    );
  }

  async seen(consumer: string, key: EventKey): Promise<boolean> {
    const row = this.statement(
      'SELECT 1 AS x FROM processed_events WHERE consumer = ? AND source = ? AND event_id = ?',
    ).get(consumer, key.source, key.id);
    return row !== undefined;
  }

  async remember(consumer: string, key: EventKey): Promise<void> {
    this.statement(
      'INSERT INTO processed_events (consumer, source, event_id, processed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ).run(consumer, key.source, key.id, new Date().toISOString());
  }

  async prune(olderThan: Date): Promise<number> {
    return this.db.prepare('DELETE FROM processed_events WHERE processed_at < ?').run(olderThan.toISOString())
      .changes;
  }
}
