import { randomBytes, randomUUID } from 'node:crypto';
import { type DeliveryReport, canonicalEventType, parseCloudEvent } from '@broker-events/contracts';
import { loadSample, sampleEvent } from '@broker-events/contracts/testing';
import { dropPostgresSchema } from '@broker-events/testing';
import { Client } from 'pg';
import { type ArchiveRow, type ArchiveStore, toArchiveRow } from './archive-store';
import { PostgresArchiveStore } from './postgres-archive.store';
import { decodeCursor, encodeCursor } from './read-model';
import { SqliteArchiveStore } from './sqlite-archive.store';

const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `rm_read_model_${randomBytes(4).toString('hex')}`;
afterAll(() => dropPostgresSchema(PG_URL, schema));

const SENDER = '311000004';
const RECIPIENT = '312000008';

/** A real sample (shared/altinn/samples), moved to another transfer, resource and time, with a fresh id. */
function fromSample(
  name: string,
  transfer: string,
  resource: string,
  time: string,
  receivedAt = new Date(time),
): ArchiveRow {
  const body = loadSample(name).body as Record<string, unknown>;
  const event = sampleEvent({ ...body, id: randomUUID(), resourceinstance: transfer, resource, time });
  return toArchiveRow(
    event,
    canonicalEventType(event.type),
    { topic: 'altinn.broker.events.v1', partition: 0, offset: '1' },
    receivedAt,
  );
}

/** Runs the summarizer's step until a round finds no dirty transfer: the read model has caught up with ingest. */
async function settle(store: ArchiveStore): Promise<void> {
  while ((await store.summarizeDirty(100)) > 0);
  expect((await store.summaryLag()).dirtyTransfers).toBe(0);
}

function report(overrides: Partial<DeliveryReport>): DeliveryReport {
  return {
    consumer: 'email',
    eventSource: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    eventId: randomUUID(),
    eventType: 'no.altinn.broker.published',
    fileTransferId: null,
    outcome: 'delivered',
    detail: 'emailed to ops@example.no',
    error: null,
    attempt: 1,
    deadLetter: null,
    at: '2031-02-01T10:00:00.000Z',
    ...overrides,
  };
}

describe('transfer cursors', () => {
  it('round-trip and refuse anything else', () => {
    const c = { lastTime: '2031-01-01T10:00:00.000Z', fileTransferId: 'abc' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of [
      '',
      'xyz',
      Buffer.from('["x","y"]').toString('base64url'),
      Buffer.from('{}').toString('base64url'),
    ])
      expect(decodeCursor(bad)).toBeUndefined();
  });
});

