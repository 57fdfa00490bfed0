/**
 * A versioned schema change. Lists of them are append only: a released migration is never edited. A store
 * that uses them records the applied versions in its `schema_migrations` table.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}
