import { dropPostgresSchema } from '@broker-events/testing';
import { randomBytes } from 'node:crypto';
import type { AuditStore } from './audit.store';
import { PostgresAuditStore } from './postgres-audit.store';
import { SqliteAuditStore } from './sqlite-audit.store';

const PG = process.env['CONSOLE_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `console_audit_${randomBytes(3).toString('hex')}`;

const stores: [string, () => AuditStore][] = [
  ['sqlite', () => new SqliteAuditStore(':memory:')],
  ['postgres', () => new PostgresAuditStore(PG, schema)],
];

afterAll(() => dropPostgresSchema(PG, schema));

describe.each(stores)('%s audit store', (_kind, make) => {
  let store: AuditStore;
  beforeAll(async () => {
    store = make();
    await store.migrate();
    expect(await store.migrate()).toEqual([]);
  });
  afterAll(() => store.close());

  it('records who re-drove what, lists newest first, and indexes the successful re-drives by record', async () => {
    const base = {
      actorId: 'sub-1',
      actorName: 'Ola',
      action: 'redrive' as const,
      consumer: 'email',
      topic: 'altinn.broker.dlq.v1.email',
    };
    const first = await store.record({
      ...base,
      records: ['0:1', '0:2'],
      outcome: 'ok',
      error: null,
      at: '2026-12-01T10:00:00.000Z',
    });
    await store.record({
      ...base,
      records: ['0:3'],
      outcome: 'failed',
      error: 'broker down',
      at: '2026-12-01T10:01:00.000Z',
    });
    const third = await store.record({
      ...base,
      actorName: 'Kari',
      records: ['0:2'],
      outcome: 'ok',
      error: null,
    });
    expect(first).toMatchObject({
      ...base,
      records: ['0:1', '0:2'],
      outcome: 'ok',
      at: '2026-12-01T10:00:00.000Z',
    });
    const list = await store.list(10);
    expect(list.map((e) => e.records)).toEqual([['0:2'], ['0:3'], ['0:1', '0:2']]);
    expect(list[1]).toMatchObject({ outcome: 'failed', error: 'broker down' });
    const redriven = await store.redriven(base.topic);
    expect([...redriven.keys()].sort()).toEqual(['0:1', '0:2']);
    expect(redriven.get('0:2')?.id).toBe(third.id);
    expect((await store.redriven('other')).size).toBe(0);
    expect(await store.ping()).toBe(true);
  });
});