describe.each([
  ['PostgreSQL', () => new PostgresArchiveStore(PG_URL, schema)],
  ['SQLite', () => new SqliteArchiveStore(':memory:')],
] as [string, () => ArchiveStore][])('%s read model', (_name, make) => {
  let store: ArchiveStore;
  const run = randomBytes(3).toString('hex');
  const resource = `urn:altinn:resource:rm-test-${run}`;
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];

  beforeAll(async () => {
    store = make();
    expect(await store.migrate()).toEqual([1, 2]);
    // Transfer a: the sender's whole story, in two batches and out of order.
    await store.insertBatch([
      fromSample('current-published-sender', a, resource, '2031-01-01T10:00:12Z'),
      fromSample('current-allconfirmeddownloaded-sender', a, resource, '2031-01-01T11:00:00Z'),
    ]);
    await store.insertBatch([
      fromSample('current-filetransferinitialized-sender', a, resource, '2031-01-01T10:00:00Z'),
      fromSample('current-uploadprocessing-sender', a, resource, '2031-01-01T10:00:05Z'),
      fromSample('current-downloadconfirmed-sender', a, resource, '2031-01-01T10:30:00Z'),
    ]);
    // Transfer b: a recipient's copy, published long ago, never confirmed. Transfer c: an upload that failed.
    await store.insertBatch([
      fromSample('current-published-recipient', b, resource, '2031-01-02T09:00:00Z'),
      fromSample('current-filetransferinitialized-sender', c, resource, '2031-01-03T09:00:00Z'),
      fromSample('current-uploadfailed-sender', c, resource, '2031-01-03T09:00:09Z'),
    ]);
    await settle(store);
  });
  afterAll(() => store.close());

  it('ingest only marks transfers dirty; the summarizer step writes their summaries', async () => {
    const t = randomUUID();
    const res = `${resource}-dirty`;
    const first = fromSample('current-filetransferinitialized-sender', t, res, '2031-01-05T10:00:00Z');
    expect(await store.insertBatch([first])).toBe(1);
    expect(await store.transfer(t)).toBeUndefined();
    expect((await store.summaryLag()).dirtyTransfers).toBe(1);
    await settle(store);
    expect((await store.transfer(t))?.eventCount).toBe(1);
    // A redelivery adds nothing, so it marks nothing.
    expect(await store.insertBatch([first])).toBe(0);
    expect((await store.summaryLag()).dirtyTransfers).toBe(0);
    await store.insertBatch([fromSample('current-published-sender', t, res, '2031-01-05T10:00:10Z')]);
    await settle(store);
    expect(await store.transfer(t)).toMatchObject({ eventCount: 2, state: { phase: 'published' } });
  });

  it('summarises a transfer from all its events, whatever order the batches came in', async () => {
    expect(await store.transfer(a)).toEqual({
      fileTransferId: a,
      resource,
      organisations: [SENDER],
      firstTime: '2031-01-01T10:00:00.000Z',
      lastTime: '2031-01-01T11:00:00.000Z',
      lastType: 'no.altinn.broker.allconfirmeddownloaded',
      eventCount: 5,
      state: {
        phase: 'allconfirmed',
        recipients: [],
        confirmed: [],
        neverConfirmed: [],
        publishedAt: '2031-01-01T10:00:12.000Z',
      },
    });
    expect(await store.transfer(b)).toMatchObject({
      organisations: [RECIPIENT],
      state: { phase: 'published', recipients: [RECIPIENT], confirmed: [] },
    });
    expect((await store.transfer(c))?.state.phase).toBe('uploadfailed');
    expect(await store.transfer(randomUUID())).toBeUndefined();
  });

  it('searches by organisation, resource, last type and time, newest first', async () => {
    const ids = async (q: Parameters<ArchiveStore['searchTransfers']>[0]): Promise<string[]> =>
      (await store.searchTransfers(q)).items.map((t) => t.fileTransferId);
    expect(await ids({ resource, limit: 10 })).toEqual([c, b, a]);
    expect(await ids({ resource, org: SENDER, limit: 10 })).toEqual([c, a]);
    expect(await ids({ org: RECIPIENT, resource, limit: 10 })).toEqual([b]);
    expect(await ids({ resource, type: 'no.altinn.broker.uploadfailed', limit: 10 })).toEqual([c]);
    expect(
      await ids({
        resource,
        from: new Date('2031-01-01T11:00:00Z'),
        to: new Date('2031-01-03T00:00:00Z'),
        limit: 10,
      }),
    ).toEqual([b, a]);
    expect(await ids({ fileTransferId: b, limit: 10 })).toEqual([b]);
  });

  it.each([[{}], [{ org: SENDER }]])('pages with a keyset cursor %j', async (filter) => {
    const seen: string[] = [];
    let after: ReturnType<typeof decodeCursor>;
    for (let pages = 0; pages < 10; pages++) {
      const result = await store.searchTransfers({ resource, ...filter, after, limit: 1 });
      seen.push(...result.items.map((t) => t.fileTransferId));
      if (result.next === undefined) break;
      after = decodeCursor(result.next);
    }
    expect(seen).toEqual(
      (await store.searchTransfers({ resource, ...filter, limit: 10 })).items.map((t) => t.fileTransferId),
    );
  });

  it('keeps every delivery report once per (consumer, event, attempt, time): a re-drive keeps the history', async () => {
    const first = report({ fileTransferId: a, outcome: 'retry', error: 'SMTP timeout' });
    const again = { ...first, at: '2031-02-01T10:00:05.000Z', error: 'SMTP timeout again' };
    const older = { ...first, at: '2031-02-01T09:00:00.000Z', error: 'stale' };
    await store.upsertDeliveries([first, again]);
    await store.upsertDeliveries([older, first]);
    const second = report({
      ...first,
      attempt: 2,
      outcome: 'delivered',
      error: null,
      at: '2031-02-01T10:01:00.000Z',
    });
    await store.upsertDeliveries([second]);
    // A re-drive starts the attempts at 1 again: a later attempt 1 is a new report, not a replacement.
    const redriven = { ...first, outcome: 'delivered' as const, error: null, at: '2031-02-01T11:00:00.000Z' };
    await store.upsertDeliveries([redriven, redriven]);
    expect(await store.deliveriesOfTransfer(a)).toEqual([older, first, again, second, redriven]);
  });

  it('lists delivery reports latest first, by consumer and outcome', async () => {
    const dead = report({
      consumer: `slack-${run}`,
      outcome: 'dead-lettered',
      at: '2031-03-01T00:00:00.000Z',
      deadLetter: { topic: 'altinn.broker.dlq.v1.slack', partition: 0, offset: '7' },
    });
    const ok = report({ consumer: `slack-${run}`, at: '2031-03-02T00:00:00.000Z' });
    await store.upsertDeliveries([dead, ok]);
    expect(await store.deliveries({ consumer: `slack-${run}`, limit: 10 })).toEqual([ok, dead]);
    expect(await store.deliveries({ consumer: `slack-${run}`, outcome: 'dead-lettered', limit: 10 })).toEqual(
      [dead],
    );
  });

  it('reports what needs attention', async () => {
    const redriven = report({
      consumer: `file-fetcher-${run}`,
      outcome: 'dead-lettered',
      at: '2031-03-03T00:00:00.000Z',
    });
    const stillDead = report({
      consumer: `file-fetcher-${run}`,
      outcome: 'dead-lettered',
      at: '2031-03-03T00:00:01.000Z',
    });
    await store.upsertDeliveries([
      redriven,
      { ...redriven, attempt: 2, outcome: 'delivered', at: '2031-03-04T00:00:00.000Z' },
      stillDead,
    ]);
    const report1 = await store.attention({
      unconfirmedBefore: new Date('2031-01-05T00:00:00Z'),
      quietBefore: new Date('2031-01-05T00:00:00Z'),
      limit: 200,
    });
    expect(report1.unconfirmed.map((t) => t.fileTransferId)).toContain(b);
    expect(report1.unconfirmed.map((t) => t.fileTransferId)).not.toContain(a);
    expect(report1.uploadFailed.map((t) => t.fileTransferId)).toContain(c);
    const deadIds = report1.deadLettered.map((d) => d.eventId);
    expect(deadIds).toContain(stillDead.eventId);
    expect(deadIds).not.toContain(redriven.eventId);
    expect(report1.quietResources).toContainEqual({ resource, lastReceivedAt: '2031-01-03T09:00:09.000Z' });
    const early = await store.attention({
      unconfirmedBefore: new Date('2031-01-02T00:00:00Z'),
      quietBefore: new Date('2031-01-03T00:00:00Z'),
      limit: 200,
    });
    expect(early.unconfirmed.map((t) => t.fileTransferId)).not.toContain(b);
    expect(early.quietResources.map((r) => r.resource)).not.toContain(resource);
  });

  it('retention deletes whole expired transfers in bounded steps, and nothing newer', async () => {
    const res = `urn:altinn:resource:rm-retention-${run}`;
    const old = [randomUUID(), randomUUID(), randomUUID()];
    const fresh = randomUUID();
    const received = new Date('2020-01-01T00:00:00Z');
    for (const t of old)
      await store.insertBatch([
        fromSample('current-filetransferinitialized-sender', t, res, '2020-01-01T00:00:00Z', received),
        fromSample('current-published-recipient', t, res, '2020-01-01T00:00:10Z', received),
      ]);
    await store.insertBatch([fromSample('current-published-recipient', fresh, res, '2020-06-01T00:00:00Z')]);
    // An event without a transfer (the subscription handshake, were it ever published).
    const handshake = parseCloudEvent({
      ...(loadSample('validatesubscription').body as object),
      id: randomUUID(),
    });
    if (!handshake.ok) throw new Error('the handshake sample does not parse');
    const loose = toArchiveRow(
      handshake.event,
      handshake.canonicalType,
      { topic: 'altinn.broker.events.v1', partition: 0, offset: '1' },
      received,
    );
    await store.insertBatch([loose]);
    await settle(store);
    await store.upsertDeliveries([
      report({ fileTransferId: old[0], at: '2020-01-01T00:00:20.000Z' }),
      report({ fileTransferId: null, at: '2020-01-01T00:00:20.000Z', consumer: `loose-${run}` }),
    ]);
    const before = new Date('2020-03-01T00:00:00Z');
    const steps = [];
    for (;;) {
      const step = await store.deleteExpired(before, 2);
      steps.push(step);
      if (step.transfers + step.events + step.deliveries === 0) break;
    }
    const total = steps.reduce((a, s) => ({
      transfers: a.transfers + s.transfers,
      events: a.events + s.events,
      deliveries: a.deliveries + s.deliveries,
    }));
    // The store holds other tests' transfers from 2031 and nothing else as old, so these are exactly ours.
    expect(total).toEqual({ transfers: 3, events: 7, deliveries: 2 });
    expect(Math.max(...steps.map((s) => s.transfers))).toBeLessThanOrEqual(2);
    for (const t of old) {
      expect(await store.transfer(t)).toBeUndefined();
      expect(await store.byFileTransferId(t, 10)).toEqual([]);
    }
    expect(await store.byId(loose.id)).toEqual([]);
    expect(await store.deliveriesOfTransfer(old[0])).toEqual([]);
    expect(
      (await store.searchTransfers({ resource: res, limit: 10 })).items.map((t) => t.fileTransferId),
    ).toEqual([fresh]);
    expect((await store.searchTransfers({ org: SENDER, resource: res, limit: 10 })).items).toEqual([]);
  });

  it('keeps every event when batches of one transfer are written at the same time', async () => {
    const t = randomUUID();
    const rows = Array.from({ length: 8 }, (_, i) =>
      fromSample('current-downloadconfirmed-sender', t, resource, `2031-01-04T10:00:0${i}Z`),
    );
    // Summarizer rounds run while the batches commit: however they interleave, the transfer ends with all 8.
    let writing = true;
    const summarizing = (async () => {
      while (writing) await store.summarizeDirty(100);
    })();
    await Promise.all(rows.map((r) => store.insertBatch([r])));
    writing = false;
    await summarizing;
    await settle(store);
    expect((await store.transfer(t))?.eventCount).toBe(8);
  });
});

