import type {
  AttentionReport,
  DeliveryOutcome,
  DeliveryReport,
  TransferPage,
  TransferPhase,
  TransferSummary,
} from '@broker-events/contracts';
import { PostgresStore } from '@broker-events/postgres';
import type { PoolClient } from 'pg';
import type { ArchiveRow, ArchiveStore, ArchivedEvent, RetentionStep, TimeRangeQuery } from './archive-store';
import { COLUMNS } from './archive-store';
import { POSTGRES_MIGRATIONS } from './migrations';
import {
  type AttentionQuery,
  type DeliveryQuery,
  type TransferQuery,
  type TransferRow,
  type SummaryLag,
  distinctReports,
  page,
  summarize,
  toSummary,
} from './read-model';

/** The array types unnest() gets, column by column (same order as COLUMNS). */
const ARRAY_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'timestamptz',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'jsonb',
  'text',
  'integer',
  'bigint',
  'timestamptz',
] as const;

interface DbRow {
  source: string;
  id: string;
  type: string;
  time: Date | null;
  subject: string | null;
  resource: string | null;
  resourceinstance: string | null;
  role: string | null;
  event: unknown;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  received_at: Date;
}

const SELECT = `SELECT source, id, type, time, subject, resource, resourceinstance, role, event,
                       kafka_topic, kafka_partition, kafka_offset::text AS kafka_offset, received_at`;

/**
 * PostgreSQL archive. Ingest is one statement per batch (a fixed text whatever the batch size): INSERT … SELECT
 * FROM unnest(…) `ON CONFLICT (source, id) DO NOTHING`, so redelivered events are archived once, and in the same
 * statement the transfers of the new rows are marked in `transfers_dirty`. The summarizer (summarizeDirty) folds
 * them into `transfers` / `transfer_orgs` later, off the hot path.
 *
 * The race, and why no event is ever left out of a summary: ingest marks a transfer with
 * `ON CONFLICT DO UPDATE` (a no-op update), which locks an existing mark until ingest commits; the summarizer
 * claims marks with `FOR UPDATE SKIP LOCKED` and deletes them in the transaction that recomputes the summaries.
 * - Ingest's mark is locked (ingest not committed): the summarizer skips the transfer; it stays dirty and is
 *   summarised on a later round, after ingest committed.
 * - The summarizer claimed (deleted, not committed) the mark first: ingest's upsert waits on that row lock until
 *   the summarizer commits, finds the row gone and inserts a fresh mark. The summary just written may miss the
 *   event, but the transfer is dirty again, so the next round includes it.
 * - Ingest committed before the claim: the summarizer's event read (a later statement, READ COMMITTED) sees it.
 * Marks are inserted in file_transfer_id order so concurrent batches lock them in one order (no deadlock).
 */
export class PostgresArchiveStore extends PostgresStore implements ArchiveStore {
  private readonly table: string;
  private readonly transfers: string;
  private readonly orgs: string;
  private readonly deliveriesTable: string;
  private readonly dirty: string;
  private readonly insertSql: string;
  private readonly upsertTransfersSql: string;

