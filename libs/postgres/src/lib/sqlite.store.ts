import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Migration } from './migrations';

export interface SqliteStoreOptions {
  /**
   * `NORMAL`: faster commits; with WAL a power loss (not a crash of the process) may roll back the last
   * commits. Unset: SQLite's default (FULL).
   */
  synchronous?: 'NORMAL';
}

/**
 * What every SQLite-backed store shares (better-sqlite3, the embedded default for a single replica): the file
 * and its folder, write-ahead logging, the readiness ping and the close. A store adds its tables and queries.
 */
export abstract class SqliteStore {
  readonly kind = 'sqlite' as const;
  protected readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** `path` is a file (its folder is created) or `:memory:`. */
  protected constructor(path: string, options: SqliteStoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    if (options.synchronous !== undefined) this.db.pragma(`synchronous = ${options.synchronous}`);
  }

  /**
   * Applies the migrations not yet recorded in `schema_migrations`, in one immediate transaction, and returns
   * the versions applied now.
   */
  protected applyMigrations(migrations: readonly Migration[]): number[] {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const done = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
        (r) => r.version,
      ),
    );
    const applied: number[] = [];
    const apply = this.db.transaction(() => {
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        this.db.exec(m.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.description, new Date().toISOString());
        applied.push(m.version);
      }
    });
    apply.immediate();
    return applied;
  }

  /**
   * The prepared statement for `sql`, prepared once per store: compiling the SQL again on every call was a
   * tenth of the email consumer's CPU per event in a catch-up (issue #17). Only after the tables exist.
   */
  protected statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) this.statements.set(sql, (prepared = this.db.prepare(sql)));
    return prepared;
  }

  /** For readiness: the file is open. */
  async ping(): Promise<boolean> {
    return this.db.open;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
