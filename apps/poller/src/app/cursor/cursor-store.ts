import { PostgresStore, SqliteStore } from '@broker-events/postgres';

/**
 * Where the poller remembers, per resource, the id of the last event it published (Altinn's `after`). Saved
 * only after Kafka acknowledged the page, so a crash re-reads a page instead of losing it.
 */
export interface CursorStore {
  readonly kind: 'sqlite' | 'postgres';
  init(): Promise<void>;
  get(resource: string): Promise<string | undefined>;
  set(resource: string, cursor: string): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export class SqliteCursorStore extends SqliteStore implements CursorStore {
  constructor(path: string) {
    super(path);
  }

  async init(): Promise<void> {
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS poller_cursors (
         resource TEXT PRIMARY KEY,
         cursor TEXT NOT NULL,
         updated_at TEXT NOT NULL
       )`,
    );
  }

  async get(resource: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT cursor FROM poller_cursors WHERE resource = ?').get(resource) as
      { cursor: string } | undefined;
    return row?.cursor;
  }

  async set(resource: string, cursor: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO poller_cursors (resource, cursor, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (resource) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
      )
      .run(resource, cursor, new Date().toISOString());
  }
}

export class PostgresCursorStore extends PostgresStore implements CursorStore {
  private readonly table: string;

  constructor(connectionString: string, schema: string) {
    super(connectionString, schema, 2);
    this.table = this.qualified('poller_cursors');
  }

  async init(): Promise<void> {
    await this.createIfMissing(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         resource text PRIMARY KEY,
         cursor text NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  }

  async get(resource: string): Promise<string | undefined> {
    const result = await this.pool.query<{ cursor: string }>(
      `SELECT cursor FROM ${this.table} WHERE resource = $1`,
      [resource],
    );
    return result.rows[0]?.cursor;
  }

  async set(resource: string, cursor: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} (resource, cursor, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (resource) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at`,
      [resource, cursor],
    );
  }
}