  constructor(connectionString: string, schema: string, poolSize = 4) {
    super(connectionString, schema, poolSize);
    this.table = this.qualified('archived_events');
    const params = ARRAY_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    this.transfers = this.qualified('transfers');
    this.orgs = this.qualified('transfer_orgs');
    this.deliveriesTable = this.qualified('deliveries');
    this.dirty = this.qualified('transfers_dirty');
    this.upsertTransfersSql = `INSERT INTO ${this.transfers} (${TRANSFER_COLUMNS.join(', ')})
      SELECT id, resource, ARRAY(SELECT jsonb_array_elements_text(orgs)), first_time, last_time, last_type,
             event_count, phase, ARRAY(SELECT jsonb_array_elements_text(recipients)),
             ARRAY(SELECT jsonb_array_elements_text(confirmed)), ARRAY(SELECT jsonb_array_elements_text(never)),
             published_at, awaiting, last_received_at
        FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[], $5::timestamptz[], $6::text[],
                    $7::int[], $8::text[], $9::jsonb[], $10::jsonb[], $11::jsonb[], $12::timestamptz[],
                    $13::boolean[], $14::timestamptz[])
          AS x(id, resource, orgs, first_time, last_time, last_type, event_count, phase, recipients, confirmed,
               never, published_at, awaiting, last_received_at)
      ON CONFLICT (file_transfer_id) DO UPDATE SET
        ${TRANSFER_COLUMNS.slice(1)
          .map((c) => `${c} = EXCLUDED.${c}`)
          .join(', ')}`;
    this.insertSql = `WITH inserted AS (
        INSERT INTO ${this.table} (${COLUMNS.join(', ')}) SELECT * FROM unnest(${params})
        ON CONFLICT (source, id) DO NOTHING RETURNING resourceinstance),
      marked AS (
        INSERT INTO ${this.dirty} (file_transfer_id)
        SELECT DISTINCT resourceinstance FROM inserted WHERE resourceinstance IS NOT NULL ORDER BY 1
        ON CONFLICT (file_transfer_id) DO UPDATE SET marked_at = ${this.dirty}.marked_at)
      SELECT count(*)::int AS n FROM inserted`;
  }

  async migrate(): Promise<number[]> {
    const applied = await this.applyMigrations('archive', POSTGRES_MIGRATIONS);
    // An archive from before the read model: build the summary of every transfer it holds, once.
    if (applied.includes(2)) await this.rebuildTransfers();
    return applied;
  }

