import { Client } from 'pg';

/** Drops a test's PostgreSQL schema and everything in it (each spec works in a schema of its own). */
export async function dropPostgresSchema(connectionString: string, schema: string): Promise<void> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
  } finally {
    await client.end();
  }
}
