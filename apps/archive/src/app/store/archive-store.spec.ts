import { dropPostgresSchema } from '@broker-events/testing';
import { randomBytes } from 'node:crypto';
import { canonicalEventType } from '@broker-events/contracts';
import { PermanentDeliveryError } from '@broker-events/messaging';
import { loadSamples, sampleEvent } from '@broker-events/contracts/testing';
import { ArchiveWriter } from '../archive.writer';
import { type ArchiveRow, type ArchiveStore, toArchiveRow } from './archive-store';
import { PostgresArchiveStore } from './postgres-archive.store';
import { SqliteArchiveStore } from './sqlite-archive.store';

const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `archive_store_${randomBytes(4).toString('hex')}`;

afterAll(() => dropPostgresSchema(PG_URL, schema));

function row(overrides: Parameters<typeof sampleEvent>[0] = {}, offset = 0): ArchiveRow {
  const event = sampleEvent(overrides);
  return toArchiveRow(
    event,
    canonicalEventType(event.type),
    { topic: 'altinn.broker.events.v1', partition: 2, offset: String(offset) },
    new Date('2026-11-20T09:00:13.000Z'),
  );
}

describe.each([
  ['PostgreSQL', () => new PostgresArchiveStore(PG_URL, schema)],
  ['SQLite', () => new SqliteArchiveStore(':memory:')],
] as [string, () => ArchiveStore][])('%s archive store', (_name, make) => {
  let store: ArchiveStore;
  beforeAll(async () => {
    store = make();
    expect(await store.migrate()).toEqual([1, 2, 3]);
    expect(await store.migrate()).toEqual([]);
  });
  afterAll(() => store.close());

  it('keeps every attribute, the full JSON and the Kafka coordinates, and inserts each (source, id) once', async () => {
    const samples = loadSamples().filter((s) => s.expected.kind !== 'handshake');
    const rows = samples.map((s, i) => {
      const event = sampleEvent(s.body as Record<string, unknown>);
      return toArchiveRow(
        event,
        canonicalEventType(event.type),
        { topic: 'altinn.broker.events.v1', partition: 1, offset: String(1000 + i) },
        new Date(),
      );
    });
    const before = await store.count();
    expect(await store.insertBatch([...rows, rows[0]])).toBe(rows.length);
    expect(await store.insertBatch(rows)).toBe(0);
    expect(await store.count()).toBe(before + rows.length);

    const published = samples.findIndex((s) => s.name === 'current-published-recipient');
    const [found] = await store.byId(rows[published].id);
    const body = samples[published].body as Record<string, unknown>;
    expect(found).toMatchObject({
      source: body['source'],
      id: body['id'],
      type: 'no.altinn.broker.published',
      subject: body['subject'],
      resource: body['resource'],
      resourceinstance: body['resourceinstance'],
      role: 'Recipient',
      kafka: { topic: 'altinn.broker.events.v1', partition: 1, offset: String(1000 + published) },
    });
    expect(found.event).toEqual(body);
    expect(Date.parse(found.time ?? '')).toBe(Date.parse(String(body['time'])));
  });

  it('finds events by file transfer id (oldest first) and by a half-open time range', async () => {
    const transfer = sampleEvent().resourceinstance as string;
    const late = row({ resourceinstance: transfer, time: '2031-01-01T10:00:02Z' }, 7);
    const early = row({ resourceinstance: transfer, time: '2031-01-01T10:00:01+01:00' }, 8);
    const other = row({ time: '2031-01-01T10:00:03Z' }, 9);
    await store.insertBatch([late, early, other]);
    expect((await store.byFileTransferId(transfer, 10)).map((e) => e.id)).toEqual([early.id, late.id]);
    const range = await store.byTimeRange({
      from: new Date('2031-01-01T10:00:02Z'),
      to: new Date('2031-01-01T10:00:03Z'),
      on: 'time',
      limit: 10,
    });
    expect(range.map((e) => e.id)).toEqual([late.id]);
    const received = await store.byTimeRange({
      from: new Date('2026-11-20T09:00:13.000Z'),
      to: new Date('2026-11-20T09:00:13.001Z'),
      on: 'received',
      limit: 2,
    });
    expect(received).toHaveLength(2);
    expect(await store.byId('no-such-id')).toEqual([]);
  });

  it('the writer batches concurrent rows and isolates a row the database rejects', async () => {
    const inserted: number[] = [];
    const spy: ArchiveStore = Object.create(store) as ArchiveStore;
    spy.insertBatch = async (rows) => {
      inserted.push(rows.length);
      return store.insertBatch(rows);
    };
    const writer = new ArchiveWriter(spy, { maxRows: 50, lingerMs: 0 });
    const good = Array.from({ length: 120 }, (_, i) => row({}, 2000 + i));
    await Promise.all(good.map((r) => writer.write(r)));
    expect(inserted.length).toBeLessThan(good.length);
    expect(Math.max(...inserted)).toBeLessThanOrEqual(50);

    const bad: ArchiveRow = { ...row({}, 3000), event: '{"not":"closed"' };
    const neighbour = row({}, 3001);
    const results = await Promise.allSettled([writer.write(bad), writer.write(neighbour)]);
    expect(results[0].status).toBe('rejected');
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(PermanentDeliveryError);
    expect(results[1].status).toBe('fulfilled');
    expect(await store.byId(neighbour.id)).toHaveLength(1);
    await writer.drain();
  });
});
