import { dropPostgresSchema } from '@broker-events/testing';
import Database from 'better-sqlite3';
import { Pool } from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type PendingEntry,
  PostgresSummaryBuffer,
  type SummaryBuffer,
  SqliteSummaryBuffer,
} from './summary-buffer';

const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `email_summary_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'email-summary-'));

afterAll(() => dropPostgresSchema(PG_URL, schema));

const entry = (address: string, n: number, type = 'no.altinn.broker.published'): PendingEntry => ({
  address,
  source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
  eventId: `e-${String(n).padStart(4, '0')}`,
  type,
  fileTransferId: `t-${n % 3}`,
  resource: 'urn:altinn:resource:r',
  eventTime: `2026-11-20T09:${String(n % 60).padStart(2, '0')}:00Z`,
});

describe.each([
  ['PostgreSQL', () => new PostgresSummaryBuffer(PG_URL, schema)],
  ['SQLite', () => new SqliteSummaryBuffer(join(dir, 'summaries.sqlite'))],
] as [string, () => SummaryBuffer][])('%s summary buffer', (_name, make) => {
  it('claims everything waiting, describes it with at most the limit listed, and keeps a batch until removed', async () => {
    const buffer = make();
    await buffer.init();
    const a = `a-${randomBytes(3).toString('hex')}@example.no`;
    await buffer.add([
      ...[5, 1, 4, 2, 3].map((n) => entry(a, n)),
      entry(a, 6, 'no.altinn.broker.filepurged'),
      entry(`other-${a}`, 1),
    ]);

    const batch = await buffer.claim(a, 1_000, 2);
    expect(batch).toMatchObject({
      claimedAt: 1_000,
      count: 6,
      transfers: 3,
      firstEventTime: '2026-11-20T09:01:00Z',
      lastEventTime: '2026-11-20T09:06:00Z',
      byType: [
        { type: 'no.altinn.broker.published', count: 5 },
        { type: 'no.altinn.broker.filepurged', count: 1 },
      ],
    });
    expect(batch?.listed.map((e) => e.eventId)).toEqual(['e-0001', 'e-0002']);

    // Added while the mail is out: not in this batch. A crash before the removal gets the same batch again.
    await buffer.add([entry(a, 7)]);
    const again = await buffer.claim(a, 2_000, 10);
    expect(again?.claimedAt).toBe(1_000);
    expect(again?.count).toBe(6);
    await buffer.close();

    const restarted = make();
    await restarted.init();
    expect((await restarted.claim(a, 3_000, 10))?.claimedAt).toBe(1_000);
    await restarted.remove(a, 1_000);
    const next = await restarted.claim(a, 4_000, 10);
    expect(next).toMatchObject({ claimedAt: 4_000, count: 1 });
    expect(next?.listed.map((e) => e.eventId)).toEqual(['e-0007']);
    await restarted.remove(a, 4_000);
    expect(await restarted.claim(a, 5_000, 10)).toBeUndefined();
    expect((await restarted.claim(`other-${a}`, 5_000, 10))?.count).toBe(1);
    await restarted.close();
  });
});

describe('a summary table made before batches were claimed', () => {
  const legacy = `CREATE TABLE IF NOT EXISTS TABLE (
     address text NOT NULL, source text NOT NULL, event_id text NOT NULL, type text NOT NULL,
     file_transfer_id text, resource text, event_time text, added_at bigint NOT NULL,
     PRIMARY KEY (address, source, event_id))`;
  const row = ['x@example.no', 's', 'e-1', 'no.altinn.broker.published', null, null, '2026-11-20T09:00:00Z', 1];

  it('PostgreSQL: keeps its waiting entries and claims them', async () => {
    const legacySchema = `${schema}_old`;
    const pool = new Pool({ connectionString: PG_URL, max: 1 });
    try {
      await pool.query(`CREATE SCHEMA "${legacySchema}"`);
      await pool.query(legacy.replace('TABLE (', `"${legacySchema}".email_summary_pending (`));
      await pool.query(
        `INSERT INTO "${legacySchema}".email_summary_pending VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
        row,
      );
      const buffer = new PostgresSummaryBuffer(PG_URL, legacySchema);
      await buffer.init();
      expect((await buffer.claim('x@example.no', 9, 10))?.count).toBe(1);
      await buffer.close();
    } finally {
      await pool.end();
      await dropPostgresSchema(PG_URL, legacySchema);
    }
  });

  it('SQLite: keeps its waiting entries and claims them', async () => {
    const path = join(dir, 'legacy.sqlite');
    const db = new Database(path);
    db.exec(legacy.replace('TABLE (', 'email_summary_pending ('));
    db.prepare('INSERT INTO email_summary_pending VALUES (?,?,?,?,?,?,?,?)').run(...row);
    db.close();
    const buffer = new SqliteSummaryBuffer(path);
    await buffer.init();
    expect((await buffer.claim('x@example.no', 9, 10))?.count).toBe(1);
    await buffer.close();
  });
});
