/** One change made through the console: who re-drove which dead letters of which consumer, when, and how it went. */
export interface AuditEntry {
  id: number;
  at: string;
  actorId: string;
  actorName: string;
  action: 'redrive';
  consumer: string;
  /** The dead-letter topic. */
  topic: string;
  /** `partition:offset` of each record. */
  records: string[];
  outcome: 'ok' | 'failed';
  error: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: string };

/** The console's audit log (its own table; PostgreSQL in a cluster, SQLite for a single local replica). */
export interface AuditStore {
  readonly kind: 'postgres' | 'sqlite';
  migrate(): Promise<number[]>;
  record(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first. */
  list(limit: number): Promise<AuditEntry[]>;
  /** Successful re-drives of a topic's records: `partition:offset` → the latest such entry. */
  redriven(topic: string): Promise<Map<string, AuditEntry>>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const AUDIT_MIGRATIONS = [
  {
    version: 1,
    description: 'console_audit: who changed what, when',
    sql: `CREATE TABLE console_audit (
  id INTEGER PRIMARY KEY %AUTO%,
  at TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  action TEXT NOT NULL,
  consumer TEXT NOT NULL,
  topic TEXT NOT NULL,
  records TEXT NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT
)`,
  },
] as const;

export interface AuditRow {
  id: number | string;
  at: string | Date;
  actor_id: string;
  actor_name: string;
  action: string;
  consumer: string;
  topic: string;
  records: string;
  outcome: string;
  error: string | null;
}

export function fromRow(r: AuditRow): AuditEntry {
  return {
    id: Number(r.id),
    at: r.at instanceof Date ? r.at.toISOString() : r.at,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: 'redrive',
    consumer: r.consumer,
    topic: r.topic,
    records: JSON.parse(r.records) as string[],
    outcome: r.outcome === 'ok' ? 'ok' : 'failed',
    error: r.error,
  };
}

export function redrivenIndex(entries: AuditEntry[]): Map<string, AuditEntry> {
  const out = new Map<string, AuditEntry>();
  // Oldest first, so the latest entry wins.
  for (const e of [...entries].sort((a, b) => a.id - b.id))
    if (e.outcome === 'ok') for (const r of e.records) out.set(r, e);
  return out;
}
