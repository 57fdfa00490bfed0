import { PostgresStore } from '@broker-events/postgres';
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

export class PostgresAuditStore extends PostgresStore implements AuditStore {
  constructor(url: string, schema: string) {
    super(url, schema, 2);
  }

  migrate(): Promise<number[]> {
    return this.applyMigrations(
      'console',
      AUDIT_MIGRATIONS.map((m) => ({
        ...m,
        sql: m.sql.replace('INTEGER PRIMARY KEY %AUTO%', 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
      })),
    );
  }

  async record(e: NewAuditEntry): Promise<AuditEntry> {
    const { rows } = await this.pool.query<AuditRow>(
      `INSERT INTO ${this.qualified('console_audit')} (at, actor_id, actor_name, action, consumer, topic, records, outcome, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [
        e.at ?? new Date().toISOString(),
        e.actorId,
        e.actorName,
        e.action,
        e.consumer,
        e.topic,
        JSON.stringify(e.records),
        e.outcome,
        e.error,
      ],
    );
    const row = rows[0];
    if (!row) throw new Error('the audit insert returned no row');
    return fromRow(row);
  }

  async list(limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT ${COLUMNS} FROM ${this.qualified('console_audit')} ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(fromRow);
  }

  async redriven(topic: string): Promise<Map<string, AuditEntry>> {
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT ${COLUMNS} FROM ${this.qualified('console_audit')} WHERE topic = $1 AND outcome = 'ok' ORDER BY id`,
      [topic],
    );
    return redrivenIndex(rows.map(fromRow));
  }
}
