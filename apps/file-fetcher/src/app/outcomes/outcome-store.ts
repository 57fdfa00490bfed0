import { PostgresStore, SqliteStore } from '@broker-events/postgres';

/**
 * What happened to a file transfer: `downloaded` (stored, not yet confirmed), `confirmed` (done),
 * `unavailable` (purged/cancelled/failed at Broker before we got it), `failed` (the last attempt failed),
 * `set_aside` (failed RECONCILE_SET_ASIDE_AFTER times; reconciliation no longer retries it).
 */
export type FetchStatus = 'downloaded' | 'confirmed' | 'unavailable' | 'failed' | 'set_aside';

export interface FetchOutcome {
  fileTransferId: string;
  status: FetchStatus;
  resourceId?: string;
  fileName?: string;
  location?: string;
  bytes?: number;
  md5?: string;
  sha256?: string;
  /** True when Broker had a checksum and it matched; false when there was none to compare. */
  checksumVerified?: boolean;
  brokerStatus?: string;
  trigger: 'event' | 'reconcile';
  attempts: number;
  lastError?: string;
  updatedAt: string;
  confirmedAt?: string;
}

export interface OutcomeStore {
  readonly kind: 'sqlite' | 'postgres';
  init(): Promise<void>;
  get(fileTransferId: string): Promise<FetchOutcome | undefined>;
  /** Insert or replace; `attempts` is incremented by the store. */
  record(outcome: Omit<FetchOutcome, 'attempts' | 'updatedAt'>): Promise<FetchOutcome>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const COLUMNS = [
  'status',
  'resource_id',
  'file_name',
  'location',
  'bytes',
  'md5',
  'sha256',
  'checksum_verified',
  'broker_status',
  'trigger',
  'last_error',
  'confirmed_at',
] as const;

interface Row {
  file_transfer_id: string;
  status: FetchStatus;
  resource_id: string | null;
  file_name: string | null;
  location: string | null;
  bytes: number | string | null;
  md5: string | null;
  sha256: string | null;
  checksum_verified: number | boolean | null;
  broker_status: string | null;
  trigger: 'event' | 'reconcile';
  attempts: number;
  last_error: string | null;
  updated_at: string | Date;
  confirmed_at: string | Date | null;
}

function iso(v: string | Date | null): string | undefined {
  if (v === null) return undefined;
  return v instanceof Date ? v.toISOString() : v;
}

function fromRow(r: Row): FetchOutcome {
  const out: FetchOutcome = {
    fileTransferId: r.file_transfer_id,
    status: r.status,
    trigger: r.trigger,
    attempts: Number(r.attempts),
    updatedAt: iso(r.updated_at) ?? '',
  };
  if (r.resource_id !== null) out.resourceId = r.resource_id;
  if (r.file_name !== null) out.fileName = r.file_name;
  if (r.location !== null) out.location = r.location;
  if (r.bytes !== null) out.bytes = Number(r.bytes);
  if (r.md5 !== null) out.md5 = r.md5;
  if (r.sha256 !== null) out.sha256 = r.sha256;
  if (r.checksum_verified !== null)
    out.checksumVerified = r.checksum_verified === true || r.checksum_verified === 1;
  if (r.broker_status !== null) out.brokerStatus = r.broker_status;
  if (r.last_error !== null) out.lastError = r.last_error;
  const confirmed = iso(r.confirmed_at);
  if (confirmed !== undefined) out.confirmedAt = confirmed;
  return out;
}

function values(o: Omit<FetchOutcome, 'attempts' | 'updatedAt'>): (string | number | null)[] {
  return [
    o.status,
    o.resourceId ?? null,
    o.fileName ?? null,
    o.location ?? null,
    o.bytes ?? null,
    o.md5 ?? null,
    o.sha256 ?? null,
    o.checksumVerified === undefined ? null : o.checksumVerified ? 1 : 0,
    o.brokerStatus ?? null,
    o.trigger,
    o.lastError ?? null,
    o.confirmedAt ?? null,
  ];
}

export class SqliteOutcomeStore extends SqliteStore implements OutcomeStore {
  constructor(path: string) {
    super(path);
  }

  async init(): Promise<void> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS fetched_files (
      file_transfer_id TEXT PRIMARY KEY, status TEXT NOT NULL, resource_id TEXT, file_name TEXT, location TEXT,
      bytes INTEGER, md5 TEXT, sha256 TEXT, checksum_verified INTEGER, broker_status TEXT, trigger TEXT NOT NULL,
      attempts INTEGER NOT NULL, last_error TEXT, updated_at TEXT NOT NULL, confirmed_at TEXT)`);
  }

  async get(id: string): Promise<FetchOutcome | undefined> {
    const row = this.db
      .prepare('SELECT * FROM fetched_files WHERE file_transfer_id = ?')
      .get(id.toLowerCase()) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  async record(o: Omit<FetchOutcome, 'attempts' | 'updatedAt'>): Promise<FetchOutcome> {
    const sets = COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ');
    this.db
      .prepare(
        `INSERT INTO fetched_files (file_transfer_id, ${COLUMNS.join(', ')}, attempts, updated_at)
         VALUES (?, ${COLUMNS.map(() => '?').join(', ')}, 1, ?)
         ON CONFLICT (file_transfer_id) DO UPDATE SET ${sets}, attempts = fetched_files.attempts + 1, updated_at = excluded.updated_at`,
      )
      .run(o.fileTransferId.toLowerCase(), ...values(o), new Date().toISOString());
    return (await this.get(o.fileTransferId)) as FetchOutcome;
  }
}

export class PostgresOutcomeStore extends PostgresStore implements OutcomeStore {
  private readonly table: string;

  constructor(connectionString: string, schema: string) {
    super(connectionString, schema, 4);
    this.table = this.qualified('fetched_files');
  }

  async init(): Promise<void> {
    await this.createIfMissing(`CREATE TABLE IF NOT EXISTS ${this.table} (
      file_transfer_id text PRIMARY KEY, status text NOT NULL, resource_id text, file_name text, location text,
      bytes bigint, md5 text, sha256 text, checksum_verified boolean, broker_status text, trigger text NOT NULL,
      attempts integer NOT NULL, last_error text, updated_at timestamptz NOT NULL, confirmed_at timestamptz)`);
  }

  async get(id: string): Promise<FetchOutcome | undefined> {
    const result = await this.pool.query<Row>(`SELECT * FROM ${this.table} WHERE file_transfer_id = $1`, [
      id.toLowerCase(),
    ]);
    return result.rows[0] ? fromRow(result.rows[0]) : undefined;
  }

  async record(o: Omit<FetchOutcome, 'attempts' | 'updatedAt'>): Promise<FetchOutcome> {
    const v = values(o);
    v[7] = o.checksumVerified === undefined ? null : o.checksumVerified ? 'true' : 'false';
    const params = COLUMNS.map((_, i) => `$${i + 2}`).join(', ');
    const sets = COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
    const result = await this.pool.query<Row>(
      `INSERT INTO ${this.table} AS f (file_transfer_id, ${COLUMNS.join(', ')}, attempts, updated_at)
       VALUES ($1, ${params}, 1, now())
       ON CONFLICT (file_transfer_id) DO UPDATE SET ${sets}, attempts = f.attempts + 1, updated_at = now()
       RETURNING *`,
      [o.fileTransferId.toLowerCase(), ...v],
    );
    return fromRow(result.rows[0]);
  }
}
