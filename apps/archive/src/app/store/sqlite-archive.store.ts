import type Database from 'better-sqlite3';
import type {
  AttentionReport,
  DeliveryOutcome,
  DeliveryReport,
  TransferPage,
  TransferPhase,
  TransferSummary,
} from '@broker-events/contracts';
import { SqliteStore } from '@broker-events/postgres';
import type { ArchiveRow, ArchiveStore, ArchivedEvent, RetentionStep, TimeRangeQuery } from './archive-store';
import { COLUMNS } from './archive-store';
import { SQLITE_MIGRATIONS } from './migrations';
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
  transferIdsOf,
} from './read-model';

interface DbRow {
  source: string;
  id: string;
  type: string;
  time: string | null;
  subject: string | null;
  resource: string | null;
  resourceinstance: string | null;
  role: string | null;
  event: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number | bigint;
  received_at: string;
}

const SELECT = `SELECT source, id, type, time, subject, resource, resourceinstance, role, event,
                       kafka_topic, kafka_partition, kafka_offset, received_at FROM archived_events`;

/**
 * The embedded default (better-sqlite3), same schema as PostgreSQL. Times are stored as UTC ISO-8601 text so
 * ranges compare as strings; the exact original time stays in the event JSON. A batch is one transaction.
 */
export class SqliteArchiveStore extends SqliteStore implements ArchiveStore {
  private insert?: Database.Statement;
  private upsertTransfer?: Database.Statement;
  private upsertOrg?: Database.Statement;
  private upsertDelivery?: Database.Statement;
  private markDirty?: Database.Statement;

  constructor(path: string) {
    super(path, { synchronous: 'NORMAL' });
    this.db.defaultSafeIntegers(false);
  }

  async migrate(): Promise<number[]> {
    const applied = this.applyMigrations(SQLITE_MIGRATIONS);
    if (applied.includes(2)) await this.rebuildTransfers();
    return applied;
  }

  /** Recomputes every transfer's summary from its events, 500 transfers per transaction. */
  async rebuildTransfers(): Promise<number> {
    const next = this.db.prepare(
      'SELECT DISTINCT resourceinstance AS id FROM archived_events WHERE resourceinstance > ? ORDER BY 1 LIMIT 500',
    );
    let after = '';
    let done = 0;
    for (;;) {
      const ids = (next.all(after) as { id: string }[]).map((r) => r.id);
      if (ids.length === 0) return done;
      this.db.transaction(() => this.refreshTransfers(ids))();
      done += ids.length;
      after = ids[ids.length - 1];
    }
  }

  /**
   * Claims up to `max` dirty transfers and rewrites their summaries, in one transaction. SQLite has one writer
   * and better-sqlite3 runs a transaction synchronously, so no ingest batch can commit in between: the race the
   * PostgreSQL store handles with row locks cannot happen here.
   */
  async summarizeDirty(max: number): Promise<number> {
    return this.db.transaction(() => {
      const ids = (
        this.db
          .prepare(
            'DELETE FROM transfers_dirty WHERE file_transfer_id IN (SELECT file_transfer_id FROM transfers_dirty ORDER BY marked_at LIMIT ?) RETURNING file_transfer_id AS id',
          )
          .all(max) as { id: string }[]
      ).map((r) => r.id);
      this.refreshTransfers(ids);
      return ids.length;
    })();
  }

  async summaryLag(): Promise<SummaryLag> {
    const r = this.db
      .prepare('SELECT count(*) AS n, min(marked_at) AS oldest FROM transfers_dirty')
      .get() as { n: number; oldest: string | null };
    return {
      dirtyTransfers: r.n,
      oldestSeconds: r.oldest === null ? 0 : Math.max(0, (Date.now() - Date.parse(r.oldest)) / 1000),
    };
  }

