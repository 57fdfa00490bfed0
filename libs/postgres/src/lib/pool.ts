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
 * is cut (a PostgreSQL restart, a failover), and on the client itself when the connection is checked out
 * but has no query running (between the statements of a transaction, or while its holder awaits other
 * work); with no listener either event kills the process. Both are reported to `onError` once. Queries in
 * flight still reject as usual, so callers see the failure where it matters; a cut checked-out client's
 * next query rejects, and the pool replaces the lost connection on the next query.
 */
export function createPool(config: string | PoolConfig, onError: PoolErrorHandler = logToStderr): Pool {
  // pg is loaded with the first pool, not with this module: every app imports this library, and the apps that
  // never open a PostgreSQL pool (the gateway; the SQLite fallback) paid its load for nothing.
  const { Pool } = require('pg') as typeof PgModule;
  const pool = new Pool(typeof config === 'string' ? { connectionString: config } : config);
  // pg hands an idle client's error to the pool's listener as the same Error object: report it once.
  const reported = new WeakSet<Error>();
  const report = (error: Error): void => {
    if (reported.has(error)) return;
    reported.add(error);
    onError(error);
  };
  pool.on('error', report);
  // Seen in system-e2e's PostgreSQL restart: the archive's checked-out client was cut and the process died.
  pool.on('connect', (client) => client.on('error', report));
  return pool;
}
