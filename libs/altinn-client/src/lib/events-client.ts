import type { SubscriptionRequest } from '@broker-events/contracts';
import { AuthorizedHttp, type AuthorizedHttpOptions } from './authorized-http';
import { AltinnApiError } from './errors';
import { joinUrl, readText } from './http';

/** A subscription as Altinn Events returns it (null fields are left out by Altinn). */
export interface Subscription {
  id: number;
  endPoint: string;
  resourceFilter?: string;
  subjectFilter?: string;
  typeFilter?: string;
  sourceFilter?: string;
  alternativeSubjectFilter?: string;
  includeSubunits?: boolean;
  consumer?: string;
  createdBy?: string;
  /** UTC creation time (RFC 3339). */
  created?: string;
  /** False until the endpoint answered the validation handshake with 2xx; no events are pushed before. */
  validated: boolean;
}

export interface EventsQuery {
  /** `urn:altinn:resource:<id>` (required by Altinn). */
  resource: string;
  /** The id of the last event already read; `"0"` the first time. */
  after: string;
  subject?: string;
  /** Exact types (repeatable). */
  types?: readonly string[];
  /** 1..1000 (Altinn clamps; default 50). */
  size?: number;
}

export interface EventsPage {
  /** The events exactly as received: validate them before use. */
  events: unknown[];
  /** The `next` header, when Altinn sent one. */
  next?: string;
}

export const MAX_EVENTS_PAGE_SIZE = 1000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a Subscription body; throws `invalid-response` naming the first bad field. */
export function parseSubscription(value: unknown, operation: string): Subscription {
  if (!isRecord(value))
    throw new AltinnApiError('invalid-response', operation, 'the subscription is not a JSON object');
  const id = value['id'];
  const endPoint = value['endPoint'] ?? value['endpoint'];
  if (typeof id !== 'number' || !Number.isInteger(id))
    throw new AltinnApiError('invalid-response', operation, 'the subscription has no integer id');
  if (typeof endPoint !== 'string')
    throw new AltinnApiError('invalid-response', operation, `subscription ${id} has no endPoint`);
  const out: Subscription = { id, endPoint, validated: value['validated'] === true };
  for (const key of [
    'resourceFilter',
    'subjectFilter',
    'typeFilter',
    'sourceFilter',
    'alternativeSubjectFilter',
    'consumer',
    'createdBy',
    'created',
  ] as const) {
    const v = value[key];
    if (typeof v === 'string') out[key] = v;
  }
  if (typeof value['includeSubunits'] === 'boolean') out.includeSubunits = value['includeSubunits'];
  return out;
}

/**
 * Altinn Events: generic subscriptions and `GET /events` polling (docs/altinn.md, section 6). Needs an Altinn token
 * with scope `altinn:events.subscribe`.
 */
export class EventsClient {
  private readonly http: AuthorizedHttp;
  private readonly origin: string;

  /** `eventsApi` is `{platform}/events/api/v1`. */
  constructor(
    private readonly eventsApi: string,
    options: AuthorizedHttpOptions,
  ) {
    this.http = new AuthorizedHttp(options);
    this.origin = new URL(eventsApi).origin;
  }

  /** POST /subscriptions. Altinn answers an identical existing subscription with that one (and re-sends the handshake). */
  async createSubscription(request: SubscriptionRequest): Promise<Subscription> {
    const operation = 'events.createSubscription';
    const body = await this.http.json(joinUrl(this.eventsApi, 'subscriptions'), {
      operation,
      method: 'POST',
      accept: 'application/json',
      contentType: 'application/json',
      body: JSON.stringify(request),
    });
    return parseSubscription(body, operation);
  }

  /** Every subscription whose consumer is us, validated or not. */
  async listSubscriptions(): Promise<Subscription[]> {
    const operation = 'events.listSubscriptions';
    const body = await this.http.json(joinUrl(this.eventsApi, 'subscriptions'), {
      operation,
      accept: 'application/json',
    });
    const list = isRecord(body) ? body['subscriptions'] : undefined;
    if (!Array.isArray(list))
      throw new AltinnApiError('invalid-response', operation, 'the answer has no subscriptions array');
    return list.map((s) => parseSubscription(s, operation));
  }

