import { dropPostgresSchema } from '@broker-events/testing';
import { randomBytes } from 'node:crypto';
import type { IdempotencyStore } from './idempotency-store';
import { PostgresIdempotencyStore } from './postgres-idempotency-store';
import { SqliteIdempotencyStore } from './sqlite-idempotency-store';

const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `idem_${randomBytes(4).toString('hex')}`;

const stores: [string, () => IdempotencyStore][] = [
  ['SQLite', () => new SqliteIdempotencyStore(':memory:')],
  ['PostgreSQL', () => new PostgresIdempotencyStore(PG_URL, schema)],
];

afterAll(() => dropPostgresSchema(PG_URL, schema));

describe.each(stores)('%s idempotency store', (_name, make) => {
  it('remembers per consumer and per (source, id), and prunes old entries', async () => {
    const store = make();
    await store.init();
    await store.init(); // idempotent migrations
    const key = { source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer', id: 'e1' };
    expect(await store.seen('email', key)).toBe(false);
    await store.remember('email', key);
    await store.remember('email', key);
    expect(await store.seen('email', key)).toBe(true);
    expect(await store.seen('slack', key)).toBe(false);
    expect(await store.seen('email', { ...key, source: 'other' })).toBe(false);
    expect(await store.ping()).toBe(true);
    expect(await store.prune(new Date(Date.now() - 60_000))).toBe(0);
    expect(await store.prune(new Date(Date.now() + 60_000))).toBe(1);
    expect(await store.seen('email', key)).toBe(false);
    await store.close();
  });
});
