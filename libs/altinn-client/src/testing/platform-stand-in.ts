import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ALTINN_URN_PATTERN,
  RESOURCE_URN_PREFIX,
  VALIDATE_SUBSCRIPTION_TYPE,
} from '@broker-events/contracts';
import type { FileTransferStatus, RecipientFileTransferStatus } from '../lib/broker-client';
import type { Subscription } from '../lib/events-client';
import type { MaskinportenStandIn } from './maskinporten-stand-in';
import {
  type Clock,
  StandInServer,
  bearer,
  issueHs256,
  json,
  problem,
  readBody,
  verifyHs256,
} from './stand-in-server';

const SCOPE_EVENTS = 'altinn:events.subscribe';
const SCOPE_BROKER_READ = 'altinn:broker.read';
const SCOPE_BROKER_WRITE = 'altinn:broker.write';
/** GET /events leaves out events registered in the last 30 seconds (EV's consistency window). */
export const EVENTS_CONSISTENCY_WINDOW_MS = 30_000;
/**
 * Altinn Events' webhook retry schedule: the delays after each failed push (EV `OutboundQueuePolicy`: a 10 s
 * cooldown, then 30 s … 12 h), 12 attempts over about 1.5 days; after the last failure the event is dropped for
 * that subscriber and nothing tells it.
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000,
  43_200_000,
];
/** The validation handshake's retry schedule (EV `ValidationQueuePolicy`): 1 s, 5 s, 10 s, 30 s, 1 m, 2 m × 3. */
export const HANDSHAKE_RETRY_DELAYS_MS: readonly number[] = [
  1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 120_000, 120_000,
];
/** How long Events waits for a push to be answered (EV `EventsOutboundSettings.RequestTimeout`). */
export const WEBHOOK_TIMEOUT_MS = 45_000;

export interface PlatformStandInOptions {
  clock?: Clock;
  /** Verifies Maskinporten tokens at the exchange. Without it only {@link AltinnPlatformStandIn.issueAltinnToken} tokens work. */
  maskinporten?: MaskinportenStandIn;
  /**
   * Lifetime of exchanged Altinn tokens, seconds. Default: the exchanged Maskinporten token's own remaining
   * lifetime (Maskinporten issues 120 s by default), so tokens are short-lived as they are in TT02, not 30 min.
   * Tokens made with {@link AltinnPlatformStandIn.issueAltinnToken} default to 1800.
   */
  altinnTokenLifetimeSeconds?: number;
  /** Wrap the exchanged token in quotes, as Altinn sometimes does. Default true. */
  quoteExchangedTokens?: boolean;
  /**
   * The validation handshake: `post` (default, as Altinn does) POSTs `platform.events.validatesubscription` to
   * the endpoint, mapped by `deliverTo` since tests cannot listen on a public https URL. The stand-in only ever
   * calls loopback addresses: an endpoint that maps to anything else is recorded as a failed attempt, so the
   * subscription stays unvalidated, as it would when Altinn cannot reach it. `auto` marks it validated without
   * a call (a shortcut for tests that are not about the handshake), `never` leaves it unvalidated.
   */
  handshake?: 'post' | 'auto' | 'never';
  deliverTo?: (endPoint: string) => string;
  /** Delays between handshake attempts; after the last failure the subscription stays unvalidated. */
  handshakeRetryDelaysMs?: number[];
  /**
   * What GET /events puts in `next`: `self` (default, this server's URL), `none` (leave it out, as the code does on
   * an empty page and the docs say it never does), or another base URL (Altinn behind a proxy, say). Written as
   * Altinn's EventsController writes it: `{base}{path}?after=<last id>` followed by every other query parameter
   * as received, values not re-encoded.
   */
  nextHeader?: 'self' | 'none' | string;
  /**
   * Which events a caller may read from GET /events (Altinn's XACML check for action `subscribe`). Default: the
   * events whose subject is the caller's own organisation, on resources it has not lost access to.
   */
  mayRead?: (organisationNumber: string, event: Record<string, unknown>) => boolean;
  /**
   * Delays between failed webhook pushes (default {@link WEBHOOK_RETRY_DELAYS_MS}, Altinn's ≈1.5-day schedule);
   * after the last failure the event is given up for that subscription.
   */
  webhookRetryDelaysMs?: readonly number[];
  /** How long a push may take before it counts as failed (default 45 s). */
  webhookTimeoutMs?: number;
  /** GET /events leaves out events registered this recently (default 30 s, Altinn's consistency window). */
  consistencyWindowMs?: number;
  /**
   * The `source` of the events Broker publishes (default `<this server>/broker/api/v1/filetransfer`, as Broker
   * writes `{PlatformGatewayUrl}broker/api/v1/filetransfer`).
   */
  brokerEventSource?: string;
  /** How long an upload stays `UploadProcessing` (checksum, virus scan) before it is `Published`. Default 0. */
  uploadProcessingMs?: number;
  /** Largest upload accepted, bytes (default 100 MiB). */
  maxUploadBytes?: number;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
}

/** One webhook push attempt. */
export interface WebhookAttempt {
  /** When the attempt was made (RFC 3339). */
  at: string;
  status?: number;
  error?: string;
}

/** How the pushes of one event to one subscription went. */
export interface WebhookDelivery {
  subscriptionId: number;
  eventId: string;
  type: string;
  resourceinstance?: string;
  subject?: string;
  /** The URL actually called (after `deliverTo`). */
  url: string;
  /** `delivered` after a 2xx, `retrying` while attempts remain, `given-up` after the last failure. */
  state: 'pending' | 'delivered' | 'retrying' | 'given-up';
  attempts: WebhookAttempt[];
  /** When the next attempt is due (RFC 3339), while `retrying`. */
  nextAttemptAt?: string;
}

