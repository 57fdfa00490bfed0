import type {
  AttentionReport,
  DeliveryReport,
  TransferPage,
  TransferSummary,
  TransferTimeline,
} from '@broker-events/contracts';

/** Query of GET /archive/transfers (all optional; from/to RFC 3339). */
export interface TransferQuery {
  fileTransferId?: string;
  org?: string;
  resource?: string;
  type?: string;
  from?: string;
  to?: string;
  after?: string;
  limit?: number;
}

/** What the live feed needs of an archived event (GET /archive/events?on=received). */
export interface ReceivedEvent {
  source: string;
  id: string;
  type: string;
  time: string | null;
  subject: string | null;
  resource: string | null;
  fileTransferId: string | null;
  receivedAt: string;
}

export class ArchiveError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ArchiveError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

function summaryOk(v: unknown): v is TransferSummary {
  return (
    isObject(v) &&
    isStr(v['fileTransferId']) &&
    Array.isArray(v['organisations']) &&
    isStrOrNull(v['lastTime'] ?? null) &&
    isObject(v['state']) &&
    isStr(v['state']['phase']) &&
    Array.isArray(v['state']['recipients']) &&
    Array.isArray(v['state']['confirmed'])
  );
}

function reportOk(v: unknown): v is DeliveryReport {
  return isObject(v) && isStr(v['consumer']) && isStr(v['eventId']) && isStr(v['outcome']) && isStr(v['at']);
}

/** The archive's read API (CONSOLE-CONTRACT): transfers, one transfer's timeline, what needs attention, events. */
export class ArchiveClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  private async get(
    path: string,
    params: Record<string, string | number | undefined> = {},
  ): Promise<unknown> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(params))
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await fetch(url, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: 'application/json' },
      });
    } catch (error) {
      throw new ArchiveError(error instanceof Error ? error.message : String(error));
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as unknown;
        if (isObject(body)) {
          const d = body['detail'] ?? body['message'] ?? body['title'];
          if (d !== undefined) detail = Array.isArray(d) ? d.join('; ') : String(d);
        }
      } catch {
        // not JSON: keep the text
      }
      throw new ArchiveError(`${res.status} ${detail}`.trim(), res.status);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ArchiveError('the archive answered with something that is not JSON');
    }
  }

  async transfers(q: TransferQuery): Promise<TransferPage> {
    const body = await this.get('archive/transfers', { ...q });
    if (!isObject(body) || !Array.isArray(body['items']) || !body['items'].every(summaryOk))
      throw new ArchiveError('unexpected answer from GET /archive/transfers');
    const next = body['next'];
    return { items: body['items'], ...(isStr(next) ? { next } : {}) };
  }

  /** undefined when the archive knows no such transfer (404). */
  async timeline(fileTransferId: string): Promise<TransferTimeline | undefined> {
    let body: unknown;
    try {
      body = await this.get(`archive/transfers/${encodeURIComponent(fileTransferId)}`);
    } catch (error) {
      if (error instanceof ArchiveError && error.status === 404) return undefined;
      throw error;
    }
    if (
      !isObject(body) ||
      !summaryOk(body['transfer']) ||
      !Array.isArray(body['events']) ||
      !body['events'].every(
        (e) =>
          isObject(e) &&
          isStr(e['type']) &&
          isStr(e['receivedAt']) &&
          Array.isArray(e['deliveries']) &&
          e['deliveries'].every(reportOk),
      )
    )
      throw new ArchiveError('unexpected answer from GET /archive/transfers/:id');
    return body as unknown as TransferTimeline;
  }

  async attention(unconfirmedAfter: number, quietAfter: number): Promise<AttentionReport> {
    const body = await this.get('archive/attention', { unconfirmedAfter, quietAfter });
    if (
      !isObject(body) ||
      !Array.isArray(body['unconfirmed']) ||
      !body['unconfirmed'].every(summaryOk) ||
      !Array.isArray(body['uploadFailed']) ||
      !body['uploadFailed'].every(summaryOk) ||
      !Array.isArray(body['deadLettered']) ||
      !body['deadLettered'].every(reportOk) ||
      !Array.isArray(body['quietResources'])
    )
      throw new ArchiveError('unexpected answer from GET /archive/attention');
    return body as unknown as AttentionReport;
  }

  /** Events the archive received in [from, to), oldest first. */
  async receivedBetween(from: Date, to: Date, limit: number): Promise<ReceivedEvent[]> {
    const body = await this.get('archive/events', {
      on: 'received',
      from: from.toISOString(),
      to: to.toISOString(),
      limit,
    });
    if (!isObject(body) || !Array.isArray(body['events']))
      throw new ArchiveError('unexpected answer from GET /archive/events');
    return body['events'].filter(isObject).flatMap((e): ReceivedEvent[] =>
      isStr(e['source']) && isStr(e['id']) && isStr(e['type']) && isStr(e['receivedAt'])
        ? [
            {
              source: e['source'],
              id: e['id'],
              type: e['type'],
              time: isStr(e['time']) ? e['time'] : null,
              subject: isStr(e['subject']) ? e['subject'] : null,
              resource: isStr(e['resource']) ? e['resource'] : null,
              fileTransferId: isStr(e['resourceinstance']) ? e['resourceinstance'] : null,
              receivedAt: e['receivedAt'],
            },
          ]
        : [],
    );
  }

  /** The latest delivery reports (GET /archive/deliveries), newest first. */
  async deliveries(limit: number): Promise<DeliveryReport[]> {
    const body = await this.get('archive/deliveries', { limit });
    if (!Array.isArray(body) || !body.every(reportOk))
      throw new ArchiveError('unexpected answer from GET /archive/deliveries');
    return body;
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(
        new URL('health/live', this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`),
        {
          signal: AbortSignal.timeout(this.timeoutMs),
        },
      );
      return res.ok;
    } catch {
      return false;
    }
  }
}