  /** Recomputes every transfer's summary from its events, a few hundred transfers per transaction. */
  async rebuildTransfers(): Promise<number> {
    let after = '';
    let done = 0;
    for (;;) {
      const r = await this.pool.query<{ id: string }>(
        `SELECT DISTINCT resourceinstance AS id FROM ${this.table} WHERE resourceinstance > $1 ORDER BY 1 LIMIT 500`,
        [after],
      );
      if (r.rows.length === 0) return done;
      const ids = r.rows.map((x) => x.id);
      await this.inTransaction((client) => this.refreshTransfers(client, ids));
      done += ids.length;
      after = ids[ids.length - 1];
    }
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Claims up to `max` dirty transfers and rewrites their summaries from all their events, in one transaction
   * (see the class comment for the race with ingest). Returns how many transfers it claimed; fewer than `max`
   * means none were left (or the rest are being written right now). `beforeCommit` is for tests.
   */
  async summarizeDirty(max: number, beforeCommit?: () => Promise<void>): Promise<number> {
    return this.inTransaction(async (client) => {
      const claimed = await client.query<{ id: string }>(
        `DELETE FROM ${this.dirty} WHERE file_transfer_id IN (
           SELECT file_transfer_id FROM ${this.dirty} ORDER BY marked_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING file_transfer_id AS id`,
        [max],
      );
      await this.refreshTransfers(
        client,
        claimed.rows.map((r) => r.id),
      );
      await beforeCommit?.();
      return claimed.rows.length;
    });
  }

  async summaryLag(): Promise<SummaryLag> {
    const r = await this.pool.query<{ n: number; oldest: number | null }>(
      `SELECT count(*)::int AS n, extract(epoch FROM now() - min(marked_at))::float8 AS oldest FROM ${this.dirty}`,
    );
    return { dirtyTransfers: r.rows[0]?.n ?? 0, oldestSeconds: r.rows[0]?.oldest ?? 0 };
  }

  /**
   * Recomputes the summaries of these transfers from all their events; a transfer without events left (retention
   * took them) loses its summary.
   */
  private async refreshTransfers(client: PoolClient, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const events = await client.query<SummaryDbRow>(
      `SELECT resourceinstance, type, time, subject, alternativesubject, role, resource, received_at
         FROM ${this.table} WHERE resourceinstance = ANY($1::text[])`,
      [ids],
    );
    const byTransfer = new Map<string, SummaryDbRow[]>();
    for (const e of events.rows) {
      const list = byTransfer.get(e.resourceinstance);
      if (list) list.push(e);
      else byTransfer.set(e.resourceinstance, [e]);
    }
    const rows = [...byTransfer.entries()].map(([id, list]) =>
      summarize(
        id,
        list.map((e) => ({
          type: e.type,
          time: e.time ? e.time.toISOString() : null,
          subject: e.subject,
          alternativesubject: e.alternativesubject,
          role: e.role,
          resource: e.resource,
          receivedAt: e.received_at.toISOString(),
        })),
      ),
    );
    const gone = ids.filter((id) => !byTransfer.has(id));
    if (gone.length > 0) {
      await client.query(`DELETE FROM ${this.transfers} WHERE file_transfer_id = ANY($1::text[])`, [gone]);
      await client.query(`DELETE FROM ${this.orgs} WHERE file_transfer_id = ANY($1::text[])`, [gone]);
    }
    if (rows.length === 0) return;
    await client.query(this.upsertTransfersSql, transferColumns(rows));
    // One row per (transfer, organisation) with the transfer's last time and resource, both of which a later
    // event can change (the resource is the latest-received event's, so it can go from null to a value).
    const pairs = rows.flatMap((t) => t.organisations.map((org) => ({ t, org })));
    await client.query(
      `INSERT INTO ${this.orgs} (file_transfer_id, org, last_time, resource)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
       ON CONFLICT (file_transfer_id, org) DO UPDATE
         SET last_time = EXCLUDED.last_time, resource = EXCLUDED.resource`,
      [
        pairs.map((x) => x.t.fileTransferId),
        pairs.map((x) => x.org),
        pairs.map((x) => x.t.lastTime),
        pairs.map((x) => x.t.resource),
      ],
    );
  }

  async insertBatch(rows: ArchiveRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const columns: unknown[][] = COLUMNS.map(() => new Array<unknown>(rows.length));
    rows.forEach((r, i) => {
      const values = [
        r.source,
        r.id,
        r.specversion,
        r.type,
        r.originalType,
        r.time,
        r.subject,
        r.datacontenttype,
        r.dataschema,
        r.resource,
        r.resourceinstance,
        r.alternativesubject,
        r.role,
        r.event,
        r.kafkaTopic,
        r.kafkaPartition,
        r.kafkaOffset,
        r.receivedAt.toISOString(),
      ];
      values.forEach((v, c) => (columns[c][i] = v));
    });
    const result = await this.pool.query<{ n: number }>(this.insertSql, columns);
    return result.rows[0]?.n ?? 0;
  }

  async upsertDeliveries(reports: DeliveryReport[]): Promise<number> {
    const latest = distinctReports(reports);
    if (latest.length === 0) return 0;
    const col = <T>(f: (r: DeliveryReport) => T): T[] => latest.map(f);
    const r = await this.pool.query(
      `INSERT INTO ${this.deliveriesTable}
         (consumer, event_source, event_id, attempt, event_type, file_transfer_id, outcome, detail, error, dead_letter, at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::text[], $10::jsonb[], $11::timestamptz[])
       ON CONFLICT (consumer, event_source, event_id, attempt, at) DO NOTHING`,
      [
        col((d) => d.consumer),
        col((d) => d.eventSource),
        col((d) => d.eventId),
        col((d) => d.attempt),
        col((d) => d.eventType),
        col((d) => d.fileTransferId),
        col((d) => d.outcome),
        col((d) => d.detail),
        col((d) => d.error),
        col((d) => (d.deadLetter ? JSON.stringify(d.deadLetter) : null)),
        col((d) => d.at),
      ],
    );
    return r.rowCount ?? 0;
  }

  async searchTransfers(q: TransferQuery): Promise<TransferPage> {
    const { sql, params } = this.searchSql(q);
    const rows = (await this.pool.query<TransferDbRow>(sql, params)).rows.map(toTransferRow);
    return page(rows, q.limit);
  }

  /** The statement searchTransfers runs (the benchmark prints its EXPLAIN). */
  searchSql(q: TransferQuery): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    let from = `${this.transfers} t`;
    let time = 't.last_time';
    let id = 't.file_transfer_id';
    if (q.org !== undefined) {
      // An org index drives the scan and the order; the summary is joined per row. With a resource as well,
      // (org, resource, last_time, id) is one range in the order wanted, instead of the organisation's whole
      // (org, last_time, id) range with the resource tested on every joined summary.
      from = `${this.orgs} o JOIN ${this.transfers} t ON t.file_transfer_id = o.file_transfer_id`;
      where.push(`o.org = ${p(q.org)}`);
      if (q.resource !== undefined) where.push(`o.resource = ${p(q.resource)}`);
      time = 'o.last_time';
      id = 'o.file_transfer_id';
    } else if (q.resource !== undefined) where.push(`t.resource = ${p(q.resource)}`);
    if (q.fileTransferId !== undefined) where.push(`${id} = ${p(q.fileTransferId)}`);
    if (q.type !== undefined) where.push(`t.last_type = ${p(q.type)}`);
    if (q.from !== undefined) where.push(`${time} >= ${p(q.from.toISOString())}`);
    if (q.to !== undefined) where.push(`${time} < ${p(q.to.toISOString())}`);
    if (q.after !== undefined)
      where.push(`(${time}, ${id}) < (${p(q.after.lastTime)}::timestamptz, ${p(q.after.fileTransferId)})`);
    const sql = `SELECT t.* FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY ${time} DESC, ${id} DESC LIMIT ${p(q.limit + 1)}`;
    return { sql, params };
  }

