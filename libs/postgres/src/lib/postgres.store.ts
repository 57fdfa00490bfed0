import { type Pool, type PoolConfig } from 'pg';
import type { Migration } from './migrations';
import { assertPgIdentifier, createPool } from './pool';

/**
 * What every PostgreSQL-backed store shares: a pool that survives a database restart, its tables in one
 * schema of its own, the schema set-up, the readiness ping and the close. A store adds its tables and queries.
 */
export abstract class PostgresStore {
  readonly kind = 'postgres' as const;
  protected readonly pool: Pool;

  /** A connection string gets a pool of `poolSize`; a PoolConfig is used as given. */
  protected constructor(
    connection: string | PoolConfig,
    protected readonly schema: string,
    poolSize: number,
  ) {
    assertPgIdentifier(schema);
    this.pool = createPool(
      typeof connection === 'string' ? { connectionString: connection, max: poolSize } : connection,
    );
  }

  /** `"<schema>".<table>`, for interpolating into SQL. */
  protected qualified(table: string): string {
    return `"${this.schema}".${table}`;
  }

  /** Creates the schema, then runs each statement in order (idempotent DDL: `CREATE … IF NOT EXISTS`). */
  protected async createIfMissing(...statements: string[]): Promise<void> {
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
    for (const sql of statements) await this.pool.query(sql);
  }

  /**
   * Applies the migrations not yet recorded in `<schema>.schema_migrations`, in one transaction, and returns
   * the versions applied now. Replicas starting together take turns on an advisory lock named
   * `<name>-migrations:<schema>`. The migrations run with the store's schema as search_path.
   */
  protected async applyMigrations(name: string, migrations: readonly Migration[]): Promise<number[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${name}-migrations:${this.schema}`]);
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
      for (const m of migrations) {
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

  /**
   * Runs `fn` while this process holds the session advisory lock `name`, on a connection of its own, and
   * returns `{ ran: true, value }`; returns `{ ran: false }` at once, without running `fn`, while another
   * connection holds it. For work only one replica may do at a time. The lock ends with its connection: a replica
   * that dies inside `fn` frees it for the next, and a connection that breaks is discarded, not pooled.
   */
  protected async ifLockFree<T>(
    name: string,
    fn: () => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onClient = <R>(query: Promise<R>): Promise<R> =>
      query.catch((error: Error) => {
        broken = error;
        throw error;
      });
    try {
      const { rows } = await onClient(
        client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [name]),
      );
      if (!rows[0]?.locked) return { ran: false };
      try {
        return { ran: true, value: await fn() };
      } finally {
        // If the unlock fails the connection is discarded below, which ends the lock too.
        await onClient(client.query('SELECT pg_advisory_unlock(hashtext($1))', [name])).catch(() => undefined);
      }
    } finally {
      client.release(broken);
    }
  }

  /** For readiness: the database answers a query. */
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