describe('PostgreSQL summarizer and ingest racing on one transfer', () => {
  const store = new PostgresArchiveStore(PG_URL, schema);
  const resource = `urn:altinn:resource:rm-race-${randomBytes(3).toString('hex')}`;
  afterAll(() => store.close());

  it('an event committed while its transfer is being summarised leaves the transfer dirty again', async () => {
    await store.migrate();
    const t = randomUUID();
    await store.insertBatch([
      fromSample('current-filetransferinitialized-sender', t, resource, '2031-02-01T10:00:00Z'),
    ]);
    let ingest: Promise<number> | undefined;
    // The summarizer has claimed the mark and read one event; before it commits, a second event of the transfer
    // is ingested. Ingest must wait for the claim (its mark upsert meets the deleted, still locked row) …
    await store.summarizeDirty(100, async () => {
      ingest = store.insertBatch([
        fromSample('current-published-sender', t, resource, '2031-02-01T10:00:10Z'),
      ]);
      await waitForLockWait();
    });
    // … and, once the summary without it is committed, mark the transfer again.
    expect(await ingest).toBe(1);
    expect((await store.transfer(t))?.eventCount).toBe(1);
    expect((await store.summaryLag()).dirtyTransfers).toBeGreaterThanOrEqual(1);
    await settle(store);
    expect(await store.transfer(t)).toMatchObject({ eventCount: 2, state: { phase: 'published' } });
  });
});

/** Until some session of this database waits on a row lock (the blocked ingest), polling pg_stat_activity. */
async function waitForLockWait(): Promise<void> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (;;) {
      const r = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
        [`%${schema}%transfers_dirty%`],
      );
      if ((r.rows[0]?.n ?? 0) > 0) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await client.end();
  }
}