  async transfer(fileTransferId: string): Promise<TransferSummary | undefined> {
    const r = await this.pool.query<TransferDbRow>(
      `SELECT * FROM ${this.transfers} WHERE file_transfer_id = $1`,
      [fileTransferId],
    );
    return r.rows[0] ? toSummary(toTransferRow(r.rows[0])) : undefined;
  }

  async deliveriesOfTransfer(fileTransferId: string): Promise<DeliveryReport[]> {
    const r = await this.pool.query<DeliveryDbRow>(
      `SELECT * FROM ${this.deliveriesTable} WHERE file_transfer_id = $1 ORDER BY at, consumer, attempt`,
      [fileTransferId],
    );
    return r.rows.map(toReport);
  }

  async attention(q: AttentionQuery): Promise<AttentionReport> {
    const [unconfirmed, uploadFailed, deadLettered, quiet] = await Promise.all([
      this.pool.query<TransferDbRow>(
        `SELECT * FROM ${this.transfers} WHERE awaiting_confirmation AND published_at < $1
          ORDER BY published_at LIMIT $2`,
        [q.unconfirmedBefore.toISOString(), q.limit],
      ),
      this.pool.query<TransferDbRow>(
        `SELECT * FROM ${this.transfers} WHERE phase = 'uploadfailed' ORDER BY last_time DESC LIMIT $1`,
        [q.limit],
      ),
      this.pool.query<DeliveryDbRow>(
        `SELECT d.* FROM ${this.deliveriesTable} d WHERE d.outcome = 'dead-lettered'
            AND NOT EXISTS (SELECT 1 FROM ${this.deliveriesTable} l
                             WHERE l.consumer = d.consumer AND l.event_source = d.event_source
                               AND l.event_id = d.event_id AND l.at > d.at)
          ORDER BY d.at DESC LIMIT $1`,
        [q.limit],
      ),
      this.pool.query<{ resource: string; last: Date }>(
        `WITH RECURSIVE r(resource) AS (
           SELECT min(resource) FROM ${this.transfers}
           UNION ALL
           SELECT (SELECT min(resource) FROM ${this.transfers} t WHERE t.resource > r.resource)
             FROM r WHERE r.resource IS NOT NULL)
         SELECT resource, last FROM (
           SELECT r.resource, (SELECT max(last_received_at) FROM ${this.transfers} t WHERE t.resource = r.resource) AS last
             FROM r WHERE r.resource IS NOT NULL) x
          WHERE last < $1 ORDER BY last LIMIT $2`,
        [q.quietBefore.toISOString(), q.limit],
      ),
    ]);
    return {
      unconfirmed: unconfirmed.rows.map((r) => toSummary(toTransferRow(r))),
      uploadFailed: uploadFailed.rows.map((r) => toSummary(toTransferRow(r))),
      deadLettered: deadLettered.rows.map(toReport),
      quietResources: quiet.rows.map((r) => ({ resource: r.resource, lastReceivedAt: r.last.toISOString() })),
    };
  }