interface StoredEvent {
  seq: number;
  event: Record<string, unknown>;
  registeredAt: number;
}

interface StoredSubscription extends Subscription {
  consumer: string;
  createdBy: string;
  created: string;
}

export interface FileTransferSpec {
  fileTransferId?: string;
  resourceId: string;
  /** Sender's organisation number. */
  sender: string;
  /** Recipients' organisation numbers. */
  recipients: string[];
  content: Buffer;
  fileName?: string;
  /** MD5 hex; default: computed from `content`. `null`: the sender gave none. */
  checksum?: string | null;
  status?: FileTransferStatus;
  created?: Date;
  /** When the transfer reached `status` (what Broker's list orders by). Default: `created`. */
  statusChanged?: Date;
  /** Serve these bytes instead of `content` (a corrupted download). */
  servedContent?: Buffer;
  /** Send this many bytes, then stall until the client gives up. */
  stallAfterBytes?: number;
  /** How many downloads stall (default: every one); later ones are served whole. */
  stallCount?: number;
}

interface StoredTransfer {
  id: string;
  spec: FileTransferSpec;
  status: FileTransferStatus;
  created: Date;
  statusChanged: Date;
  recipientStatus: Map<string, RecipientFileTransferStatus>;
  downloads: number;
  confirms: number;
  stalled: number;
}

export interface HandshakeRecord {
  subscriptionId: number;
  url: string;
  status?: number;
  error?: string;
}

interface Caller {
  organisationNumber: string;
  scopes: string[];
  /** The Events `consumer` we derive from the token: `/organisation/<orgnr>`. */
  consumer: string;
}

/** Broker's answer when the caller has no right on the resource or the transfer (BR `Errors.NoAccessToResource`). */
export const BROKER_NO_ACCESS_DETAIL =
  'You must use a bearer token that represents a system user with access to the resource in the Resource Rights Registry';

function bareResourceId(resource: string): string {
  return resource.startsWith(RESOURCE_URN_PREFIX) ? resource.slice(RESOURCE_URN_PREFIX.length) : resource;
}

