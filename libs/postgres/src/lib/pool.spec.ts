import { createPool } from './pool';

const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('createPool (real PostgreSQL)', () => {
  it('keeps the process alive and recovers when the server cuts an idle connection', async () => {
    const errors: Error[] = [];
    const pool = createPool({ connectionString: url, max: 1 }, (e) => errors.push(e));
    const victim = createPool({ connectionString: url, max: 1 });
    try {
      const pid = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // The connection is idle in the pool now; the server ends it, as a restart would.
      await victim.query('SELECT pg_terminate_backend($1)', [pid]);
      for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(errors.length).toBeGreaterThan(0);
      expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    } finally {
      await pool.end();
      await victim.end();
    }
  });

  it('keeps the process alive when the server cuts a connection that is checked out between queries', async () => {
    const errors: Error[] = [];
    const pool = createPool({ connectionString: url, max: 1 }, (e) => errors.push(e));
    const victim = createPool({ connectionString: url, max: 1 });
    const client = await pool.connect();
    let released = false;
    try {
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // Checked out, no query running (a transaction's holder awaiting other work): the server ends it.
      // Without a listener on the client itself, pg's `error` event there would end this process.
      await victim.query('SELECT pg_terminate_backend($1)', [pid]);
      for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(errors.length).toBeGreaterThan(0);
      // Each error is reported once, though pg may emit it on both the client and the pool.
      expect(new Set(errors).size).toBe(errors.length);
      await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable/);
      client.release(true);
      released = true;
      expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    } finally {
      if (!released) client.release(true);
      await pool.end();
      await victim.end();
    }
  });
});
