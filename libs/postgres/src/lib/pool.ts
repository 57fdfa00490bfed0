import type * as PgModule from 'pg';
import type { Pool, PoolConfig } from 'pg';

/** Schema and table names we interpolate into SQL: lowercase identifiers only. */
export const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertPgIdentifier(name: string): void {
  if (!PG_IDENTIFIER.test(name)) throw new RangeError(`Invalid schema name ${JSON.stringify(name)}`);
}

export type PoolErrorHandler = (error: Error) => void;

function logToStderr(error: Error): void {
  process.stderr.write(
    JSON.stringify({
      level: 'warn',
      time: new Date().toISOString(),
      message: 'PostgreSQL connection lost; the pool reconnects on the next query',
      err: error.message,
    }) + '\n',
  );
}

/**
 * A pg Pool that survives the database going away. pg emits `error` on the pool when an idle connection
 * is cut (a PostgreSQL restart, a failover); with no listener that event kills the process. Queries in
 * flight still reject as usual, so callers see the failure where it matters; the pool replaces the lost
 * connection on the next query.
 */
export function createPool(config: string | PoolConfig, onError: PoolErrorHandler = logToStderr): Pool {
  // pg is loaded with the first pool, not with this module: every app imports this library, and the apps that
  // never open a PostgreSQL pool (the gateway; the SQLite fallback) paid its load for nothing.
  const { Pool } = require('pg') as typeof PgModule;
  const pool = new Pool(typeof config === 'string' ? { connectionString: config } : config);
  pool.on('error', onError);
  return pool;
}