function isLoopback(target: string): boolean {
  try {
    const host = new URL(target).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/** `0192:<orgnr>` or `urn:altinn:organization:identifier-no:<orgnr>` → `<orgnr>`. */
function organisationOf(party: string): string | undefined {
  const m = /^(?:0192:|urn:altinn:organization:identifier-no:)([0-9]{9})$/.exec(party);
  return m ? m[1] : undefined;
}

/**
 * `published`'s stable id (BR `FileTransferPublishService.CreateStablePublishedEventId`): the first 16 bytes of
 * SHA-256 over `published:{fileTransferId}:{Role}:{actor}`, as a GUID.
 */
function stablePublishedId(fileTransferId: string, role: string, organisationNumber: string): string {
  const hex = createHash('sha256')
    .update(`published:${fileTransferId}:${role}:0192:${organisationNumber}`)
    .digest('hex')
    .slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The Altinn platform: the token exchange (`/authentication/api/v1/exchange/maskinporten`), Altinn Events
 * (`/events/api/v1/subscriptions`, `/events/api/v1/events`) and Altinn Broker (`/broker/api/v1/filetransfer`),
 * behaving as the real services do where it matters to a client (docs/altinn.md lists the behaviours), failures
 * included.
 */
export class AltinnPlatformStandIn extends StandInServer {
  readonly secret = randomBytes(32).toString('hex');
  private readonly options: PlatformStandInOptions;
  private readonly subscriptions = new Map<number, StoredSubscription>();
  private nextSubscriptionId = 1001;
  private readonly events: StoredEvent[] = [];
  /** (source, id) of every stored event, and the index of the first stored event with each id: a replay of
   * 100,000 events would otherwise scan them all for every publish and every page. */
  private readonly storedKeys = new Set<string>();
  private readonly indexById = new Map<string, number>();
  private seq = 0;
  private readonly transfers = new Map<string, StoredTransfer>();
  private readonly pendingHandshakes = new Map<number, Promise<void>>();
  /** `<orgnr>|<resourceId>` pairs without a right in the Resource Rights Registry. */
  private readonly revoked = new Set<string>();
  /** Every handshake attempt. */
  readonly handshakes: HandshakeRecord[] = [];
  private readonly deliveries: WebhookDelivery[] = [];
  /** Tokens exchanged so far. */
  exchanged = 0;

  constructor(options: PlatformStandInOptions = {}) {
    super(options.clock);
    this.options = options;
  }

  static async start(options: PlatformStandInOptions = {}): Promise<AltinnPlatformStandIn> {
    return new AltinnPlatformStandIn(options).start(options.port);
  }

  // ---- test controls ----

  /** An Altinn token for `organisationNumber`, as the exchange would issue it. */
  issueAltinnToken(
    organisationNumber: string,
    scopes: string[],
    lifetimeSeconds = this.options.altinnTokenLifetimeSeconds ?? 1800,
  ): string {
    const iat = Math.floor(this.now() / 1000);
    return issueHs256(this.secret, {
      iss: `${this.url}/authentication/api/v1/openid/`,
      'urn:altinn:orgNumber': organisationNumber,
      scope: scopes.join(' '),
      iat,
      exp: iat + lifetimeSeconds,
      jti: randomUUID(),
    });
  }

  /**
   * Stores an event as Broker's publish to Events would (duplicates on (id, source) are stored once).
   * `registeredAt` defaults to now; GET /events returns it only 30 s later.
   */
  publishEvent(event: Record<string, unknown>, registeredAt: Date = new Date(this.now())): void {
    // Storage is deduplicated on (id, source), but the event is queued for outbound either way (EV SaveAndPublish).
    const key = `${String(event['source'])}\n${String(event['id'])}`;
    if (!this.storedKeys.has(key)) {
      this.storedKeys.add(key);
      if (!this.indexById.has(String(event['id'])))
        this.indexById.set(String(event['id']), this.events.length);
      this.events.push({
        seq: ++this.seq,
        event: structuredClone(event),
        registeredAt: registeredAt.getTime(),
      });
    }
    this.pushToSubscribers(structuredClone(event));
  }

  /** Every webhook push so far, one entry per (event, subscription), oldest first. */
  webhookDeliveries(): WebhookDelivery[] {
    return this.deliveries.map((d) => ({ ...d, attempts: d.attempts.map((a) => ({ ...a })) }));
  }

  get storedEventCount(): number {
    return this.events.length;
  }

  /**
   * Takes away `organisationNumber`'s right on a Broker resource (Resource Rights Registry): Broker then answers
   * 401 to every call about it, and GET /events leaves its events out.
   */
  revokeAccess(resourceId: string, organisationNumber: string): void {
    this.revoked.add(`${organisationNumber}|${bareResourceId(resourceId)}`);
  }

  grantAccess(resourceId: string, organisationNumber: string): void {
    this.revoked.delete(`${organisationNumber}|${bareResourceId(resourceId)}`);
  }

  private hasAccess(organisationNumber: string, resourceId: string): boolean {
    return !this.revoked.has(`${organisationNumber}|${bareResourceId(resourceId)}`);
  }

  /** A subscription made directly (one left behind by an earlier deployment, say); validated unless told. */
  addSubscription(
    organisationNumber: string,
    fields: Omit<Subscription, 'id' | 'validated'> & { validated?: boolean },
  ): Subscription {
    const consumer = `/organisation/${organisationNumber}`;
    const sub: StoredSubscription = {
      ...fields,
      id: this.nextSubscriptionId++,
      validated: fields.validated ?? true,
      consumer,
      createdBy: consumer,
      created: new Date(this.now()).toISOString(),
    };
    this.subscriptions.set(sub.id, sub);
    return { ...sub };
  }

  listSubscriptions(): Subscription[] {
    return [...this.subscriptions.values()].map((s) => ({ ...s }));
  }

  /** Resolves when the handshakes of the subscription have finished (validated or given up). */
  async handshakeSettled(subscriptionId: number): Promise<void> {
    await this.pendingHandshakes.get(subscriptionId);
  }

  addFileTransfer(spec: FileTransferSpec): string {
    const id = spec.fileTransferId ?? randomUUID();
    const created = spec.created ?? new Date(this.now());
    this.transfers.set(id, {
      id,
      spec,
      status: spec.status ?? 'Published',
      created,
      statusChanged: spec.statusChanged ?? created,
      recipientStatus: new Map(spec.recipients.map((r) => [r, 'Initialized' as const])),
      downloads: 0,
      confirms: 0,
      stalled: 0,
    });
    return id;
  }

  fileTransfer(id: string): {
    status: FileTransferStatus;
    recipients: Record<string, RecipientFileTransferStatus>;
    downloads: number;
    confirms: number;
  } {
    const t = this.transfers.get(id);
    if (!t) throw new Error(`no file transfer ${id}`);
    return {
      status: t.status,
      recipients: Object.fromEntries(t.recipientStatus),
      downloads: t.downloads,
      confirms: t.confirms,
    };
  }

  // ---- routing ----

  protected async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    if (path === '/authentication/api/v1/exchange/maskinporten' && method === 'GET')
      return this.exchange(req, res);
    if (path.startsWith('/events/api/v1/'))
      return this.eventsApi(req, res, url, path.slice('/events/api/v1/'.length), method);
    if (path.startsWith('/broker/api/v1/filetransfer'))
      return this.brokerApi(req, res, url, path.slice('/broker/api/v1/filetransfer'.length), method);
    problem(res, 404, 'Not Found');
  }

  private caller(req: IncomingMessage, res: ServerResponse): Caller | undefined {
    const token = bearer(req);
    const claims = token ? verifyHs256(this.secret, token, this.now()) : undefined;
    const orgnr = claims?.['urn:altinn:orgNumber'];
    if (!claims || typeof orgnr !== 'string') {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end();
      return undefined;
    }
    const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
    return { organisationNumber: orgnr, scopes, consumer: `/organisation/${orgnr}` };
  }

  // ---- token exchange ----

  private exchange(req: IncomingMessage, res: ServerResponse): void {
    const token = bearer(req);
    const claims = token && this.options.maskinporten ? this.options.maskinporten.verify(token) : undefined;
    const consumer = claims?.['consumer'];
    const id =
      typeof consumer === 'object' && consumer !== null
        ? (consumer as Record<string, unknown>)['ID']
        : undefined;
    if (!claims || typeof id !== 'string') {
      res.writeHead(401);
      res.end();
      return;
    }
    const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] : 0;
    const remaining = Math.max(1, exp - Math.floor(this.now() / 1000));
    const altinn = this.issueAltinnToken(
      id.replace(/^0192:/, ''),
      scopes,
      this.options.altinnTokenLifetimeSeconds ?? remaining,
    );
    this.exchanged++;
    const body = this.options.quoteExchangedTokens === false ? altinn : `"${altinn}"`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  }

  // ---- Events: subscriptions, GET /events ----

  private async eventsApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    rest: string,
    method: string,
  ): Promise<void> {
    const caller = this.caller(req, res);
    if (!caller) return;
    if (rest === 'events' && method === 'GET') return this.getEvents(res, url, caller, req);
    if (rest === 'subscriptions' && method === 'POST') return this.createSubscription(req, res, caller);
    if (rest === 'subscriptions' && method === 'GET') {
      const mine = [...this.subscriptions.values()].filter((s) => s.consumer === caller.consumer);
      return json(res, 200, { count: mine.length, subscriptions: mine });
    }
    const m = /^subscriptions\/([^/]+)$/.exec(rest);
    if (m && (method === 'GET' || method === 'DELETE')) {
      if (!/^\d+$/.test(m[1])) return problem(res, 400, 'Bad Request', 'The id must be an integer.');
      const sub = this.subscriptions.get(Number(m[1]));
      if (!sub) return problem(res, 404, 'Not Found');
      if (sub.createdBy !== caller.consumer) return problem(res, 403, 'Forbidden');
      if (method === 'GET') return json(res, 200, sub);
      this.subscriptions.delete(sub.id);
      res.writeHead(200);
      res.end();
      return;
    }
    problem(res, 404, 'Not Found');
  }

  private async createSubscription(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> {
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse((await readBody(req)).toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      // Altinn binds property names case-insensitively.
      body = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k.toLowerCase(), v]));
    } catch {
      return problem(res, 400, 'Bad Request', 'The request body is not a JSON object.');
    }
    const text = (key: string): string | undefined =>
      typeof body[key] === 'string' ? (body[key] as string) : undefined;
    const endPoint = text('endpoint');
    const resourceFilter = text('resourcefilter');
    let endpointOk = false;
    try {
      endpointOk = endPoint !== undefined && new URL(endPoint).protocol === 'https:';
    } catch {
      endpointOk = false;
    }
    if (!endpointOk)
      return problem(res, 400, 'Bad Request', 'Missing or invalid endpoint to push events towards.');
    if (resourceFilter === undefined) return problem(res, 400, 'Bad Request', 'Resource filter is required.');
    if (!ALTINN_URN_PATTERN.test(resourceFilter))
      return problem(res, 400, 'Bad Request', 'Resource filter must be a valid urn.');
    if (text('sourcefilter') !== undefined)
      return problem(
        res,
        400,
        'Bad Request',
        'Source filter is not supported for subscriptions on this resource.',
      );
    if (text('alternativesubjectfilter') !== undefined) {
      return problem(
        res,
        400,
        'Bad Request',
        'AlternativeSubject filter is not supported for subscriptions on this resource.',
      );
    }
    const includeSubunits = body['includesubunits'] === true;
    const subjectFilter = text('subjectfilter');
    if (includeSubunits && subjectFilter === undefined)
      return problem(res, 400, 'Bad Request', 'IncludeSubunits requires a subject filter.');
    if (!caller.scopes.includes(SCOPE_EVENTS))
      return problem(res, 403, 'Forbidden', `Scope ${SCOPE_EVENTS} is required.`);
    if (
      subjectFilter !== undefined &&
      subjectFilter !== `urn:altinn:organization:identifier-no:${caller.organisationNumber}`
    ) {
      return problem(
        res,
        403,
        'Forbidden',
        `Not authorized to create a subscription for resource ${resourceFilter} and subject ${subjectFilter}.`,
      );
    }
    const typeFilter = text('typefilter');
    const existing = [...this.subscriptions.values()].find(
      (s) =>
        s.consumer === caller.consumer &&
        s.endPoint === endPoint &&
        s.resourceFilter === resourceFilter &&
        s.subjectFilter === subjectFilter &&
        s.typeFilter === typeFilter &&
        (s.includeSubunits ?? false) === includeSubunits,
    );
    const sub: StoredSubscription = existing ?? {
      id: this.nextSubscriptionId++,
      endPoint: endPoint as string,
      resourceFilter,
      ...(subjectFilter !== undefined ? { subjectFilter } : {}),
      ...(typeFilter !== undefined ? { typeFilter } : {}),
      includeSubunits,
      consumer: caller.consumer,
      createdBy: caller.consumer,
      created: new Date(this.now()).toISOString(),
      validated: false,
    };
    this.subscriptions.set(sub.id, sub);
    res.setHeader('location', `/events/api/v1/subscription/${sub.id}`);
    json(res, 201, sub);
    // The handshake is (re-)sent on every create, identical re-POSTs included.
    this.startHandshake(sub);
  }

  private startHandshake(sub: StoredSubscription): void {
    const mode = this.options.handshake ?? 'post';
    if (mode === 'never') return;
    if (mode === 'auto') {
      const done = new Promise<void>((resolve) =>
        setImmediate(() => {
          sub.validated = true;
          resolve();
        }),
      );
      this.pendingHandshakes.set(sub.id, done);
      return;
    }
    const target = this.options.deliverTo ? this.options.deliverTo(sub.endPoint) : sub.endPoint;
    const delays = this.options.handshakeRetryDelaysMs ?? [10, 20, 40];
    const run = async (): Promise<void> => {
      for (let attempt = 0; attempt <= delays.length; attempt++) {
        if (!this.subscriptions.has(sub.id)) return;
        const record: HandshakeRecord = { subscriptionId: sub.id, url: target };
        this.handshakes.push(record);
        if (!isLoopback(target)) {
          // Tests never reach beyond loopback: to the subscriber this looks like Altinn failing to reach it.
          record.error = `not called: ${target} is not a loopback address (map it with deliverTo)`;
          if (attempt < delays.length) await this.sleep(delays[attempt]);
          continue;
        }
        try {
          const r = await fetch(target, {
            method: 'POST',
            headers: { 'content-type': 'application/json; charset=utf-8' },
            body: JSON.stringify({
              specversion: '1.0',
              id: randomUUID(),
              source: `https://platform.altinn.no/events/api/v1/subscriptions/${sub.id}`,
              type: VALIDATE_SUBSCRIPTION_TYPE,
            }),
            signal: AbortSignal.timeout(5000),
          });
          record.status = r.status;
          await r.arrayBuffer();
          if (r.ok) {
            sub.validated = true;
            return;
          }
        } catch (error) {
          record.error = error instanceof Error ? error.message : String(error);
        }
        if (attempt < delays.length) await this.sleep(delays[attempt]);
      }
    };
    const previous = this.pendingHandshakes.get(sub.id) ?? Promise.resolve();
    this.pendingHandshakes.set(sub.id, previous.then(run));
  }

  private getEvents(res: ServerResponse, url: URL, caller: Caller, req: IncomingMessage): void {
    if (!caller.scopes.includes(SCOPE_EVENTS)) return problem(res, 403, 'Forbidden');
    const q = url.searchParams;
    const resource = q.get('resource');
    const after = q.get('after');
    if (!resource || !resource.startsWith('urn:altinn:resource:')) {
      return problem(res, 400, 'Bad Request', 'Resource must be a valid urn:altinn:resource.');
    }
    if (after === null || after.length === 0)
      return problem(res, 400, 'Bad Request', "The 'after' parameter must be defined.");
    const rawSize = q.get('size');
    if (rawSize !== null && !/^-?\d+$/.test(rawSize))
      return problem(res, 400, 'Bad Request', 'Size must be an integer.');
    const size = Math.min(1000, Math.max(1, rawSize === null ? 50 : Number(rawSize)));
    const subject = q.get('subject');
    if (subject !== null && req.headers['altinn-alternativesubject'] !== undefined) {
      return problem(
        res,
        400,
        'Bad Request',
        'Subject and Altinn-AlternativeSubject are mutually exclusive.',
      );
    }
    const types = q
      .getAll('type')
      .map((t) => new RegExp(`^${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*')}$`));
    const startIndex = this.indexById.get(after);
    const cutoff = this.now() - (this.options.consistencyWindowMs ?? EVENTS_CONSISTENCY_WINDOW_MS);
    // As EV's EventsService.GetEvents: the query takes `size` rows, *then* authorization drops the ones the
    // caller may not read, so a page of only others' events comes back empty although readable ones follow.
    const mayRead =
      this.options.mayRead ??
      ((orgnr: string, event: Record<string, unknown>) =>
        event['subject'] === `urn:altinn:organization:identifier-no:${orgnr}` &&
        this.hasAccess(orgnr, String(event['resource'] ?? '')));
    // Events are stored in seq order: start after `after` (from the first one when unknown), stop at `size`.
    const rows: StoredEvent[] = [];
    for (
      let i = startIndex === undefined ? 0 : startIndex + 1;
      i < this.events.length && rows.length < size;
      i++
    ) {
      const e = this.events[i];
      if (
        e.registeredAt <= cutoff &&
        e.event['resource'] === resource &&
        (subject === null || e.event['subject'] === subject) &&
        (types.length === 0 || types.some((t) => t.test(String(e.event['type']))))
      )
        rows.push(e);
    }
    const page = rows.filter((e) => mayRead(caller.organisationNumber, e.event));
    const headers: Record<string, string> = { 'content-type': 'application/cloudevents+json; charset=utf-8' };
    const nextMode = this.options.nextHeader ?? 'self';
    if (page.length > 0 && nextMode !== 'none') {
      // EV's SetNextLink: base + path + `?after=<last id>`, then the other parameters as received, unencoded.
      const rest = [...q.entries()].filter(([k]) => k !== 'after').map(([k, v]) => `&${k}=${v}`);
      headers['next'] =
        `${nextMode === 'self' ? this.url : nextMode}${url.pathname}?after=${String(page[page.length - 1].event['id'])}${rest.join('')}`;
    }
    const body = JSON.stringify(page.map((e) => e.event));
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  // ---- Broker ----

  /** Broker's AcceptHeaderValidationMiddleware on [Produces("application/json")] endpoints. */
  private acceptsJson(req: IncomingMessage, res: ServerResponse): boolean {
    const accept = req.headers.accept;
    if (accept === undefined || accept.includes('application/json') || accept.includes('*/*')) return true;
    problem(res, 406, 'Not Acceptable', 'The Accept header must allow application/json.');
    return false;
  }

  private async brokerApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    rest: string,
    method: string,
  ): Promise<void> {
    if (rest === '' && method === 'GET') {
      if (!this.acceptsJson(req, res)) return;
      const caller = this.caller(req, res);
      if (!caller) return;
      return this.listTransfers(res, url, caller);
    }
    if (rest === '' && method === 'POST') {
      if (!this.acceptsJson(req, res)) return;
      const caller = this.caller(req, res);
      if (!caller) return;
      return this.initialize(req, res, caller);
    }
    const m = /^\/([^/]+)(\/download|\/confirmdownload|\/details|\/upload)?$/.exec(rest);
    if (!m) return problem(res, 404, 'Not Found');
    const [, id, action] = m;
    if (action === '/upload') {
      if (method !== 'POST') return problem(res, 405, 'Method Not Allowed');
      const caller = this.caller(req, res);
      if (!caller) return;
      return this.upload(req, res, id, caller);
    }
    const json406 = action === undefined || action === '/details';
    if (json406 && !this.acceptsJson(req, res)) return;
    const caller = this.caller(req, res);
    if (!caller) return;
    const hasRead = caller.scopes.includes(SCOPE_BROKER_READ);
    if (!hasRead && !(json406 && caller.scopes.includes(SCOPE_BROKER_WRITE))) {
      return problem(res, 403, 'Forbidden', 'The token lacks the required scope.');
    }
    const transfer = this.transfers.get(id);
    if (!transfer) return problem(res, 404, 'Not Found', 'The requested file transfer was not found.');
    const party =
      transfer.spec.sender === caller.organisationNumber ||
      transfer.recipientStatus.has(caller.organisationNumber);
    // Broker answers 401, not 403/404, when the caller is no party or has no right on the resource.
    if (!party || !this.hasAccess(caller.organisationNumber, transfer.spec.resourceId))
      return problem(res, 401, 'Unauthorized', BROKER_NO_ACCESS_DETAIL);
    if (action === undefined && method === 'GET') return json(res, 200, this.overview(transfer));
    const isRecipient = transfer.recipientStatus.has(caller.organisationNumber);
    if (action === '/download' && method === 'GET')
      return this.download(req, res, transfer, caller, isRecipient);
    if (action === '/confirmdownload' && method === 'POST') {
      if (!isRecipient) return problem(res, 401, 'Unauthorized', BROKER_NO_ACCESS_DETAIL);
      const current = transfer.recipientStatus.get(caller.organisationNumber);
      if (current === 'Initialized') {
        return problem(res, 400, 'Bad Request', 'Cannot confirm before the files have been downloaded');
      }
      // Once every recipient confirmed, a further confirm (a second replica, a retry) is refused.
      if (transfer.status === 'AllConfirmedDownloaded') {
        return problem(res, 400, 'Bad Request', 'The file transfer has already been confirmed downloaded');
      }
      transfer.confirms++;
      const first = current !== 'DownloadConfirmed';
      transfer.recipientStatus.set(caller.organisationNumber, 'DownloadConfirmed');
      // BR ConfirmDownloadHandler: downloadconfirmed to the recipient and the sender, then allconfirmeddownloaded.
      if (first) {
        this.brokerEvent(transfer, 'downloadconfirmed', caller.organisationNumber, 'Recipient');
        this.brokerEvent(transfer, 'downloadconfirmed', transfer.spec.sender, 'Sender');
      }
      if ([...transfer.recipientStatus.values()].every((s) => s === 'DownloadConfirmed')) {
        transfer.status = 'AllConfirmedDownloaded';
        transfer.statusChanged = new Date(this.now());
        this.brokerEvent(transfer, 'allconfirmeddownloaded', transfer.spec.sender, 'Sender');
      }
      res.writeHead(204);
      res.end();
      return;
    }
    problem(res, 405, 'Method Not Allowed');
  }

  // ---- Broker: the sender's side (initialize, upload) and the events Broker publishes ----

  private async initialize(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> {
    if (!caller.scopes.includes(SCOPE_BROKER_WRITE))
      return problem(res, 403, 'Forbidden', 'The token lacks the required scope.');
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse((await readBody(req)).toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return problem(res, 400, 'Bad Request', 'The request body is not a JSON object.');
    }
    const errors: string[] = [];
    const text = (key: string): string | undefined =>
      typeof body[key] === 'string' && (body[key] as string).length > 0 ? (body[key] as string) : undefined;
    const fileName = text('fileName');
    const resourceId = text('resourceId');
    const sender = text('sender');
    const recipients = Array.isArray(body['recipients']) ? body['recipients'] : undefined;
    if (fileName === undefined) errors.push('The FileName field is required.');
    if (resourceId === undefined) errors.push('The ResourceId field is required.');
    const senderOrg = sender === undefined ? undefined : organisationOf(sender);
    if (senderOrg === undefined)
      errors.push('Sender must be an organisation number on the form 0192:<orgnr> or the organisation URN.');
    const recipientOrgs = (recipients ?? []).map((r) =>
      typeof r === 'string' ? organisationOf(r) : undefined,
    );
    if (recipients === undefined || recipients.length === 0 || recipientOrgs.some((r) => r === undefined))
      errors.push(
        'Recipients must be organisation numbers on the form 0192:<orgnr> or the organisation URN.',
      );
    const checksum = body['checksum'];
    if (
      checksum !== undefined &&
      checksum !== null &&
      (typeof checksum !== 'string' || !/^[0-9a-f]{32}$/i.test(checksum))
    )
      errors.push('The checksum, if used, must be a MD5 hash in hexadecimal.');
    if (errors.length > 0) return problem(res, 400, 'Bad Request', errors.join(' '));
    // Only the sender's own token may initialize on its behalf, on a resource it has a right on.
    if (
      senderOrg !== caller.organisationNumber ||
      !this.hasAccess(caller.organisationNumber, resourceId as string)
    )
      return problem(res, 401, 'Unauthorized', BROKER_NO_ACCESS_DETAIL);
    const id = this.addFileTransfer({
      resourceId: resourceId as string,
      sender: senderOrg,
      recipients: [...new Set(recipientOrgs as string[])],
      content: Buffer.alloc(0),
      fileName,
      checksum: typeof checksum === 'string' ? checksum.toLowerCase() : null,
      status: 'Initialized',
    });
    const transfer = this.transfers.get(id) as StoredTransfer;
    this.brokerEvent(transfer, 'filetransferinitialized', senderOrg, 'Sender');
    json(res, 200, { fileTransferId: id });
  }

  private async upload(req: IncomingMessage, res: ServerResponse, id: string, caller: Caller): Promise<void> {
    if (!caller.scopes.includes(SCOPE_BROKER_WRITE))
      return problem(res, 403, 'Forbidden', 'The token lacks the required scope.');
    const transfer = this.transfers.get(id);
    if (!transfer) return problem(res, 404, 'Not Found', 'The requested file transfer was not found.');
    if (
      transfer.spec.sender !== caller.organisationNumber ||
      !this.hasAccess(caller.organisationNumber, transfer.spec.resourceId)
    )
      return problem(res, 401, 'Unauthorized', BROKER_NO_ACCESS_DETAIL);
    if (transfer.status !== 'Initialized')
      return problem(
        res,
        409,
        'Conflict',
        'A file has already been or is being uploaded to this file transfer.',
      );
    let content: Buffer;
    try {
      content = await readBody(req, this.options.maxUploadBytes ?? 100 * 1024 * 1024);
    } catch {
      return problem(res, 413, 'Payload Too Large', 'The file is larger than this Broker accepts.');
    }
    transfer.spec = { ...transfer.spec, content };
    const checksum = transfer.spec.checksum;
    if (typeof checksum === 'string' && createHash('md5').update(content).digest('hex') !== checksum) {
      this.setStatus(transfer, 'Failed');
      this.brokerEvent(transfer, 'uploadfailed', transfer.spec.sender, 'Sender');
      return problem(
        res,
        400,
        'Bad Request',
        'The checksum of the uploaded file does not match the checksum given at initialize.',
      );
    }
    this.setStatus(transfer, 'UploadProcessing');
    this.brokerEvent(transfer, 'uploadprocessing', transfer.spec.sender, 'Sender');
    json(res, 200, { fileTransferId: id });
    // Checksum and virus scan done: published to the sender and to each recipient (BR FileTransferPublishService).
    void this.sleep(this.options.uploadProcessingMs ?? 0).then(() => {
      if (transfer.status !== 'UploadProcessing') return;
      this.setStatus(transfer, 'Published');
      this.brokerEvent(
        transfer,
        'published',
        transfer.spec.sender,
        'Sender',
        stablePublishedId(id, 'Sender', transfer.spec.sender),
      );
      for (const recipient of transfer.recipientStatus.keys())
        this.brokerEvent(
          transfer,
          'published',
          recipient,
          'Recipient',
          stablePublishedId(id, 'Recipient', recipient),
        );
    });
  }

  private setStatus(transfer: StoredTransfer, status: FileTransferStatus): void {
    transfer.status = status;
    transfer.statusChanged = new Date(this.now());
  }

  /** Publishes one of Broker's events to Events, shaped as BR `AltinnEventBus.CreateCloudEvent` does. */
  private brokerEvent(
    transfer: StoredTransfer,
    type: string,
    party: string,
    role: 'Sender' | 'Recipient',
    id: string = randomUUID(),
  ): void {
    this.publishEvent({
      specversion: '1.0',
      id,
      type: `no.altinn.broker.${type}`,
      time: new Date(this.now()).toISOString(),
      resource: `${RESOURCE_URN_PREFIX}${bareResourceId(transfer.spec.resourceId)}`,
      resourceinstance: transfer.id,
      source: this.options.brokerEventSource ?? `${this.url}/broker/api/v1/filetransfer`,
      subject: `urn:altinn:organization:identifier-no:${party}`,
      data: { Role: role },
    });
  }

  // ---- Events: webhook pushes ----

  /**
   * Queues the event for every validated subscription it matches (resource, subject and type filters exact) whose
   * consumer may read it (EV re-authorizes at push time and skips silently), then pushes it: one event per POST,
   * `application/json`, retried on any non-2xx or network error on {@link WEBHOOK_RETRY_DELAYS_MS}.
   */
  private pushToSubscribers(event: Record<string, unknown>): void {
    const mayRead =
      this.options.mayRead ??
      ((orgnr: string, e: Record<string, unknown>) =>
        e['subject'] === `urn:altinn:organization:identifier-no:${orgnr}` &&
        this.hasAccess(orgnr, String(e['resource'] ?? '')));
    for (const sub of this.subscriptions.values()) {
      if (!sub.validated) continue;
      if (sub.resourceFilter !== undefined && sub.resourceFilter !== event['resource']) continue;
      if (sub.subjectFilter !== undefined && sub.subjectFilter !== event['subject']) continue;
      if (sub.typeFilter !== undefined && sub.typeFilter !== event['type']) continue;
      if (!mayRead(sub.consumer.replace(/^\/organisation\//, ''), event)) continue;
      const delivery: WebhookDelivery = {
        subscriptionId: sub.id,
        eventId: String(event['id']),
        type: String(event['type']),
        ...(typeof event['resourceinstance'] === 'string'
          ? { resourceinstance: event['resourceinstance'] }
          : {}),
        ...(typeof event['subject'] === 'string' ? { subject: event['subject'] } : {}),
        url: this.options.deliverTo ? this.options.deliverTo(sub.endPoint) : sub.endPoint,
        state: 'pending',
        attempts: [],
      };
      this.deliveries.push(delivery);
      void this.push(delivery, event);
    }
  }

  private async push(delivery: WebhookDelivery, event: Record<string, unknown>): Promise<void> {
    const delays = this.options.webhookRetryDelaysMs ?? WEBHOOK_RETRY_DELAYS_MS;
    const body = JSON.stringify(event);
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      const record: WebhookAttempt = { at: new Date(this.now()).toISOString() };
      delivery.attempts.push(record);
      delivery.nextAttemptAt = undefined;
      if (!isLoopback(delivery.url)) {
        record.error = `not called: ${delivery.url} is not a loopback address (map it with deliverTo)`;
      } else {
        try {
          const r = await fetch(delivery.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json; charset=utf-8' },
            body,
            signal: AbortSignal.timeout(this.options.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS),
          });
          record.status = r.status;
          await r.arrayBuffer();
          if (r.ok) {
            delivery.state = 'delivered';
            return;
          }
        } catch (error) {
          record.error =
            error instanceof Error
              ? error.cause instanceof Error
                ? error.cause.message
                : error.message
              : String(error);
        }
      }
      if (attempt === delays.length) break;
      delivery.state = 'retrying';
      delivery.nextAttemptAt = new Date(this.now() + delays[attempt]).toISOString();
      await this.sleep(delays[attempt]);
    }
    // Moved to Altinn's error queue: dropped for this subscriber, nothing tells it, the subscription stays.
    delivery.state = 'given-up';
  }

  private overview(t: StoredTransfer): Record<string, unknown> {
    const checksum =
      t.spec.checksum === undefined
        ? createHash('md5').update(t.spec.content).digest('hex')
        : t.spec.checksum;
    return {
      fileTransferId: t.id,
      resourceId: t.spec.resourceId,
      fileName: t.spec.fileName ?? 'file.bin',
      sendersFileTransferReference: null,
      checksum,
      useVirusScan: false,
      fileTransferSize: t.spec.content.length,
      fileTransferStatus: t.status,
      fileTransferStatusText: `The file transfer is ${t.status}`,
      fileTransferStatusChanged: t.statusChanged.toISOString(),
      created: t.created.toISOString(),
      expirationTime: new Date(t.created.getTime() + 30 * 86_400_000).toISOString(),
      sender: `0192:${t.spec.sender}`,
      recipients: [...t.recipientStatus].map(([orgnr, status]) => ({
        recipient: `0192:${orgnr}`,
        currentRecipientFileTransferStatusCode: status,
        currentRecipientFileTransferStatusText: status,
        currentRecipientFileTransferStatusChanged: t.created.toISOString(),
      })),
      propertyList: {},
      published: t.status === 'Published' ? t.created.toISOString() : null,
    };
  }

  private download(
    req: IncomingMessage,
    res: ServerResponse,
    t: StoredTransfer,
    caller: Caller,
    isRecipient: boolean,
  ): void {
    if (!isRecipient) return problem(res, 401, 'Unauthorized', BROKER_NO_ACCESS_DETAIL);
    if (t.status !== 'Published' && t.status !== 'AllConfirmedDownloaded') {
      return problem(
        res,
        403,
        'Forbidden',
        "The requested file transfer's file is not ready for download. See file transfer status",
      );
    }
    const content = t.spec.servedContent ?? t.spec.content;
    let start = 0;
    let end = content.length - 1;
    let status = 200;
    const range = req.headers.range;
    if (range !== undefined) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      const valid = m !== null && (m[1] !== '' || m[2] !== '');
      if (valid && m) {
        if (m[1] === '') {
          start = Math.max(0, content.length - Number(m[2]));
        } else {
          start = Number(m[1]);
          if (m[2] !== '') end = Math.min(end, Number(m[2]));
        }
      }
      if (!valid || start > end || start >= content.length) {
        res.writeHead(416, { 'content-range': `bytes */${content.length}` });
        res.end();
        return;
      }
      status = 206;
    }
    t.downloads++;
    if (t.recipientStatus.get(caller.organisationNumber) === 'Initialized')
      t.recipientStatus.set(caller.organisationNumber, 'DownloadStarted');
    const slice = content.subarray(start, end + 1);
    const name = t.spec.fileName ?? 'file.bin';
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-length': String(slice.length),
      'accept-ranges': 'bytes',
      'content-disposition': `attachment; filename="${name.replace(/"/g, '')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${content.length}`;
    res.writeHead(status, headers);
    if (t.spec.stallAfterBytes !== undefined && t.stalled < (t.spec.stallCount ?? Number.POSITIVE_INFINITY)) {
      t.stalled++;
      res.write(slice.subarray(0, t.spec.stallAfterBytes));
      return; // never ends: the client's idle timeout must fire
    }
    res.end(slice);
  }

  private listTransfers(res: ServerResponse, url: URL, caller: Caller): void {
    if (!caller.scopes.includes(SCOPE_BROKER_READ) && !caller.scopes.includes(SCOPE_BROKER_WRITE)) {
      return problem(res, 403, 'Forbidden', 'The token lacks the required scope.');
    }
    const q = url.searchParams;
    const resourceId = q.get('resourceId');
    if (!resourceId) return problem(res, 400, 'Bad Request', 'resourceId is required.');
    if (!this.hasAccess(caller.organisationNumber, resourceId))
      return problem(res, 401, 'Unauthorized', BROKER_NO_ACCESS_DETAIL);
    const status = q.get('status');
    const recipientStatus = q.get('recipientStatus');
    const role = q.get('role');
    const from = q.get('from') ? Date.parse(q.get('from') as string) : undefined;
    const to = q.get('to') ? Date.parse(q.get('to') as string) : undefined;
    const ascending = q.get('orderAscending') === 'true';
    const me = caller.organisationNumber;
    const ids = [...this.transfers.values()]
      .filter((t) => t.spec.resourceId === resourceId)
      .filter((t) => {
        const asSender = t.spec.sender === me;
        const asRecipient = t.recipientStatus.has(me);
        if (role === 'Sender') return asSender;
        if (role === 'Recipient') return asRecipient;
        return asSender || asRecipient;
      })
      .filter((t) => status === null || t.status === status)
      .filter((t) => recipientStatus === null || t.recipientStatus.get(me) === recipientStatus)
      // With `status`, Broker filters and orders by when the transfer reached that status, not by creation.
      .filter((t) => {
        const at = (status === null ? t.created : t.statusChanged).getTime();
        return (from === undefined || at >= from) && (to === undefined || at <= to);
      })
      .sort((a, b) => {
        const ta = (status === null ? a.created : a.statusChanged).getTime();
        const tb = (status === null ? b.created : b.statusChanged).getTime();
        return ascending ? ta - tb : tb - ta;
      })
      .slice(0, 100)
      .map((t) => t.id);
    json(res, 200, ids);
  }
}
