import { dropPostgresSchema } from '@broker-events/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { type OutcomeStore, PostgresOutcomeStore, SqliteOutcomeStore } from './outcome-store';

const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `fetcher_outcomes_${randomBytes(4).toString('hex')}`;

afterAll(() => dropPostgresSchema(PG_URL, schema));

describe.each([
  ['PostgreSQL', () => new PostgresOutcomeStore(PG_URL, schema)],
  ['SQLite', () => new SqliteOutcomeStore(':memory:')],
] as [string, () => OutcomeStore][])('%s outcome store', (_name, make) => {
  let store: OutcomeStore;
  beforeAll(async () => {
    store = make();
    await store.init();
    await store.init();
  });
  afterAll(() => store.close());

  it('records each attempt of a transfer in one row, keyed case-insensitively, and reads it back', async () => {
    const id = randomUUID().toUpperCase();
    expect(await store.get(id)).toBeUndefined();
    const failed = await store.record({
      fileTransferId: id,
      status: 'failed',
      trigger: 'event',
      lastError: 'download: HTTP 503',
    });
    expect(failed).toMatchObject({
      fileTransferId: id.toLowerCase(),
      status: 'failed',
      attempts: 1,
      lastError: 'download: HTTP 503',
    });
    const done = await store.record({
      fileTransferId: id,
      status: 'confirmed',
      trigger: 'reconcile',
      resourceId: 'r',
      fileName: 'a.xml',
      location: '/tmp/a.xml',
      bytes: 12,
      md5: 'abc',
      sha256: 'def',
      checksumVerified: true,
      brokerStatus: 'Published',
      confirmedAt: '2026-11-27T10:00:00.000Z',
    });
    expect(done).toMatchObject({
      status: 'confirmed',
      attempts: 2,
      trigger: 'reconcile',
      bytes: 12,
      checksumVerified: true,
      fileName: 'a.xml',
    });
    expect(done.lastError).toBeUndefined();
    expect(Date.parse(done.confirmedAt ?? '')).toBe(Date.parse('2026-11-27T10:00:00.000Z'));
    expect(await store.get(id.toLowerCase())).toEqual(done);
    expect(await store.ping()).toBe(true);
  });
});
