import { randomBytes, randomUUID } from 'node:crypto';
import { type DeliveryReport, canonicalEventType, parseCloudEvent } from '@broker-events/contracts';
import { loadSample, sampleEvent } from '@broker-events/contracts/testing';
import { dropPostgresSchema } from '@broker-events/testing';
import { Client } from 'pg';
import { type ArchiveRow, type ArchiveStore, toArchiveRow } from './archive-store';
import { PostgresArchiveStore } from './postgres-archive.store';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from './migrations';
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
    expect(await store.migrate()).toEqual([1, 2, 3]);
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

  it("searches an organisation's transfers of one resource: exactly those, newest first, with every filter", async () => {
    const mine = `${resource}-org-res`;
    const other = `${resource}-org-res-other`;
    // Five of SENDER's transfers of `mine` (two with the same last time, so the id breaks the tie); one of
    // SENDER's of `other`; one of RECIPIENT's of `mine`.
    const times = [
      '2031-01-06T10:00:01Z',
      '2031-01-06T10:00:02Z',
      '2031-01-06T10:00:03Z',
      '2031-01-06T10:00:03Z',
    ];
    const ours = times.map((time) => ({ id: randomUUID(), time }));
    const failed = { id: randomUUID(), time: '2031-01-06T10:00:09Z' };
    const [elsewhere, theirs] = [randomUUID(), randomUUID()];
    await store.insertBatch([
      ...ours.map((t) => fromSample('current-filetransferinitialized-sender', t.id, mine, t.time)),
      fromSample('current-filetransferinitialized-sender', failed.id, mine, '2031-01-06T10:00:00Z'),
      fromSample('current-uploadfailed-sender', failed.id, mine, failed.time),
      fromSample('current-filetransferinitialized-sender', elsewhere, other, '2031-01-06T10:00:04Z'),
      fromSample('current-published-recipient', theirs, mine, '2031-01-06T10:00:05Z'),
    ]);
    await settle(store);
    const newestFirst = [...ours, failed]
      .sort((x, y) => Date.parse(y.time) - Date.parse(x.time) || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
      .map((t) => t.id);
    const ids = async (q: Partial<Parameters<ArchiveStore['searchTransfers']>[0]>): Promise<string[]> =>
      (await store.searchTransfers({ limit: 10, ...q })).items.map((t) => t.fileTransferId);

    expect(await ids({ org: SENDER, resource: mine })).toEqual(newestFirst);
    expect(await ids({ org: SENDER, resource: other })).toEqual([elsewhere]);
    expect(await ids({ org: RECIPIENT, resource: mine })).toEqual([theirs]);
    expect(await ids({ org: RECIPIENT, resource: other })).toEqual([]);
    expect(await ids({ org: SENDER, resource: mine, type: 'no.altinn.broker.uploadfailed' })).toEqual([
      failed.id,
    ]);
    expect(
      await ids({
        org: SENDER,
        resource: mine,
        type: 'no.altinn.broker.filetransferinitialized',
        from: new Date('2031-01-06T10:00:02Z'),
        to: new Date('2031-01-06T10:00:09Z'),
      }),
    ).toEqual(newestFirst.filter((id) => id !== failed.id && id !== ours[0].id));
    expect(await ids({ org: SENDER, resource: mine, fileTransferId: ours[1].id })).toEqual([ours[1].id]);
    expect(await ids({ org: SENDER, resource: mine, fileTransferId: theirs })).toEqual([]);

    // Two at a time, following `next`: every transfer once, in order, and the tie on the last time split right.
    const pages: string[][] = [];
    let after: ReturnType<typeof decodeCursor>;
    do {
      const result = await store.searchTransfers({ org: SENDER, resource: mine, after, limit: 2 });
      pages.push(result.items.map((t) => t.fileTransferId));
      after = result.next === undefined ? undefined : decodeCursor(result.next);
    } while (after !== undefined);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(newestFirst);
  });

  it("moves a transfer's organisation rows to the resource its later events carry", async () => {
    const t = randomUUID();
    const [first, second] = [`${resource}-late-1`, `${resource}-late-2`];
    const found = async (res: string): Promise<string[]> =>
      (await store.searchTransfers({ org: SENDER, resource: res, limit: 10 })).items.map(
        (x) => x.fileTransferId,
      );
    // The column is nullable (an event archived without a resource): the summary starts without one.
    await store.insertBatch([
      {
        ...fromSample('current-filetransferinitialized-sender', t, first, '2031-01-07T10:00:00Z'),
        resource: null,
      },
    ]);
    await settle(store);
    expect((await store.transfer(t))?.resource).toBeNull();
    expect(await found(first)).toEqual([]);
    await store.insertBatch([
      fromSample('current-uploadprocessing-sender', t, first, '2031-01-07T10:00:05Z'),
    ]);
    await settle(store);
    expect((await store.transfer(t))?.resource).toBe(first);
    expect(await found(first)).toEqual([t]);
    // The resource is the latest-arrived event's, so it can change again.
    await store.insertBatch([fromSample('current-published-sender', t, second, '2031-01-07T10:00:10Z')]);
    await settle(store);
    expect(await found(second)).toEqual([t]);
    expect(await found(first)).toEqual([]);
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

/** A transfer's read-model rows as an archive at migration 2 (before transfer_orgs.resource) wrote them. */
interface V2Transfer {
  id: string;
  resource: string | null;
  orgs: string[];
  lastTime: string;
}

/** A store that can stop at an older migration and write and read rows directly, for the upgrade test. */
interface Upgradable {
  store: ArchiveStore;
  migrateTo(version: number): Promise<number[]>;
  writeV2(transfers: V2Transfer[]): Promise<void>;
  orgRows(): Promise<{ file_transfer_id: string; org: string; resource: string | null }[]>;
}

const upgradeSchema = `rm_upgrade_${randomBytes(4).toString('hex')}`;
afterAll(() => dropPostgresSchema(PG_URL, upgradeSchema));

class UpgradablePostgres extends PostgresArchiveStore implements Upgradable {
  readonly store = this;
  migrateTo(version: number): Promise<number[]> {
    return this.applyMigrations(
      'archive',
      POSTGRES_MIGRATIONS.filter((m) => m.version <= version),
    );
  }
  async writeV2(transfers: V2Transfer[]): Promise<void> {
    for (const t of transfers) {
      await this.pool.query(
        `INSERT INTO ${this.qualified('transfers')} (file_transfer_id, resource, organisations, first_time, last_time,
           last_type, event_count, phase, recipients, confirmed, never_confirmed, published_at,
           awaiting_confirmation, last_received_at)
         VALUES ($1, $2, $3, $4, $4, 'no.altinn.broker.filetransferinitialized', 1, 'initialized', '{}', '{}', '{}',
                 NULL, false, $4)`,
        [t.id, t.resource, t.orgs, t.lastTime],
      );
      for (const org of t.orgs)
        await this.pool.query(
          `INSERT INTO ${this.qualified('transfer_orgs')} (file_transfer_id, org, last_time) VALUES ($1, $2, $3)`,
          [t.id, org, t.lastTime],
        );
    }
  }
  async orgRows(): Promise<{ file_transfer_id: string; org: string; resource: string | null }[]> {
    return (
      await this.pool.query<{ file_transfer_id: string; org: string; resource: string | null }>(
        `SELECT file_transfer_id, org, resource FROM ${this.qualified('transfer_orgs')} `,
      )
    ).rows;
  }
}

class UpgradableSqlite extends SqliteArchiveStore implements Upgradable {
  readonly store = this;
  async migrateTo(version: number): Promise<number[]> {
    return this.applyMigrations(SQLITE_MIGRATIONS.filter((m) => m.version <= version));
  }
  async writeV2(transfers: V2Transfer[]): Promise<void> {
    for (const t of transfers) {
      this.db
        .prepare(
          `INSERT INTO transfers (file_transfer_id, resource, organisations, first_time, last_time, last_type,
             event_count, phase, recipients, confirmed, never_confirmed, published_at, awaiting_confirmation,
             last_received_at)
           VALUES (?, ?, ?, ?, ?, 'no.altinn.broker.filetransferinitialized', 1, 'initialized', '[]', '[]', '[]',
                   NULL, 0, ?)`,
        )
        .run(t.id, t.resource, JSON.stringify(t.orgs), t.lastTime, t.lastTime, t.lastTime);
      for (const org of t.orgs)
        this.db
          .prepare('INSERT INTO transfer_orgs (file_transfer_id, org, last_time) VALUES (?, ?, ?)')
          .run(t.id, org, t.lastTime);
    }
  }
  async orgRows(): Promise<{ file_transfer_id: string; org: string; resource: string | null }[]> {
    return this.db.prepare('SELECT file_transfer_id, org, resource FROM transfer_orgs').all() as {
      file_transfer_id: string;
      org: string;
      resource: string | null;
    }[];
  }
}

describe.each([
  ['PostgreSQL', () => new UpgradablePostgres(PG_URL, upgradeSchema)],
  ['SQLite', () => new UpgradableSqlite(':memory:')],
] as [string, () => Upgradable][])('%s archive upgraded from migration 2', (_name, make) => {
  let db: Upgradable;
  afterAll(() => db?.store.close());

  it('gets transfer_orgs.resource backfilled from the summaries, and its searches by it', async () => {
    db = make();
    expect(await db.migrateTo(2)).toEqual([1, 2]);
    const [r1, r2] = ['urn:altinn:resource:upgrade-1', 'urn:altinn:resource:upgrade-2'];
    const shared = {
      id: randomUUID(),
      resource: r1,
      orgs: [SENDER, RECIPIENT],
      lastTime: '2031-04-01T10:00:00.000Z',
    };
    const older = { id: randomUUID(), resource: r1, orgs: [SENDER], lastTime: '2031-03-01T10:00:00.000Z' };
    const second = { id: randomUUID(), resource: r2, orgs: [SENDER], lastTime: '2031-05-01T10:00:00.000Z' };
    const none = {
      id: randomUUID(),
      resource: null,
      orgs: [RECIPIENT],
      lastTime: '2031-06-01T10:00:00.000Z',
    };
    await db.writeV2([shared, older, second, none]);

    expect(await db.store.migrate()).toEqual([3]);
    const byKey = (
      x: { file_transfer_id: string; org: string },
      y: { file_transfer_id: string; org: string },
    ) => (x.file_transfer_id + x.org < y.file_transfer_id + y.org ? -1 : 1);
    const expected = [shared, older, second, none]
      .flatMap((t) => t.orgs.map((org) => ({ file_transfer_id: t.id, org, resource: t.resource })))
      .sort(byKey);
    expect((await db.orgRows()).sort(byKey)).toEqual(expected);

    const ids = async (org: string, resource: string): Promise<string[]> =>
      (await db.store.searchTransfers({ org, resource, limit: 10 })).items.map((t) => t.fileTransferId);
    expect(await ids(SENDER, r1)).toEqual([shared.id, older.id]);
    expect(await ids(RECIPIENT, r1)).toEqual([shared.id]);
    expect(await ids(SENDER, r2)).toEqual([second.id]);
    expect(
      (await db.store.searchTransfers({ org: RECIPIENT, limit: 10 })).items.map((t) => t.fileTransferId),
    ).toEqual([none.id, shared.id]);
    expect(await db.store.migrate()).toEqual([]);
  });
});

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

describe('the organisation + resource search plan', () => {
  const query = {
    org: SENDER,
    resource: 'urn:altinn:resource:plan',
    type: 'no.altinn.broker.published',
    from: new Date('2031-01-01T00:00:00Z'),
    after: { lastTime: '2031-06-01T00:00:00.000Z', fileTransferId: 'z' },
    limit: 50,
  };

  it('PostgreSQL: one range of transfer_orgs_org_resource, already in order (no sort)', async () => {
    const store = new PostgresArchiveStore(PG_URL, schema);
    const client = new Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await store.migrate();
      const { sql, params } = store.searchSql(query);
      // The test tables are tiny, where a scan and a sort are cheapest whatever the indexes; with those priced
      // out, the plan shows which index can answer the query's WHERE and ORDER BY by itself.
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      await client.query('SET LOCAL enable_bitmapscan = off');
      await client.query('SET LOCAL enable_sort = off');
      const r = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (FORMAT JSON) ${sql}`,
        params,
      );
      await client.query('ROLLBACK');
      const plan = nodes(r.rows[0]['QUERY PLAN'][0].Plan);
      const orgs = plan.filter((n) => n['Relation Name'] === 'transfer_orgs');
      expect(orgs).toHaveLength(1);
      expect(orgs[0]).toMatchObject({
        'Node Type': expect.stringMatching(/^Index (Only )?Scan$/),
        'Index Name': 'transfer_orgs_org_resource',
      });
      expect(orgs[0]['Index Cond']).toMatch(/org = .*resource = /);
      expect(plan.map((n) => n['Node Type'])).not.toContain('Sort');
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('SQLite: one range of transfer_orgs_org_resource, already in order (no temporary b-tree)', async () => {
    class Planned extends SqliteArchiveStore {
      plan(sql: string, params: unknown[]): string[] {
        return (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
          (r) => r.detail,
        );
      }
    }
    const store = new Planned(':memory:');
    try {
      await store.migrate();
      const { sql, params } = store.searchSql(query);
      const plan = store.plan(sql, params);
      expect(plan[0]).toMatch(
        /^SEARCH o USING (COVERING )?INDEX transfer_orgs_org_resource \(org=\? AND resource=\?/,
      );
      expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
    } finally {
      await store.close();
    }
  });
});
