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
 * One address's summary: the entries it covers, claimed at `claimedAt`, described by totals and the oldest
 * `listed` of them (a catch-up can put hundreds of thousands in one summary; the mail must stay small).
 */
export interface SummaryBatch {
  /** When the entries were claimed (ms). With the address it names the batch, and so its mail. */
  claimedAt: number;
  count: number;
  /** Distinct file transfers (an entry without one counts as its own). */
  transfers: number;
  firstEventTime: string | null;
  lastEventTime: string | null;
  /** Entries per event type, most first. */
  byType: { type: string; count: number }[];
  /** The oldest entries (by event time), at most the limit `claim` was given. */
  listed: PendingEntry[];
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
  /**
   * The address's batch to mail: the batch claimed earlier and not yet removed (its mail may or may not have
   * gone out before a crash), or else every unclaimed entry, claimed now. Entries added later stay unclaimed,
   * for the next batch. Undefined when there is nothing.
   */
  claim(address: string, now: number, listLimit: number): Promise<SummaryBatch | undefined>;
  /** Removes a batch (after its mail was accepted). */
  remove(address: string, claimedAt: number): Promise<void>;
  /**
   * Runs `send` unless another replica is sending this buffer's summaries now, and says whether it ran. A
   * claimed batch stays claimed until removed, so without this a second replica would mail it again.
   */
  exclusively(send: () => Promise<void>): Promise<boolean>;
  close(): Promise<void>;
}

const COLUMNS = 'address, source, event_id, type, file_transfer_id, resource, event_time, added_at';

/**
 * The buffer's statements, the same for both stores: `$n` parameters are PostgreSQL's, and better-sqlite3 binds
 * them by name from `sqliteParams`.
 */
function statements(table: string) {
  const batch = `FROM ${table} WHERE address = $1 AND claimed_at = $2`;
  return {
    add: `INSERT INTO ${table} (${COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING`,
    due: `SELECT address FROM ${table} GROUP BY address HAVING max(added_at) <= $1 OR min(added_at) <= $2 ORDER BY address`,
    /** $1 address. */
    earlier: `SELECT min(claimed_at) AS c FROM ${table} WHERE address = $1 AND claimed_at IS NOT NULL`,
    /** $1 address, $2 now. */
    claim: `UPDATE ${table} SET claimed_at = $2 WHERE address = $1 AND claimed_at IS NULL`,
    /** $1 address, $2 claimedAt (and for `listed`, $3 the limit). */
    totals: `SELECT count(*) AS n, count(DISTINCT coalesce(file_transfer_id, event_id)) AS transfers, min(event_time) AS first, max(event_time) AS last ${batch}`,
    byType: `SELECT type, count(*) AS n ${batch} GROUP BY type ORDER BY n DESC, type`,
    listed: `SELECT ${COLUMNS} ${batch} ORDER BY event_time, event_id LIMIT $3`,
    remove: `DELETE ${batch}`,
  };
}

/** Positional values as better-sqlite3's named parameters `$1`, `$2`, …. */
function sqliteParams(values: unknown[]): Record<string, unknown> {
  return Object.fromEntries(values.map((v, i) => [String(i + 1), v]));
}

function entryValues(e: PendingEntry, now: number): unknown[] {
  return [e.address, e.source, e.eventId, e.type, e.fileTransferId, e.resource, e.eventTime, now];
}

interface TotalsRow {
  n: number | string;
  transfers: number | string;
  first: string | null;
  last: string | null;
}