  /**
   * Recomputes the summaries of these transfers from all their events (inside the caller's transaction); a
   * transfer without events left loses its summary.
   */
  private refreshTransfers(ids: string[]): void {
    if (ids.length === 0) return;
    const events = this.db
      .prepare(
        `SELECT resourceinstance, type, time, subject, alternativesubject, role, resource, received_at
           FROM archived_events WHERE resourceinstance IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids)) as SummaryDbRow[];
    const byTransfer = new Map<string, SummaryDbRow[]>();
    for (const e of events) {
      const list = byTransfer.get(e.resourceinstance);
      if (list) list.push(e);
      else byTransfer.set(e.resourceinstance, [e]);
    }
    const upsert = (this.upsertTransfer ??= this.db.prepare(
      `INSERT INTO transfers (file_transfer_id, resource, organisations, first_time, last_time, last_type, event_count,
                              phase, recipients, confirmed, never_confirmed, published_at, awaiting_confirmation,
                              last_received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (file_transfer_id) DO UPDATE SET resource = excluded.resource,
         organisations = excluded.organisations, first_time = excluded.first_time, last_time = excluded.last_time,
         last_type = excluded.last_type, event_count = excluded.event_count, phase = excluded.phase,
         recipients = excluded.recipients, confirmed = excluded.confirmed, never_confirmed = excluded.never_confirmed,
         published_at = excluded.published_at, awaiting_confirmation = excluded.awaiting_confirmation,
         last_received_at = excluded.last_received_at`,
    ));
    const upsertOrg = (this.upsertOrg ??= this.db.prepare(
      `INSERT INTO transfer_orgs (file_transfer_id, org, last_time, resource) VALUES (?, ?, ?, ?)
       ON CONFLICT (file_transfer_id, org) DO UPDATE SET last_time = excluded.last_time, resource = excluded.resource`,
    ));
    const gone = JSON.stringify(ids.filter((id) => !byTransfer.has(id)));
    this.db
      .prepare('DELETE FROM transfers WHERE file_transfer_id IN (SELECT value FROM json_each(?))')
      .run(gone);
    this.db
      .prepare('DELETE FROM transfer_orgs WHERE file_transfer_id IN (SELECT value FROM json_each(?))')
      .run(gone);
    for (const [id, list] of byTransfer) {
      const t = summarize(
        id,
        list.map((e) => ({
          type: e.type,
          time: e.time,
          subject: e.subject,
          alternativesubject: e.alternativesubject,
          role: e.role,
          resource: e.resource,
          receivedAt: e.received_at,
        })),
      );
      upsert.run(
        t.fileTransferId,
        t.resource,
        JSON.stringify(t.organisations),
        t.firstTime,
        t.lastTime,
        t.lastType,
        t.eventCount,
        t.state.phase,
        JSON.stringify(t.state.recipients),
        JSON.stringify(t.state.confirmed),
        JSON.stringify(t.state.neverConfirmed),
        t.state.publishedAt === null ? null : utc(t.state.publishedAt),
        t.awaitingConfirmation ? 1 : 0,
        t.lastReceivedAt,
      );
      for (const org of t.organisations) upsertOrg.run(t.fileTransferId, org, t.lastTime, t.resource);
    }
  }

  async insertBatch(rows: ArchiveRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const insert = (this.insert ??= this.db.prepare(
      `INSERT INTO archived_events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (source, id) DO NOTHING`,
    ));
    const mark = (this.markDirty ??= this.db.prepare(
      'INSERT INTO transfers_dirty (file_transfer_id, marked_at) VALUES (?, ?) ON CONFLICT (file_transfer_id) DO NOTHING',
    ));
    const run = this.db.transaction((batch: ArchiveRow[]) => {
      let inserted = 0;
      const touched: ArchiveRow[] = [];
      for (const r of batch) {
        const changes = insert.run(
          r.source,
          r.id,
          r.specversion,
          r.type,
          r.originalType,
          r.time === null ? null : utc(r.time),
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
          BigInt(r.kafkaOffset),
          r.receivedAt.toISOString(),
        ).changes;
        inserted += changes;
        if (changes > 0) touched.push(r);
      }
      const now = new Date().toISOString();
      for (const id of transferIdsOf(touched)) mark.run(id, now);
      return inserted;
    });
    return run(rows);
  }

  async upsertDeliveries(reports: DeliveryReport[]): Promise<number> {
    const upsert = (this.upsertDelivery ??= this.db.prepare(
      `INSERT INTO deliveries (consumer, event_source, event_id, attempt, event_type, file_transfer_id, outcome,
                               detail, error, dead_letter, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (consumer, event_source, event_id, attempt, at) DO NOTHING`,
    ));
    return this.db.transaction((batch: DeliveryReport[]) => {
      let changed = 0;
      for (const d of batch)
        changed += upsert.run(
          d.consumer,
          d.eventSource,
          d.eventId,
          d.attempt,
          d.eventType,
          d.fileTransferId,
          d.outcome,
          d.detail,
          d.error,
          d.deadLetter ? JSON.stringify(d.deadLetter) : null,
          utc(d.at),
        ).changes;
      return changed;
    })(distinctReports(reports));
  }

  async searchTransfers(q: TransferQuery): Promise<TransferPage> {
    const { sql, params } = this.searchSql(q);
    const rows = (this.db.prepare(sql).all(...params) as TransferDbRow[]).map(toTransferRow);
    return page(rows, q.limit);
  }

  /** The statement searchTransfers runs (the benchmark prints its query plan). */
  searchSql(q: TransferQuery): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const where: string[] = [];
    let from = 'transfers t';
    let time = 't.last_time';
    let id = 't.file_transfer_id';
    const add = (clause: string, ...values: unknown[]): void => {
      where.push(clause);
      params.push(...values);
    };
    if (q.org !== undefined) {
      // As in PostgreSQL: with a resource, the (org, resource, last_time, id) index is the whole search.
      from = 'transfer_orgs o JOIN transfers t ON t.file_transfer_id = o.file_transfer_id';
      add('o.org = ?', q.org);
      if (q.resource !== undefined) add('o.resource = ?', q.resource);
      time = 'o.last_time';
      id = 'o.file_transfer_id';
    } else if (q.resource !== undefined) add('t.resource = ?', q.resource);
    if (q.fileTransferId !== undefined) add(`${id} = ?`, q.fileTransferId);
    if (q.type !== undefined) add('t.last_type = ?', q.type);
    if (q.from !== undefined) add(`${time} >= ?`, q.from.toISOString());
    if (q.to !== undefined) add(`${time} < ?`, q.to.toISOString());
    if (q.after !== undefined) add(`(${time}, ${id}) < (?, ?)`, q.after.lastTime, q.after.fileTransferId);
    params.push(q.limit + 1);
    const sql = `SELECT t.* FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY ${time} DESC, ${id} DESC LIMIT ?`;
    return { sql, params };
  }

  async transfer(fileTransferId: string): Promise<TransferSummary | undefined> {
    const row = this.db.prepare('SELECT * FROM transfers WHERE file_transfer_id = ?').get(fileTransferId) as
      TransferDbRow | undefined;
    return row ? toSummary(toTransferRow(row)) : undefined;
  }

  async deliveriesOfTransfer(fileTransferId: string): Promise<DeliveryReport[]> {
    return (
      this.db
        .prepare('SELECT * FROM deliveries WHERE file_transfer_id = ? ORDER BY at, consumer, attempt')
        .all(fileTransferId) as DeliveryDbRow[]
    ).map(toReport);
  }

  async attention(q: AttentionQuery): Promise<AttentionReport> {
    const unconfirmed = this.db
      .prepare(
        `SELECT * FROM transfers WHERE awaiting_confirmation = 1 AND published_at < ? ORDER BY published_at LIMIT ?`,
      )
      .all(q.unconfirmedBefore.toISOString(), q.limit) as TransferDbRow[];
    const uploadFailed = this.db
      .prepare(`SELECT * FROM transfers WHERE phase = 'uploadfailed' ORDER BY last_time DESC LIMIT ?`)
      .all(q.limit) as TransferDbRow[];
    const deadLettered = this.db
      .prepare(
        `SELECT d.* FROM deliveries d WHERE d.outcome = 'dead-lettered'
            AND NOT EXISTS (SELECT 1 FROM deliveries l
                             WHERE l.consumer = d.consumer AND l.event_source = d.event_source
                               AND l.event_id = d.event_id AND l.at > d.at)
          ORDER BY d.at DESC LIMIT ?`,
      )
      .all(q.limit) as DeliveryDbRow[];
    const quiet = this.db
      .prepare(
        `WITH RECURSIVE r(resource) AS (
           SELECT min(resource) FROM transfers
           UNION ALL
           SELECT (SELECT min(resource) FROM transfers t WHERE t.resource > r.resource) FROM r WHERE r.resource IS NOT NULL)
         SELECT resource, last FROM (
           SELECT r.resource, (SELECT max(last_received_at) FROM transfers t WHERE t.resource = r.resource) AS last
             FROM r WHERE r.resource IS NOT NULL)
          WHERE last < ? ORDER BY last LIMIT ?`,
      )
      .all(q.quietBefore.toISOString(), q.limit) as { resource: string; last: string }[];
    return {
      unconfirmed: unconfirmed.map((r) => toSummary(toTransferRow(r))),
      uploadFailed: uploadFailed.map((r) => toSummary(toTransferRow(r))),
      deadLettered: deadLettered.map(toReport),
      quietResources: quiet.map((r) => ({ resource: r.resource, lastReceivedAt: r.last })),
    };
  }

  async deliveries(q: DeliveryQuery): Promise<DeliveryReport[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.consumer !== undefined) {
      where.push('consumer = ?');
      params.push(q.consumer);
    }
    if (q.outcome !== undefined) {
      where.push('outcome = ?');
      params.push(q.outcome);
    }
    params.push(q.limit);
    return (
      this.db
        .prepare(
          `SELECT * FROM deliveries${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
            ORDER BY at DESC, consumer, event_id, attempt DESC LIMIT ?`,
        )
        .all(...params) as DeliveryDbRow[]
    ).map(toReport);
  }

  async byId(id: string): Promise<ArchivedEvent[]> {
    return (this.db.prepare(`${SELECT} WHERE id = ? ORDER BY source`).all(id) as DbRow[]).map(toEvent);
  }

  async byFileTransferId(fileTransferId: string, limit: number): Promise<ArchivedEvent[]> {
    return (
      this.db
        .prepare(`${SELECT} WHERE resourceinstance = ? ORDER BY time IS NULL, time, received_at LIMIT ?`)
        .all(fileTransferId, limit) as DbRow[]
    ).map(toEvent);
  }

  async byTimeRange(q: TimeRangeQuery): Promise<ArchivedEvent[]> {
    const column = q.on === 'time' ? 'time' : 'received_at';
    return (
      this.db
        .prepare(`${SELECT} WHERE ${column} >= ? AND ${column} < ? ORDER BY ${column}, source, id LIMIT ?`)
        .all(q.from.toISOString(), q.to.toISOString(), q.limit) as DbRow[]
    ).map(toEvent);
  }

  async deleteExpired(before: Date, max: number): Promise<RetentionStep> {
    const cutoff = before.toISOString();
    return this.db.transaction((): RetentionStep => {
      const ids = (
        this.db
          .prepare(
            `SELECT file_transfer_id AS id FROM transfers t WHERE last_received_at < ?
               AND NOT EXISTS (SELECT 1 FROM transfers_dirty d WHERE d.file_transfer_id = t.file_transfer_id)
             ORDER BY last_received_at LIMIT ?`,
          )
          .all(cutoff, max) as { id: string }[]
      ).map((r) => r.id);
      const list = JSON.stringify(ids);
      const inList = 'IN (SELECT value FROM json_each(?))';
      const transfers = this.db
        .prepare(`DELETE FROM transfers WHERE file_transfer_id ${inList}`)
        .run(list).changes;
      let events = this.db
        .prepare(`DELETE FROM archived_events WHERE resourceinstance ${inList}`)
        .run(list).changes;
      this.db.prepare(`DELETE FROM transfer_orgs WHERE file_transfer_id ${inList}`).run(list);
      let deliveries = this.db
        .prepare(`DELETE FROM deliveries WHERE file_transfer_id ${inList}`)
        .run(list).changes;
      events += this.db
        .prepare(
          `DELETE FROM archived_events WHERE (source, id) IN (SELECT source, id FROM archived_events
            WHERE received_at < ? AND resourceinstance IS NULL LIMIT ?)`,
        )
        .run(cutoff, max).changes;
      deliveries += this.db
        .prepare(
          `DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries
            WHERE at < ? AND file_transfer_id IS NULL LIMIT ?)`,
        )
        .run(cutoff, max).changes;
      return { transfers, events, deliveries };
    })();
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM archived_events').get() as { n: number }).n;
  }
}

function utc(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
}

interface SummaryDbRow {
  resourceinstance: string;
  type: string;
  time: string | null;
  subject: string | null;
  alternativesubject: string | null;
  role: string | null;
  resource: string | null;
  received_at: string;
}

interface TransferDbRow {
  file_transfer_id: string;
  resource: string | null;
  organisations: string;
  first_time: string;
  last_time: string;
  last_type: string;
  event_count: number;
  phase: string;
  recipients: string;
  confirmed: string;
  never_confirmed: string;
  published_at: string | null;
  awaiting_confirmation: number;
  last_received_at: string;
}

const strings = (json: string): string[] => JSON.parse(json) as string[];

function toTransferRow(r: TransferDbRow): TransferRow {
  return {
    fileTransferId: r.file_transfer_id,
    resource: r.resource,
    organisations: strings(r.organisations),
    firstTime: r.first_time,
    lastTime: r.last_time,
    lastType: r.last_type,
    eventCount: r.event_count,
    state: {
      phase: r.phase as TransferPhase,
      recipients: strings(r.recipients),
      confirmed: strings(r.confirmed),
      neverConfirmed: strings(r.never_confirmed),
      publishedAt: r.published_at,
    },
    awaitingConfirmation: r.awaiting_confirmation === 1,
    lastReceivedAt: r.last_received_at,
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
  dead_letter: string | null;
  at: string;
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
    deadLetter: r.dead_letter === null ? null : (JSON.parse(r.dead_letter) as DeliveryReport['deadLetter']),
    at: r.at,
  };
}

function toEvent(r: DbRow): ArchivedEvent {
  return {
    source: r.source,
    id: r.id,
    type: r.type,
    time: r.time,
    subject: r.subject,
    resource: r.resource,
    resourceinstance: r.resourceinstance,
    role: r.role,
    event: JSON.parse(r.event) as unknown,
    kafka: { topic: r.kafka_topic, partition: r.kafka_partition, offset: String(r.kafka_offset) },
    receivedAt: r.received_at,
  };
}