  async deliveries(q: DeliveryQuery): Promise<DeliveryReport[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (q.consumer !== undefined) where.push(`consumer = $${params.push(q.consumer)}`);
    if (q.outcome !== undefined) where.push(`outcome = $${params.push(q.outcome)}`);
    const r = await this.pool.query<DeliveryDbRow>(
      `SELECT * FROM ${this.deliveriesTable}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, consumer, event_id, attempt DESC LIMIT $${params.push(q.limit)}`,
      params,
    );
    return r.rows.map(toReport);
  }

  async byId(id: string): Promise<ArchivedEvent[]> {
    const r = await this.pool.query<DbRow>(`${SELECT} FROM ${this.table} WHERE id = $1 ORDER BY source`, [
      id,
    ]);
    return r.rows.map(toEvent);
  }

  async byFileTransferId(fileTransferId: string, limit: number): Promise<ArchivedEvent[]> {
    const r = await this.pool.query<DbRow>(
      `${SELECT} FROM ${this.table} WHERE resourceinstance = $1 ORDER BY time NULLS LAST, received_at LIMIT $2`,
      [fileTransferId, limit],
    );
    return r.rows.map(toEvent);
  }

  async byTimeRange(q: TimeRangeQuery): Promise<ArchivedEvent[]> {
    const column = q.on === 'time' ? 'time' : 'received_at';
    const r = await this.pool.query<DbRow>(
      `${SELECT} FROM ${this.table} WHERE ${column} >= $1 AND ${column} < $2 ORDER BY ${column}, source, id LIMIT $3`,
      [q.from.toISOString(), q.to.toISOString(), q.limit],
    );
    return r.rows.map(toEvent);
  }

  async deleteExpired(before: Date, max: number): Promise<RetentionStep> {
    return this.inTransaction(async (client) => {
      const cutoff = before.toISOString();
      const ids = (
        await client.query<{ id: string }>(
          `SELECT file_transfer_id AS id FROM ${this.transfers} t WHERE last_received_at < $1
              AND NOT EXISTS (SELECT 1 FROM ${this.dirty} d WHERE d.file_transfer_id = t.file_transfer_id)
            ORDER BY last_received_at LIMIT $2`,
          [cutoff, max],
        )
      ).rows
        .map((r) => r.id)
        .sort();
      let transfers = 0;
      let events = 0;
      let deliveries = 0;
      if (ids.length > 0) {
        // Dirty transfers (events not yet summarised) are skipped above. A late event committed after that check
        // survives (only events received before the cutoff are deleted) and leaves its transfer dirty, so the
        // summarizer starts a fresh summary from it; the DELETE re-checks a summary updated meanwhile.
        const gone = await client.query<{ id: string }>(
          `DELETE FROM ${this.transfers} WHERE file_transfer_id = ANY($1::text[]) AND last_received_at < $2
           RETURNING file_transfer_id AS id`,
          [ids, cutoff],
        );
        const deleted = gone.rows.map((r) => r.id);
        transfers = deleted.length;
        events =
          (
            await client.query(
              `DELETE FROM ${this.table} WHERE resourceinstance = ANY($1::text[]) AND received_at < $2`,
              [deleted, cutoff],
            )
          ).rowCount ?? 0;
        await client.query(`DELETE FROM ${this.orgs} WHERE file_transfer_id = ANY($1::text[])`, [deleted]);
        deliveries =
          (
            await client.query(
              `DELETE FROM ${this.deliveriesTable} WHERE file_transfer_id = ANY($1::text[])`,
              [deleted],
            )
          ).rowCount ?? 0;
      }
      events +=
        (
          await client.query(
            `DELETE FROM ${this.table} WHERE ctid IN (SELECT ctid FROM ${this.table}
              WHERE received_at < $1 AND resourceinstance IS NULL LIMIT $2)`,
            [cutoff, max],
          )
        ).rowCount ?? 0;
      deliveries +=
        (
          await client.query(
            `DELETE FROM ${this.deliveriesTable} WHERE ctid IN (SELECT ctid FROM ${this.deliveriesTable}
              WHERE at < $1 AND file_transfer_id IS NULL LIMIT $2)`,
            [cutoff, max],
          )
        ).rowCount ?? 0;
      return { transfers, events, deliveries };
    });
  }

