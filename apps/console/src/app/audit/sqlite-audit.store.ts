import { SqliteStore } from '@broker-events/postgres';
import {
  AUDIT_MIGRATIONS,
  type AuditEntry,
  type AuditRow,
  type AuditStore,
  type NewAuditEntry,
  fromRow,
  redrivenIndex,
} from './audit.store';

const COLUMNS = 'id, at, actor_id, actor_name, action, consumer, topic, records, outcome, error';

export class SqliteAuditStore extends SqliteStore implements AuditStore {
  constructor(path: string) {
    super(path);
  }

  async migrate(): Promise<number[]> {
    return this.applyMigrations(
      AUDIT_MIGRATIONS.map((m) => ({ ...m, sql: m.sql.replace(' %AUTO%', ' AUTOINCREMENT') })),
    );
  }

  async record(e: NewAuditEntry): Promise<AuditEntry> {
    const row = this.db
      .prepare(
        `INSERT INTO console_audit (at, actor_id, actor_name, action, consumer, topic, records, outcome, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      )
      .get(
        e.at ?? new Date().toISOString(),
        e.actorId,
        e.actorName,
        e.action,
        e.consumer,
        e.topic,
        JSON.stringify(e.records),
        e.outcome,
        e.error,
      ) as AuditRow;
    return fromRow(row);
  }

  async list(limit: number): Promise<AuditEntry[]> {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM console_audit ORDER BY id DESC LIMIT ?`)
      .all(limit) as AuditRow[];
    return rows.map(fromRow);
  }

  async redriven(topic: string): Promise<Map<string, AuditEntry>> {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM console_audit WHERE topic = ? AND outcome = 'ok' ORDER BY id`)
      .all(topic) as AuditRow[];
    return redrivenIndex(rows.map(fromRow));
  }
}