function toBatch(
  claimedAt: number,
  totals: TotalsRow,
  byType: { type: string; n: number | string }[],
  listed: Record<string, unknown>[],
): SummaryBatch {
  return {
    claimedAt,
    count: Number(totals.n),
    transfers: Number(totals.transfers),
    firstEventTime: totals.first,
    lastEventTime: totals.last,
    byType: byType.map((r) => ({ type: r.type, count: Number(r.n) })),
    listed: listed.map(toEntry),
  };
}

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
  private readonly sql: ReturnType<typeof statements>;

  constructor(url: string, schema: string) {
    // One connection holds the senders' lock while a summary goes out; the pipeline's inserts use the others.
    super(url, schema, 3);
    this.table = this.qualified('email_summary_pending');
    this.sql = statements(this.table);
  }

  async init(): Promise<void> {
    await this.createIfMissing(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         address text NOT NULL, source text NOT NULL, event_id text NOT NULL, type text NOT NULL,
         file_transfer_id text, resource text, event_time text, added_at bigint NOT NULL,
         PRIMARY KEY (address, source, event_id))`,
      // Tables made before summaries were claimed in batches (a claimed entry is in a mail being sent).
      `ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS claimed_at bigint`,
    );
  }

  async add(entries: PendingEntry[]): Promise<void> {
    const now = Date.now();
    for (const e of entries) await this.pool.query(this.sql.add, entryValues(e, now));
  }

  async due(quietMs: number, maxWaitMs: number, now: number): Promise<string[]> {
    const r = await this.pool.query<{ address: string }>(this.sql.due, [now - quietMs, now - maxWaitMs]);
    return r.rows.map((row) => row.address);
  }

  async claim(address: string, now: number, listLimit: number): Promise<SummaryBatch | undefined> {
    const c = (await this.pool.query<{ c: string | null }>(this.sql.earlier, [address])).rows[0]?.c;
    let claimedAt = c === null || c === undefined ? undefined : Number(c);
    if (claimedAt === undefined) {
      if (!(await this.pool.query(this.sql.claim, [address, now])).rowCount) return undefined;
      claimedAt = now;
    }
    const [totals, byType, listed] = await Promise.all([
      this.pool.query<TotalsRow>(this.sql.totals, [address, claimedAt]),
      this.pool.query<{ type: string; n: string }>(this.sql.byType, [address, claimedAt]),
      this.pool.query(this.sql.listed, [address, claimedAt, listLimit]),
    ]);
    return toBatch(claimedAt, totals.rows[0], byType.rows, listed.rows);
  }

  async remove(address: string, claimedAt: number): Promise<void> {
    await this.pool.query(this.sql.remove, [address, claimedAt]);
  }

  /** Replicas sharing the schema take turns on an advisory lock; one that dies frees it with its connection. */
  async exclusively(send: () => Promise<void>): Promise<boolean> {
    return (await this.ifLockFree(`email-summaries:${this.schema}`, send)).ran;
  }
}

export class SqliteSummaryBuffer extends SqliteStore implements SummaryBuffer {
  private readonly sql = statements('email_summary_pending');

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
    // Files made before summaries were claimed in batches (a claimed entry is in a mail being sent).
    const columns = this.db.prepare('PRAGMA table_info(email_summary_pending)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'claimed_at'))
      this.db.exec('ALTER TABLE email_summary_pending ADD COLUMN claimed_at INTEGER');
  }

  async add(entries: PendingEntry[]): Promise<void> {
    const insert = this.statement(this.sql.add);
    const now = Date.now();
    this.db.transaction(() => {
      for (const e of entries) insert.run(sqliteParams(entryValues(e, now)));
    })();
  }

  async due(quietMs: number, maxWaitMs: number, now: number): Promise<string[]> {
    const rows = this.statement(this.sql.due).all(sqliteParams([now - quietMs, now - maxWaitMs])) as {
      address: string;
    }[];
    return rows.map((r) => r.address);
  }

  async claim(address: string, now: number, listLimit: number): Promise<SummaryBatch | undefined> {
    const earlier = this.statement(this.sql.earlier).get(sqliteParams([address])) as { c: number | null };
    let claimedAt = earlier.c ?? undefined;
    if (claimedAt === undefined) {
      if (this.statement(this.sql.claim).run(sqliteParams([address, now])).changes === 0) return undefined;
      claimedAt = now;
    }
    const batch = sqliteParams([address, claimedAt]);
    return toBatch(
      claimedAt,
      this.statement(this.sql.totals).get(batch) as TotalsRow,
      this.statement(this.sql.byType).all(batch) as { type: string; n: number }[],
      this.statement(this.sql.listed).all(sqliteParams([address, claimedAt, listLimit])) as Record<
        string,
        unknown
      >[],
    );
  }

  async remove(address: string, claimedAt: number): Promise<void> {
    this.statement(this.sql.remove).run(sqliteParams([address, claimedAt]));
  }

  /** A SQLite file is one process's (replicas that share summaries use PostgreSQL): nobody to wait for. */
  async exclusively(send: () => Promise<void>): Promise<boolean> {
    await send();
    return true;
  }
}
