import { Inject, Injectable } from '@nestjs/common';
import { HEADERS } from '@broker-events/contracts';
import {
  type DeadLetter,
  DeadLetterAdmin,
  type RedriveResult,
  type createKafka,
} from '@broker-events/messaging';
import type { ConsoleUser } from '../auth/user';
import { AUDIT_STORE, KAFKA } from '../console.tokens';
import type { AuditEntry, AuditStore } from '../audit/audit.store';

/** A dead letter as the console lists it: the record's failure, the event it carries, and whether it was re-driven. */
export interface DeadLetterRow {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  error: string | null;
  failure: string | null;
  attempts: number | null;
  lastFailedAt: string | null;
  eventType: string | null;
  eventId: string | null;
  fileTransferId: string | null;
  /** The record's value (the event's data), cut for the page. */
  body: string;
  redriven: { actor: string; at: string } | null;
}

/** The event a record carries: the CloudEvents binary binding keeps its attributes in `ce_*` headers. */
function eventOf(d: DeadLetter): { type: string | null; id: string | null; fileTransferId: string | null } {
  const h = d.headers;
  return {
    type: h[HEADERS.type] ?? null,
    id: h[HEADERS.id] ?? null,
    fileTransferId: h[HEADERS.resourceinstance] ?? null,
  };
}

const MAX_BODY = 4000;

function bodyText(value: Buffer): string {
  const text = value.toString('utf8');
  try {
    const pretty = JSON.stringify(JSON.parse(text) as unknown, null, 2);
    return pretty.length > MAX_BODY ? `${pretty.slice(0, MAX_BODY)}…` : pretty;
  } catch {
    return text.length > MAX_BODY ? `${text.slice(0, MAX_BODY)}…` : text;
  }
}

export function toRow(d: DeadLetter, redriven: Map<string, AuditEntry>): DeadLetterRow {
  const e = eventOf(d);
  const audit = redriven.get(`${d.partition}:${d.offset}`);
  const ms = Number(d.timestamp);
  return {
    partition: d.partition,
    offset: d.offset,
    timestamp: Number.isFinite(ms) ? new Date(ms).toISOString() : d.timestamp,
    key: d.key,
    error: d.error ?? null,
    failure: d.failure ?? null,
    attempts: d.attempts ?? null,
    lastFailedAt: d.lastFailedAt ?? null,
    eventType: e.type,
    eventId: e.id,
    fileTransferId: e.fileTransferId,
    body: bodyText(d.value),
    redriven: audit ? { actor: audit.actorName, at: audit.at } : null,
  };
}

/** Parses `partition:offset` references from a form; undefined when one is malformed. */
export function parseRefs(values: readonly string[]): { partition: number; offset: string }[] | undefined {
  const out: { partition: number; offset: string }[] = [];
  for (const v of values) {
    const m = /^(\d{1,6}):(\d{1,20})$/.exec(v);
    if (!m) return undefined;
    out.push({ partition: Number(m[1]), offset: m[2] ?? '' });
  }
  return out;
}

/** Dead letters a page lists: the newest, when a consumer has more. */
const LISTED = 5000;

/**
 * Dead letters per consumer, read with libs/messaging's DeadLetterAdmin, marked with the console's own audit log
 * (the DLQ is append-only: a re-driven record stays there). Re-drives go to the consumer's retry topic, so only the
 * consumer that failed sees the event again, and each is recorded in the audit log, failed ones too.
 */
@Injectable()
export class DeadLettersService {
  constructor(
    @Inject(KAFKA) private readonly kafka: ReturnType<typeof createKafka>,
    @Inject(AUDIT_STORE) private readonly audit: AuditStore,
  ) {}

  /** The consumer's newest dead letters, newest first, and how many its topic holds. */
  async list(consumer: string): Promise<{ rows: DeadLetterRow[]; total: number }> {
    const admin = new DeadLetterAdmin(this.kafka, consumer);
    let letters: DeadLetter[];
    let total: number;
    try {
      letters = await admin.listNewest(LISTED);
      total = letters.length < LISTED ? letters.length : await admin.count();
    } catch (error) {
      // A consumer that never started has no DLQ topic yet: nothing to show.
      if (error instanceof Error && /does not exist/.test(error.message)) return { rows: [], total: 0 };
      throw error;
    }
    const redriven = await this.audit.redriven(admin.topic);
    return { rows: letters.map((d) => toRow(d, redriven)).reverse(), total };
  }

  async redrive(
    user: ConsoleUser,
    consumer: string,
    refs: { partition: number; offset: string }[],
  ): Promise<{ results?: RedriveResult[]; entry: AuditEntry }> {
    const admin = new DeadLetterAdmin(this.kafka, consumer);
    const records = refs.map((r) => `${r.partition}:${r.offset}`);
    const base = {
      actorId: user.id,
      actorName: user.name,
      action: 'redrive' as const,
      consumer,
      topic: admin.topic,
      records,
    };
    let results: RedriveResult[];
    try {
      results = await admin.redrive(refs, 'retry');
    } catch (error) {
      const entry = await this.audit.record({
        ...base,
        outcome: 'failed',
        error: error instanceof Error ? error.message : String(error),
      });
      return { entry };
    }
    return { results, entry: await this.audit.record({ ...base, outcome: 'ok', error: null }) };
  }
}
