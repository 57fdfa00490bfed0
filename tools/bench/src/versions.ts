import type { Client } from 'pg';
import { packageVersions } from './support';

/** Versions that shape the numbers: Node, the packages installed, and the PostgreSQL server when given. */
export async function versions(pg?: Client): Promise<Record<string, string>> {
  const out: Record<string, string> = { node: process.version, ...packageVersions() };
  if (pg) {
    const res = await pg.query<{ server_version: string }>('SHOW server_version').catch(() => undefined);
    if (res) out['postgresql'] = res.rows[0]?.server_version ?? '?';
  }
  return out;
}