  async getSubscription(id: number): Promise<Subscription> {
    const operation = 'events.getSubscription';
    const body = await this.http.json(
      joinUrl(this.eventsApi, `subscriptions/${encodeURIComponent(String(id))}`),
      {
        operation,
        accept: 'application/json',
      },
    );
    return parseSubscription(body, operation);
  }

  /** DELETE (Altinn answers 200). Altinn may keep pushing for up to an hour (its subscription cache). */
  async deleteSubscription(id: number): Promise<void> {
    const operation = 'events.deleteSubscription';
    const call = await this.http.call(
      joinUrl(this.eventsApi, `subscriptions/${encodeURIComponent(String(id))}`),
      {
        operation,
        method: 'DELETE',
        accept: 'application/json',
      },
    );
    await readText(call, operation, this.http.timeoutMs);
  }

  /** The URL of `GET /events` for a query. */
  eventsUrl(query: EventsQuery): string {
    const params = new URLSearchParams({ resource: query.resource, after: query.after });
    if (query.subject !== undefined) params.set('subject', query.subject);
    for (const type of query.types ?? []) params.append('type', type);
    if (query.size !== undefined)
      params.set('size', String(Math.min(MAX_EVENTS_PAGE_SIZE, Math.max(1, Math.floor(query.size)))));
    return `${joinUrl(this.eventsApi, 'events')}?${params.toString()}`;
  }

  /** One page of `GET /events`. Events registered in the last 30 s are never included (Altinn's consistency window). */
  getEvents(query: EventsQuery): Promise<EventsPage> {
    return this.getEventsAt(this.eventsUrl(query));
  }

  /** One page from a full URL, e.g. a previous page's `next`. Only URLs on the Events API's origin are followed. */
  async getEventsAt(url: string): Promise<EventsPage> {
    const operation = 'events.getEvents';
    if (new URL(url).origin !== this.origin) {
      throw new AltinnApiError(
        'invalid-response',
        operation,
        `refusing to send our token to ${new URL(url).origin}`,
      );
    }
    const call = await this.http.call(url, {
      operation,
      accept: 'application/cloudevents+json, application/json',
    });
    const next = call.response.headers.get('next') ?? undefined;
    const text = await readText(call, operation, this.http.timeoutMs);
    let body: unknown;
    try {
      body = text.trim().length === 0 ? [] : JSON.parse(text);
    } catch {
      throw new AltinnApiError('invalid-response', operation, 'the body is not JSON');
    }
    if (!Array.isArray(body))
      throw new AltinnApiError('invalid-response', operation, 'the body is not a JSON array of events');
    return { events: body as unknown[], next: next && next.length > 0 ? next : undefined };
  }

  /**
   * Every page from `query.after` on, until a page comes back empty (caught up) or `maxPages` were read. Follows
   * the `next` header when it points at the Events API we were configured with; otherwise (no `next`, or one on
   * another host, e.g. behind a proxy) it continues with `after=<id of the page's last event>`, as Altinn's own
   * advice is to keep that cursor ourselves.
   */
  async *pages(query: EventsQuery, maxPages = Number.POSITIVE_INFINITY): AsyncGenerator<EventsPage> {
    let url: string | undefined = this.eventsUrl(query);
    for (let n = 0; url !== undefined && n < maxPages; n++) {
      const page = await this.getEventsAt(url);
      yield page;
      if (page.events.length === 0) return;
      const last = page.events[page.events.length - 1];
      const lastId =
        typeof last === 'object' && last !== null ? (last as Record<string, unknown>)['id'] : undefined;
      if (page.next !== undefined && this.sameOrigin(page.next)) url = page.next;
      else
        url =
          typeof lastId === 'string' && lastId.length > 0
            ? this.eventsUrl({ ...query, after: lastId })
            : undefined;
    }
  }

  private sameOrigin(url: string): boolean {
    try {
      return new URL(url).origin === this.origin;
    } catch {
      return false;
    }
  }
}
