import Database from 'better-sqlite3';
import { Client } from 'pg';

/** Where the archive under test keeps its rows. */
export type ArchiveDb = { kind: 'postgres'; url: string; schema: string } | { kind: 'sqlite'; path: string };

/** The archive's environment for `db`. */
export function archiveDbEnv(db: ArchiveDb): Record<string, string> {
  return db.kind === 'postgres'
    ? { ARCHIVE_DATABASE_URL: db.url, ARCHIVE_DB_SCHEMA: db.schema }
    : { ARCHIVE_SQLITE_PATH: db.path };
}

/** Rows per event id in the archive table, read straight from the database (0-row ids are absent). */
export async function archivedRowsById(db: ArchiveDb): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (db.kind === 'sqlite') {
    const conn = new Database(db.path, { readonly: true, fileMustExist: true });
    try {
      const rows = conn.prepare('SELECT id, count(*) AS n FROM archived_events GROUP BY id').all() as {
        id: string;
        n: number;
      }[];
      for (const r of rows) out.set(r.id, Number(r.n));
    } finally {
      conn.close();
    }
    return out;
  }
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const res = await client.query<{ id: string; n: string }>(
      `SELECT id, count(*)::text AS n FROM "${db.schema}".archived_events GROUP BY id`,
    );
    for (const r of res.rows) out.set(r.id, Number(r.n));
  } finally {
    await client.end();
  }
  return out;
}

/** Drops a PostgreSQL schema a run created (best effort). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch {
    // best effort
  } finally {
    await client.end().catch(() => undefined);
  }
}
