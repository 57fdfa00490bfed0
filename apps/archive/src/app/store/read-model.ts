import {
  type DeliveryOutcome,
  type DeliveryReport,
  type TransferPage,
  type TransferState,
  type TransferSummary,
  awaitsConfirmation,
  deriveTransferState,
  organisationNumber,
} from '@broker-events/contracts';

/** What the summary of a transfer is computed from: the columns of its archived events. */
export interface SummarySource {
  type: string;
  /** ISO time of the event, or null. */
  time: string | null;
  subject: string | null;
  alternativesubject: string | null;
  role: string | null;
  resource: string | null;
  receivedAt: string;
}

/** One row of the `transfers` table: the summary plus what the attention report needs. */
export interface TransferRow {
  fileTransferId: string;
  resource: string | null;
  organisations: string[];
  /** Earliest / latest event time (the time received for an event without `time`), ISO with milliseconds. */
  firstTime: string;
  lastTime: string;
  lastType: string;
  eventCount: number;
  state: TransferState;
  awaitingConfirmation: boolean;
  lastReceivedAt: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The summary of one transfer from all its archived events (in any order). Recomputed from every event of the
 * transfer each time one arrives, so a late or repeated event can never leave it wrong.
 */
export function summarize(fileTransferId: string, events: readonly SummarySource[]): TransferRow {
  let first = Infinity;
  let last = -Infinity;
  let lastReceived = -Infinity;
  let lastType = '';
  let lastTypeReceived = -Infinity;
  let resource: string | null = null;
  const orgs = new Set<string>();
  for (const e of events) {
    const received = Date.parse(e.receivedAt);
    const parsed = e.time === null ? NaN : Date.parse(e.time);
    const at = Number.isNaN(parsed) ? received : parsed;
    first = Math.min(first, at);
    if (at > last || (at === last && received >= lastTypeReceived)) {
      last = at;
      lastType = e.type;
      lastTypeReceived = received;
    }
    if (received >= lastReceived) {
      lastReceived = received;
      resource = e.resource ?? resource;
    }
    const org = organisationNumber({
      subject: e.subject ?? undefined,
      alternativesubject: e.alternativesubject ?? undefined,
    });
    if (org !== undefined) orgs.add(org);
  }
  const state = deriveTransferState(
    events.map((e) => ({
      type: e.type,
      time: e.time ?? undefined,
      subject: e.subject ?? undefined,
      alternativesubject: e.alternativesubject ?? undefined,
      data: e.role === null ? undefined : { Role: e.role },
    })),
  );
  return {
    fileTransferId,
    resource,
    organisations: [...orgs].sort(),
    firstTime: iso(first),
    lastTime: iso(last),
    lastType,
    eventCount: events.length,
    state,
    awaitingConfirmation: awaitsConfirmation(state),
    lastReceivedAt: iso(lastReceived),
  };
}

export function toSummary(r: TransferRow): TransferSummary {
  return {
    fileTransferId: r.fileTransferId,
    resource: r.resource,
    organisations: r.organisations,
    firstTime: r.firstTime,
    lastTime: r.lastTime,
    lastType: r.lastType,
    eventCount: r.eventCount,
    state: r.state,
  };
}

/** Keyset position: the last row of a page, newest first by (lastTime, fileTransferId). */
export interface TransferCursor {
  lastTime: string;
  fileTransferId: string;
}

export function encodeCursor(c: TransferCursor): string {
  return Buffer.from(JSON.stringify([c.lastTime, c.fileTransferId]), 'utf8').toString('base64url');
}

/** Undefined for anything that is not a cursor this archive made. */
export function decodeCursor(raw: string): TransferCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      !Number.isNaN(Date.parse(value[0]))
    )
      return { lastTime: new Date(Date.parse(value[0])).toISOString(), fileTransferId: value[1] };
  } catch {
    return undefined;
  }
  return undefined;
}

export interface TransferQuery {
  fileTransferId?: string;
  org?: string;
  /** Full URN. */
  resource?: string;
  /** The transfer's last event type. */
  type?: string;
  /** On the transfer's last event time: [from, to). */
  from?: Date;
  to?: Date;
  after?: TransferCursor;
  limit: number;
}

export interface AttentionQuery {
  /** Published before this and still awaiting a confirmation. */
  unconfirmedBefore: Date;
  /** Resources whose last arrival is before this. */
  quietBefore: Date;
  limit: number;
}

/** How far the summaries are behind ingest: transfers with unsummarised events, and how long the oldest waits. */
export interface SummaryLag {
  dirtyTransfers: number;
  oldestSeconds: number;
}

export interface DeliveryQuery {
  consumer?: string;
  outcome?: DeliveryOutcome;
  limit: number;
}

/** Distinct non-null file transfer ids, sorted (the lock order when several batches touch one transfer). */
export function transferIdsOf(rows: readonly { resourceinstance: string | null }[]): string[] {
  return [...new Set(rows.flatMap((r) => (r.resourceinstance ? [r.resourceinstance] : [])))].sort();
}

/**
 * One report per (consumer, event, attempt, at): a batch may carry a report twice (the reporting consumer was
 * restarted before its commit). Reports at other times are all kept, so an event's history survives a re-drive,
 * which starts the consumer's attempts at 1 again: the dead-lettered attempt 1 and the delivered attempt 1 are
 * both shown, and "the latest outcome" is the one with the latest `at`.
 */
export function distinctReports(reports: readonly DeliveryReport[]): DeliveryReport[] {
  const byKey = new Map<string, DeliveryReport>();
  for (const r of reports) {
    const key = JSON.stringify([
      r.consumer,
      r.eventSource,
      r.eventId,
      r.attempt,
      new Date(r.at).toISOString(),
    ]);
    if (!byKey.has(key)) byKey.set(key, r);
  }
  return [...byKey.values()];
}

/** A page of `limit` rows (the query asked for one more, to know whether there is a next page). */
export function page(rows: TransferRow[], limit: number): TransferPage {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return rows.length > limit && last
    ? { items: items.map(toSummary), next: encodeCursor(last) }
    : { items: items.map(toSummary) };
}