  async count(): Promise<number> {
    const r = await this.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${this.table}`);
    return Number(r.rows[0]?.n ?? 0);
  }
}

const TRANSFER_COLUMNS = [
  'file_transfer_id',
  'resource',
  'organisations',
  'first_time',
  'last_time',
  'last_type',
  'event_count',
  'phase',
  'recipients',
  'confirmed',
  'never_confirmed',
  'published_at',
  'awaiting_confirmation',
  'last_received_at',
] as const;

function transferColumns(rows: TransferRow[]): unknown[][] {
  const col = <T>(f: (r: TransferRow) => T): T[] => rows.map(f);
  return [
    col((r) => r.fileTransferId),
    col((r) => r.resource),
    col((r) => JSON.stringify(r.organisations)),
    col((r) => r.firstTime),
    col((r) => r.lastTime),
    col((r) => r.lastType),
    col((r) => r.eventCount),
    col((r) => r.state.phase),
    col((r) => JSON.stringify(r.state.recipients)),
    col((r) => JSON.stringify(r.state.confirmed)),
    col((r) => JSON.stringify(r.state.neverConfirmed)),
    col((r) => r.state.publishedAt),
    col((r) => r.awaitingConfirmation),
    col((r) => r.lastReceivedAt),
  ];
}

interface SummaryDbRow {
  resourceinstance: string;
  type: string;
  time: Date | null;
  subject: string | null;
  alternativesubject: string | null;
  role: string | null;
  resource: string | null;
  received_at: Date;
}

interface TransferDbRow {
  file_transfer_id: string;
  resource: string | null;
  organisations: string[];
  first_time: Date;
  last_time: Date;
  last_type: string;
  event_count: number;
  phase: string;
  recipients: string[];
  confirmed: string[];
  never_confirmed: string[];
  published_at: Date | null;
  awaiting_confirmation: boolean;
  last_received_at: Date;
}

function toTransferRow(r: TransferDbRow): TransferRow {
  return {
    fileTransferId: r.file_transfer_id,
    resource: r.resource,
    organisations: r.organisations,
    firstTime: r.first_time.toISOString(),
    lastTime: r.last_time.toISOString(),
    lastType: r.last_type,
    eventCount: r.event_count,
    state: {
      phase: r.phase as TransferPhase,
      recipients: r.recipients,
      confirmed: r.confirmed,
      neverConfirmed: r.never_confirmed,
      publishedAt: r.published_at ? r.published_at.toISOString() : null,
    },
    awaitingConfirmation: r.awaiting_confirmation,
    lastReceivedAt: r.last_received_at.toISOString(),
  };
}

interface DeliveryDbRow {
  consumer: string;
  event_source: string;
  event_id: string;
  attempt: number;
  event_type: string;
  file_transfer_id: string | null;
  outcome: string;
  detail: string | null;
  error: string | null;
  dead_letter: { topic: string; partition: number; offset: string } | null;
  at: Date;
}

function toReport(r: DeliveryDbRow): DeliveryReport {
  return {
    consumer: r.consumer,
    eventSource: r.event_source,
    eventId: r.event_id,
    eventType: r.event_type,
    fileTransferId: r.file_transfer_id,
    outcome: r.outcome as DeliveryOutcome,
    detail: r.detail,
    error: r.error,
    attempt: r.attempt,
    deadLetter: r.dead_letter,
    at: r.at.toISOString(),
  };
}

function toEvent(r: DbRow): ArchivedEvent {
  return {
    source: r.source,
    id: r.id,
    type: r.type,
    time: r.time ? r.time.toISOString() : null,
    subject: r.subject,
    resource: r.resource,
    resourceinstance: r.resourceinstance,
    role: r.role,
    event: r.event,
    kafka: { topic: r.kafka_topic, partition: r.kafka_partition, offset: r.kafka_offset },
    receivedAt: r.received_at.toISOString(),
  };
}
