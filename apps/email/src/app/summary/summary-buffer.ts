import { PostgresStore, SqliteStore } from '@broker-events/postgres';

/** One old event waiting, for one address, to be listed in that address's summary mail. */
export interface PendingEntry {
  address: string;
  source: string;
  eventId: string;
  type: string;
  fileTransferId: string | null;
  resource: string | null;
  eventTime: string | null;
}

/**
 * Where old events wait for their summary mail (durable: the pipeline commits an event's offset only after it
 * is here). Keyed by (address, source, id), so a redelivered event is listed once.
 */
export interface SummaryBuffer {
  init(): Promise<void>;
  add(entries: PendingEntry[]): Promise<void>;
  /** Addresses whose newest entry is older than `quietMs`, or whose oldest is older than `maxWaitMs`. */
  due(quietMs: number, maxWaitMs: number, now: number): Promise<string[]>;
  /** One address's entries, oldest event first. */
  pending(address: string): Promise<PendingEntry[]>;
  /** Removes what was summarised (after the mail was accepted). */
  remove(address: string, entries: PendingEntry[]): Promise<void>;
  close(): Promise<void>;
}

const COLUMNS = 'address, source, event_id, type, file_transfer_id, resource, event_time, added_at';

function toEntry(r: Record<string, unknown>): PendingEntry {
  return {
    address: String(r['address']),
    source: String(r['source']),
    eventId: String(r['event_id']),
    type: String(r['type']),
    fileTransferId: (r['file_transfer_id'] as string | null) ?? null,
    resource: (r['resource'] as string | null) ?? null,
    eventTime: (r['event_time'] as string | null) ?? null,
  };
}

export class PostgresSummaryBuffer extends PostgresStore implements SummaryBuffer {
  private readonly table: string;

  constructor(url: string, schema: string) {
    super(url, schema, 2);
    this.table = this.qualified('email_summary_pending');
  }

  async init(): Promise<void> {
    await this.createIfMissing(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         address text NOT NULL, source text NOT NULL, event_id text NOT NULL, type text NOT NULL,
         file_transfer_id text, resource text, event_time text, added_at bigint NOT NULL,
         PRIMARY KEY (address, source, event_id))`,
    );
  }

  async add(entries: PendingEntry[]): Promise<void> {
    const now = Date.now();
    for (const e of entries)
      await this.pool.query(
        `INSERT INTO ${this.table} (${COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING`,
        [e.address, e.source, e.eventId, e.type, e.fileTransferId, e.resource, e.eventTime, now],
      );
  }

  async due(quietMs: number, maxWaitMs: number, now: number): Promise<string[]> {
    const r = await this.pool.query<{ address: string }>(
      `SELECT address FROM ${this.table} GROUP BY address HAVING max(added_at) <= $1 OR min(added_at) <= $2 ORDER BY address`,
      [now - quietMs, now - maxWaitMs],
    );
    return r.rows.map((row) => row.address);
  }

  async pending(address: string): Promise<PendingEntry[]> {
    const r = await this.pool.query(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE address = $1 ORDER BY event_time, event_id`,
      [address],
    );
    return r.rows.map(toEntry);
  }

  async remove(address: string, entries: PendingEntry[]): Promise<void> {
    await this.pool.query(
      `DELETE FROM ${this.table} WHERE address = $1 AND (source, event_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [address, entries.map((e) => e.source), entries.map((e) => e.eventId)],
    );
  }
}

export class SqliteSummaryBuffer extends SqliteStore implements SummaryBuffer {
  constructor(path: string) {
    super(path, { synchronous: 'NORMAL' });
  }

  async init(): Promise<void> {
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS email_summary_pending (
         address TEXT NOT NULL, source TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
         file_transfer_id TEXT, resource TEXT, event_time TEXT, added_at INTEGER NOT NULL,
         PRIMARY KEY (address, source, event_id))`,
    );
  }

  async add(entries: PendingEntry[]): Promise<void> {
    const insert = this.statement(
      `INSERT INTO email_summary_pending (${COLUMNS}) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
    );
    const now = Date.now();
    this.db.transaction(() => {
      for (const e of entries)
        insert.run(e.address, e.source, e.eventId, e.type, e.fileTransferId, e.resource, e.eventTime, now);
    })();
  }

  async due(quietMs: number, maxWaitMs: number, now: number): Promise<string[]> {
    const rows = this.db
      .prepare(
        'SELECT address FROM email_summary_pending GROUP BY address HAVING max(added_at) <= ? OR min(added_at) <= ? ORDER BY address',
      )
      .all(now - quietMs, now - maxWaitMs) as { address: string }[];
    return rows.map((r) => r.address);
  }

  async pending(address: string): Promise<PendingEntry[]> {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM email_summary_pending WHERE address = ? ORDER BY event_time, event_id`)
      .all(address) as Record<string, unknown>[];
    return rows.map(toEntry);
  }

  async remove(address: string, entries: PendingEntry[]): Promise<void> {
    const del = this.statement(
      'DELETE FROM email_summary_pending WHERE address = ? AND source = ? AND event_id = ?',
    );
    this.db.transaction(() => {
      for (const e of entries) del.run(address, e.source, e.eventId);
    })();
  }
}
