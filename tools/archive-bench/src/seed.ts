/**
 * Seeds an archive schema (already migrated by the archive app) with realistic Broker transfer stories, fast:
 * rows are generated in this process and streamed to PostgreSQL with COPY … FROM STDIN (through `psql`), with the
 * secondary indexes dropped during the load and rebuilt after it. Fills archived_events, transfers,
 * transfer_orgs and deliveries. The transfer summaries are derived with the contracts' deriveTransferState,
 * like the archive does; the benchmark checks a sample against the archive's own answer.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { BrokerEventType, awaitsConfirmation, deriveTransferState } from '@broker-events/contracts';
import { Client } from 'pg';

export interface SeedOptions {
  databaseUrl: string;
  schema: string;
  /** Roughly this many archived events (stories are cut at the first transfer that reaches it). */
  events: number;
  /** Organisations and resources to draw from. */
  organisations?: number;
  resources?: number;
  /** The latest time stories reach (default now); they start up to two years before. */
  now?: number;
  log?: (line: string) => void;
}

export interface SeedResult {
  events: number;
  transfers: number;
  deliveries: number;
  seconds: number;
  eventsPerSecond: number;
  indexSeconds: number;
}

/** Deterministic PRNG (mulberry32), so two runs seed the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2];
function organisationNumbers(n: number, rnd: () => number): string[] {
  const out = new Set<string>();
  while (out.size < n) {
    const digits = Array.from({ length: 8 }, (_, i) =>
      i === 0 ? 3 + Math.floor(rnd() * 6) : Math.floor(rnd() * 10),
    );
    const sum = digits.reduce((s, d, i) => s + d * WEIGHTS[i], 0);
    const check = sum % 11 === 0 ? 0 : 11 - (sum % 11);
    if (check === 10) continue;
    out.add(digits.join('') + String(check));
  }
  return [...out];
}

function uuid(rnd: () => number): string {
  const h = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  return `${h(8)}-${h(4)}-4${h(3)}-${'89ab'[Math.floor(rnd() * 4)]}${h(3)}-${h(12)}`;
}

/** One CSV field for COPY (FORMAT csv): null → empty, text quoted when needed. */
function csv(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  return /[",\n\r]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v;
}

const pgArray = (xs: string[]): string => `{${xs.join(',')}}`;

/** A COPY … FROM STDIN stream into one table, through psql. */
class CopyStream {
  private readonly child;
  private readonly done: Promise<void>;
  private buffer: string[] = [];
  private size = 0;
  rows = 0;

  constructor(url: string, table: string, columns: readonly string[]) {
    this.child = spawn(
      'psql',
      [
        url,
        '-v',
        'ON_ERROR_STOP=1',
        '-q',
        '-c',
        `COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`,
      ],
      { stdio: ['pipe', 'inherit', 'inherit'] },
    );
    this.done = new Promise((ok, fail) =>
      this.child.once('exit', (code) =>
        code === 0 ? ok() : fail(new Error(`COPY into ${table} failed (${code})`)),
      ),
    );
  }

  async row(values: (string | number | boolean | null)[]): Promise<void> {
    const line = values.map(csv).join(',') + '\n';
    this.buffer.push(line);
    this.size += line.length;
    this.rows++;
    if (this.size > 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.size = 0;
    if (!this.child.stdin.write(chunk)) await once(this.child.stdin, 'drain');
  }

  async end(): Promise<void> {
    await this.flush();
    this.child.stdin.end();
    await this.done;
  }
}

const EVENT_COLUMNS = [
  'source',
  'id',
  'specversion',
  'type',
  'time',
  'subject',
  'resource',
  'resourceinstance',
  'role',
  'event',
  'kafka_topic',
  'kafka_partition',
  'kafka_offset',
  'received_at',
] as const;
const TRANSFER_COLUMNS = [
  'file_transfer_id',
  'resource',
  'organisations',
  'first_time',
  'last_time',
  'last_type',
  'event_count',
  'phase',
  'recipients',
  'confirmed',
  'never_confirmed',
  'published_at',
  'awaiting_confirmation',
  'last_received_at',
] as const;
const DELIVERY_COLUMNS = [
  'consumer',
  'event_source',
  'event_id',
  'attempt',
  'event_type',
  'file_transfer_id',
  'outcome',
  'detail',
  'error',
  'dead_letter',
  'at',
] as const;

const SOURCE = 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer';
const ORG_URN = 'urn:altinn:organization:identifier-no:';
const DAY = 86_400_000;

interface StoryEvent {
  type: string;
  at: number;
  org: string;
  role: 'Sender' | 'Recipient';
}

/** One transfer's events, as the Broker would emit them to the sender and each recipient (REFERENCE §7). */
function story(rnd: () => number, start: number, sender: string, recipients: string[]): StoryEvent[] {
  const e: StoryEvent[] = [];
  const S = (type: string, at: number) => e.push({ type, at, org: sender, role: 'Sender' });
  const R = (type: string, at: number, org: string) => e.push({ type, at, org, role: 'Recipient' });
  S(BrokerEventType.FileTransferInitialized, start);
  S(BrokerEventType.UploadProcessing, start + 2_000 + rnd() * 8_000);
  if (rnd() < 0.04) {
    S(BrokerEventType.UploadFailed, start + 15_000);
    if (rnd() < 0.5) S(BrokerEventType.FilePurged, start + 7 * DAY);
    return e;
  }
  const published = start + 15_000 + rnd() * 10_000;
  S(BrokerEventType.Published, published);
  for (const r of recipients) R(BrokerEventType.Published, published + 1, r);
  let lastConfirm = published;
  const never: string[] = [];
  for (const r of recipients) {
    if (rnd() < 0.9) {
      const at = published + 60_000 + rnd() * rnd() * 5 * DAY;
      R(BrokerEventType.DownloadConfirmed, at, r);
      S(BrokerEventType.DownloadConfirmed, at + 1);
      lastConfirm = Math.max(lastConfirm, at + 1);
    } else never.push(r);
  }
  if (never.length === 0) {
    S(BrokerEventType.AllConfirmedDownloaded, lastConfirm + 10);
    if (rnd() < 0.9) S(BrokerEventType.FilePurged, lastConfirm + DAY);
  } else {
    const expiry = start + 7 * DAY;
    for (const r of never) R(BrokerEventType.FileNeverConfirmedDownloaded, expiry, r);
    S(BrokerEventType.FileNeverConfirmedDownloaded, expiry + 1);
    S(BrokerEventType.FilePurged, expiry + 1_000);
  }
  return e;
}

async function secondaryIndexes(
  client: Client,
  schema: string,
  tables: readonly string[],
): Promise<{ name: string; def: string }[]> {
  const r = await client.query<{ indexname: string; indexdef: string }>(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
      WHERE i.schemaname = $1 AND i.tablename = ANY($2)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = $1::regnamespace)`,
    [schema, tables],
  );
  return r.rows.map((x) => ({ name: x.indexname, def: x.indexdef }));
}

export async function seedArchive(o: SeedOptions): Promise<SeedResult> {
  const log = o.log ?? (() => undefined);
  const rnd = prng(20261201);
  const now = o.now ?? Date.now();
  const orgs = organisationNumbers(o.organisations ?? 400, rnd);
  const resources = Array.from(
    { length: o.resources ?? 300 },
    (_, i) => `urn:altinn:resource:bench-resource-${String(i).padStart(3, '0')}`,
  );
  const q = (t: string) => `"${o.schema}".${t}`;
  const client = new Client({ connectionString: o.databaseUrl });
  await client.connect();
  const tables = ['archived_events', 'transfers', 'transfer_orgs', 'deliveries'] as const;
  const started = Date.now();
  try {
    const indexes = await secondaryIndexes(client, o.schema, tables);
    for (const ix of indexes) await client.query(`DROP INDEX "${o.schema}"."${ix.name}"`);
    log(`dropped ${indexes.length} secondary indexes for the load`);

    const events = new CopyStream(o.databaseUrl, q('archived_events'), EVENT_COLUMNS);
    const transfers = new CopyStream(o.databaseUrl, q('transfers'), TRANSFER_COLUMNS);
    const transferOrgs = new CopyStream(o.databaseUrl, q('transfer_orgs'), [
      'file_transfer_id',
      'org',
      'last_time',
      'resource',
    ]);
    const deliveries = new CopyStream(o.databaseUrl, q('deliveries'), DELIVERY_COLUMNS);
    let offset = 0;
    let lastLog = Date.now();
    const span = 730 * DAY;
    while (events.rows < o.events) {
      const transferId = uuid(rnd);
      const resource = resources[Math.floor(rnd() * rnd() * resources.length)];
      const sender = orgs[Math.floor(rnd() * orgs.length)];
      const recipients = [
        ...new Set(
          Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => orgs[Math.floor(rnd() * orgs.length)]),
        ),
      ].filter((r) => r !== sender);
      if (recipients.length === 0) continue;
      // Starts spread over two years, denser towards now (the distribution of now - span * sqrt(uniform)), but
      // drawn in increasing order: the archive writes events as they arrive, so a time range of its table lies in
      // one region on disk, not scattered over all of it (each story's events are still written together). The
      // newest stories are cut at `now` (still in flight).
      const start = now - span * Math.sqrt(Math.max(0, 1 - events.rows / o.events - rnd() * 1e-4));
      const evs = story(rnd, start, sender, recipients).filter((e) => e.at <= now);
      const stateInput = [];
      let first = Infinity;
      let last = -Infinity;
      let lastType = '';
      let lastReceived = -Infinity;
      for (const e of evs) {
        const id = uuid(rnd);
        const time = new Date(Math.floor(e.at)).toISOString();
        const received = Math.floor(e.at + 200 + rnd() * 3_000);
        const subject = ORG_URN + e.org;
        const body = JSON.stringify({
          specversion: '1.0',
          id,
          type: e.type,
          time,
          resource,
          resourceinstance: transferId,
          source: SOURCE,
          subject,
          data: { Role: e.role },
        });
        await events.row([
          SOURCE,
          id,
          '1.0',
          e.type,
          time,
          subject,
          resource,
          transferId,
          e.role,
          body,
          'altinn.broker.events.v1',
          offset % 12,
          offset++,
          new Date(received).toISOString(),
        ]);
        stateInput.push({ type: e.type, time, subject, data: { Role: e.role } });
        const at = Math.floor(e.at);
        first = Math.min(first, at);
        if (at >= last) {
          last = at;
          lastType = e.type;
        }
        lastReceived = Math.max(lastReceived, received);
        // Delivery reports: about a third of the events were e-mailed; a few needed retries, a few were dead-lettered.
        if (rnd() < 0.3) {
          const r = rnd();
          const base = received + 150;
          if (r < 0.002) {
            await deliveries.row([
              'email',
              SOURCE,
              id,
              1,
              e.type,
              transferId,
              'retry',
              null,
              'SMTP 451 try again later',
              null,
              new Date(base).toISOString(),
            ]);
            await deliveries.row([
              'email',
              SOURCE,
              id,
              2,
              e.type,
              transferId,
              'dead-lettered',
              null,
              'SMTP 550 mailbox unavailable',
              JSON.stringify({
                topic: 'altinn.broker.dlq.v1.email',
                partition: offset % 3,
                offset: String(offset),
              }),
              new Date(base + 60_000).toISOString(),
            ]);
          } else if (r < 0.012) {
            await deliveries.row([
              'email',
              SOURCE,
              id,
              1,
              e.type,
              transferId,
              'retry',
              null,
              'SMTP 451 try again later',
              null,
              new Date(base).toISOString(),
            ]);
            await deliveries.row([
              'email',
              SOURCE,
              id,
              2,
              e.type,
              transferId,
              'delivered',
              'emailed to ops@example.no',
              null,
              null,
              new Date(base + 30_000).toISOString(),
            ]);
          } else {
            await deliveries.row([
              'email',
              SOURCE,
              id,
              1,
              e.type,
              transferId,
              'delivered',
              'emailed to ops@example.no',
              null,
              null,
              new Date(base).toISOString(),
            ]);
          }
        }
      }
      const state = deriveTransferState(stateInput);
      const lastIso = new Date(last).toISOString();
      const organisations = [...new Set([sender, ...recipients])].sort();
      await transfers.row([
        transferId,
        resource,
        pgArray(organisations),
        new Date(first).toISOString(),
        lastIso,
        lastType,
        evs.length,
        state.phase,
        pgArray(state.recipients),
        pgArray(state.confirmed),
        pgArray(state.neverConfirmed),
        state.publishedAt === null ? null : new Date(Date.parse(state.publishedAt)).toISOString(),
        awaitsConfirmation(state),
        new Date(lastReceived).toISOString(),
      ]);
      for (const org of organisations) await transferOrgs.row([transferId, org, lastIso, resource]);
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(
          `${events.rows} events, ${transfers.rows} transfers (${Math.round(events.rows / ((Date.now() - started) / 1000))} events/s)`,
        );
      }
    }
    await Promise.all([events.end(), transfers.end(), transferOrgs.end(), deliveries.end()]);
    const loaded = Date.now();
    log(`loaded ${events.rows} events in ${((loaded - started) / 1000).toFixed(1)} s; rebuilding indexes…`);
    await client.query(`SET maintenance_work_mem = '512MB'`);
    for (const ix of indexes) await client.query(ix.def);
    for (const t of tables) await client.query(`VACUUM ANALYZE ${q(t)}`);
    const seconds = (Date.now() - started) / 1000;
    return {
      events: events.rows,
      transfers: transfers.rows,
      deliveries: deliveries.rows,
      seconds: Math.round(seconds),
      eventsPerSecond: Math.round(events.rows / seconds),
      indexSeconds: Math.round((Date.now() - loaded) / 1000),
    };
  } finally {
    await client.end();
  }
}
