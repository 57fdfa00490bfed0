import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { REPO_ROOT } from './support';

const PACKAGES = [
  'kafkajs',
  '@nestjs/core',
  '@nestjs/platform-fastify',
  'pg',
  'better-sqlite3',
  'nodemailer',
  'autocannon',
];

/** Versions that shape the numbers: Node, the packages installed, and the PostgreSQL server when given. */
export async function versions(pg?: Client): Promise<Record<string, string>> {
  const out: Record<string, string> = { node: process.version };
  for (const name of PACKAGES) {
    try {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version?: string;
      };
      out[name] = pkg.version ?? '?';
    } catch {
      out[name] = 'missing';
    }
  }
  if (pg) {
    const res = await pg.query<{ server_version: string }>('SHOW server_version').catch(() => undefined);
    if (res) out['postgresql'] = res.rows[0]?.server_version ?? '?';
  }
  return out;
}
