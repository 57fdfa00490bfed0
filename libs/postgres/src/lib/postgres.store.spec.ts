import { randomBytes } from 'node:crypto';
import { createPool } from './pool';
import { PostgresStore } from './postgres.store';

const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A store with nothing but the lock, as two replicas would each have. */
class Replica extends PostgresStore {
  constructor() {
    super(url, 'public', 2);
  }

  exclusive<T>(name: string, fn: () => Promise<T>) {
    return this.ifLockFree(name, fn);
  }
}

/** A promise and its resolver: a step the test lets happen when it chooses. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('PostgresStore.ifLockFree (real PostgreSQL)', () => {
  const a = new Replica();
  const b = new Replica();
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('runs the work in one replica at a time and skips it in the other while it runs', async () => {
    const name = `lock-spec-${randomBytes(4).toString('hex')}`;
    const held = gate();
    const entered = gate();
    const first = a.exclusive(name, async () => {
      entered.open();
      await held.opened;
      return 'a';
    });
    await entered.opened;
    let ranInB = false;
    try {
      expect(await b.exclusive(name, async () => (ranInB = true))).toEqual({ ran: false });
      expect(ranInB).toBe(false);
      // Another name is another lock.
      expect(await b.exclusive(`${name}-other`, async () => 'b')).toEqual({ ran: true, value: 'b' });
    } finally {
      held.open();
    }
    expect(await first).toEqual({ ran: true, value: 'a' });
    expect(await b.exclusive(name, async () => 'b')).toEqual({ ran: true, value: 'b' });
  });

  it('frees the lock when the work throws', async () => {
    const name = `lock-spec-${randomBytes(4).toString('hex')}`;
    await expect(a.exclusive(name, () => Promise.reject(new Error('smtp down')))).rejects.toThrow('smtp down');
    expect(await b.exclusive(name, async () => 'b')).toEqual({ ran: true, value: 'b' });
  });

  it('frees the lock when the holder dies with its connection, and the holder gets its pool back', async () => {
    const name = `lock-spec-${randomBytes(4).toString('hex')}`;
    const victim = createPool({ connectionString: url, max: 1 });
    try {
      const held = await a.exclusive(name, async () => {
        // The server ends the connection holding the lock, as a crash of the replica would.
        const pid = await victim.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = hashtext($1)::oid`,
          [name],
        );
        expect(pid.rows).toHaveLength(1);
        await victim.query('SELECT pg_terminate_backend($1)', [pid.rows[0].pid]);
        let free: { ran: boolean } = { ran: false };
        for (let i = 0; i < 50 && !free.ran; i++) {
          free = await b.exclusive(name, async () => 'b');
          if (!free.ran) await new Promise((r) => setTimeout(r, 100));
        }
        return free;
      });
      expect(held).toEqual({ ran: true, value: { ran: true, value: 'b' } });
      expect(await a.exclusive(name, async () => 'a again')).toEqual({ ran: true, value: 'a again' });
    } finally {
      await victim.end();
    }
  });
});
