import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DeliveryReport,
  HEADERS,
  TOPICS,
  deadLetterTopic,
  parseCloudEvent,
  toKafkaRecord,
} from '@broker-events/contracts';
import { BrokerClient, StaticTokenProvider } from '@broker-events/altinn-client';
import { type AltinnStandIns, startAltinnStandIns } from '@broker-events/altinn-client/testing';
import { CoalescingPublisher, createKafka, ensureTopics } from '@broker-events/messaging';
import { TopicTail } from '@broker-events/messaging/testing';
import { createLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startFileFetcher } from '../src/app/bootstrap';
import { loadFileFetcherConfig } from '../src/app/config/file-fetcher.config';
import { ReconcilerService } from '../src/app/fetching/reconciler.service';
import type { FetchOutcome } from '../src/app/outcomes/outcome-store';
import { until } from '@broker-events/testing';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const RESOURCE_ID = 'altinn-broker-test-resource-1';
const US = '312000008';
const SENDER = '310000001';
const run = randomBytes(3).toString('hex');
const topic = `${TOPICS.events}.fetcher-${run}`;
const consumer = `fetcher-${run}`;

function published(fileTransferId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type: 'no.altinn.broker.published',
    time: '2026-11-27T09:00:00.000000Z',
    resource: `urn:altinn:resource:${RESOURCE_ID}`,
    resourceinstance: fileTransferId,
    source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    subject: `urn:altinn:organization:identifier-no:${US}`,
    data: { Role: 'Recipient' },
    ...overrides,
  };
}

describe('file-fetcher: published → overview → download → verify → store → confirm, against the Broker stand-in and real Kafka', () => {
  let s: AltinnStandIns;
  let app: NestFastifyApplication;
  let storageDir: string;
  let dlq: TopicTail;
  const kafka = createKafka(
    loadFileFetcherConfig({
      KAFKA_BROKERS: brokers,
      FETCH_ORGANISATION_NUMBER: US,
      FETCH_RESOURCES: RESOURCE_ID,
      ALTINN_TOKEN: 'x.y.z',
    }),
    'fetcher-spec',
  );
  const publisher = new CoalescingPublisher(kafka);
  const content = Buffer.from(`<melding>${'x'.repeat(5000)}</melding>\n`);

  beforeAll(async () => {
    s = await startAltinnStandIns({ organisationNumber: US });
    await ensureTopics(kafka, [{ topic, partitions: 1, replicationFactor: 1 }]);
    dlq = await TopicTail.start(brokers, [deadLetterTopic(consumer), TOPICS.deliveries]);
    storageDir = mkdtempSync(join(tmpdir(), 'fetched-'));
    const config = loadFileFetcherConfig({
      ...s.env,
      KAFKA_BROKERS: brokers,
      FETCH_ORGANISATION_NUMBER: US,
      FETCH_RESOURCES: RESOURCE_ID,
      STORAGE_DIR: storageDir,
      FETCH_SQLITE_PATH: join(storageDir, '..', `fetcher-${run}.sqlite`),
      RECONCILE_INTERVAL_SECONDS: '0',
      CONSUMER_NAME: consumer,
      CONSUMER_TOPICS: topic,
      CONSUMER_CONCURRENCY: '1',
      KAFKA_TOPIC_PARTITIONS: '1',
      RETRY_IN_PLACE_ATTEMPTS: '2',
      RETRY_INITIAL_BACKOFF_MS: '10',
      RETRY_TOPIC_DELAYS_MS: '100',
      RECONCILE_SET_ASIDE_AFTER: '2',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    app = await startFileFetcher(config, createLogger('file-fetcher', 'silent'), false);
  });
  afterAll(async () => {
    await app?.close();
    await dlq?.stop();
    await publisher.close();
    await s?.close();
  });

  async function send(...events: Record<string, unknown>[]): Promise<void> {
    await publisher.publish(
      events.map((e) => {
        const parsed = parseCloudEvent(e);
        if (!parsed.ok) throw new Error(`invalid fixture: ${JSON.stringify(parsed.violations)}`);
        return { ...toKafkaRecord(parsed.event, parsed.canonicalType), topic };
      }),
    );
  }

  async function outcome(id: string): Promise<FetchOutcome | undefined> {
    const res = await app.inject({ method: 'GET', url: `/files/${id}` });
    return res.statusCode === 200 ? (res.json() as FetchOutcome) : undefined;
  }

  const transfer = (
    extra: Partial<Parameters<AltinnStandIns['platform']['addFileTransfer']>[0]> = {},
  ): string =>
    s.platform.addFileTransfer({
      resourceId: RESOURCE_ID,
      sender: SENDER,
      recipients: [US],
      content,
      fileName: 'melding.xml',
      ...extra,
    });

  it('stores the file, verifies its MD5, confirms the download and records the outcome', async () => {
    const id = transfer();
    await send(published(id));
    await until('confirmed', async () => (await outcome(id))?.status === 'confirmed');
    const recorded = await outcome(id);
    expect(recorded).toMatchObject({
      status: 'confirmed',
      trigger: 'event',
      bytes: content.length,
      checksumVerified: true,
      fileName: 'melding.xml',
    });
    expect(readFileSync(join(storageDir, id, 'melding.xml')).equals(content)).toBe(true);
    expect(s.platform.fileTransfer(id)).toMatchObject({
      downloads: 1,
      confirms: 1,
      recipients: { [US]: 'DownloadConfirmed' },
    });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(
      'fetcher_files_total{result="confirmed",trigger="event",service="file-fetcher"} 1',
    );
    // the delivery report says what was done, without the storage location
    await dlq.caughtUp();
    const reports = dlq
      .on(TOPICS.deliveries)
      .map((m) => JSON.parse(m.value?.toString('utf8') ?? 'null') as DeliveryReport)
      .filter((r) => r.consumer === consumer && r.fileTransferId === id);
    expect(reports.map((r) => [r.outcome, r.detail])).toEqual([
      ['delivered', 'fetched melding.xml (5.0 kB, MD5 ok) and confirmed the download'],
    ]);
  });

  it('fetches only Recipient copies of published for us, and downloads a transfer once however often it is announced', async () => {
    const notForUs = transfer();
    const twice = transfer();
    const sentinel = transfer();
    const duplicate = published(twice);
    await send(
      published(notForUs, { data: { Role: 'Sender' } }),
      published(notForUs, { subject: `urn:altinn:organization:identifier-no:${SENDER}` }),
      published(notForUs, { type: 'no.altinn.broker.downloadconfirmed' }),
      duplicate,
      duplicate,
      published(twice),
      published(sentinel),
    );
    await until('the sentinel confirmed', async () => (await outcome(sentinel))?.status === 'confirmed');
    expect(s.platform.fileTransfer(notForUs).downloads).toBe(0);
    expect(await outcome(notForUs)).toBeUndefined();
    expect(s.platform.fileTransfer(twice)).toMatchObject({ downloads: 1, confirms: 1 });
  });

  it('retries a Broker 5xx in place and then succeeds', async () => {
    const id = transfer();
    s.platform.fail({ status: 503, path: new RegExp(`${id}/download$`) });
    await send(published(id));
    await until('confirmed', async () => (await outcome(id))?.status === 'confirmed');
    expect(s.platform.requests.filter((r) => r.path.endsWith(`${id}/download`)).map((r) => r.status)).toEqual(
      [503, 200],
    );
  });

  it('a 401 from Broker gets fresh tokens (Maskinporten grant + exchange) and carries on', async () => {
    const id = transfer();
    const grants = s.maskinporten.issued;
    const exchanges = s.platform.exchanged;
    s.platform.fail({ status: 401, path: new RegExp(`filetransfer/${id}$`) });
    await send(published(id));
    await until('confirmed', async () => (await outcome(id))?.status === 'confirmed');
    expect(s.maskinporten.issued).toBe(grants + 1);
    expect(s.platform.exchanged).toBe(exchanges + 1);
    expect(
      s.platform.requests.filter((r) => r.path.endsWith(`filetransfer/${id}`)).map((r) => r.status),
    ).toEqual([401, 200]);
  });

  it('a Broker 401 that fresh tokens do not cure is "no access": dead-lettered with that reason, counted, and Maskinporten asked at most once', async () => {
    const ids = [transfer(), transfer(), transfer()];
    const events = ids.map((id) => published(id));
    const grants = s.maskinporten.issued;
    const exchanges = s.platform.exchanged;
    s.platform.revokeAccess(RESOURCE_ID, US);
    try {
      await send(...events);
      await dlq.waitFor((m) => events.every((e) => m.some((r) => r.headers[HEADERS.id] === e['id'])), 30_000);
    } finally {
      s.platform.grantAccess(RESOURCE_ID, US);
    }
    const parked = dlq
      .on(deadLetterTopic(consumer))
      .filter((r) => ids.includes(r.headers[HEADERS.resourceinstance]));
    expect(parked.map((r) => r.headers[HEADERS.deliveryFailure])).toEqual([
      'permanent',
      'permanent',
      'permanent',
    ]);
    for (const r of parked) {
      expect(r.headers[HEADERS.deliveryError]).toContain(
        `no access to urn:altinn:resource:${RESOURCE_ID}: grant organisation ${US} the right "read"`,
      );
      // Permanent: one attempt each, no retries in place or on retry topics.
      expect(r.headers[HEADERS.deliveryAttempt]).toBe('1');
    }
    expect(s.maskinporten.issued - grants).toBeLessThanOrEqual(1);
    expect(s.platform.exchanged - exchanges).toBeLessThanOrEqual(1);
    expect(await outcome(ids[0])).toMatchObject({
      status: 'failed',
      lastError: expect.stringContaining('no access'),
    });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(
      `fetcher_no_access_total{resource="urn:altinn:resource:${RESOURCE_ID}",right="read",service="file-fetcher"} 3`,
    );
    for (const id of ids) expect(s.platform.fileTransfer(id).downloads).toBe(0);
  });

  it('a checksum mismatch is retried, then dead-lettered: nothing stored under the name, nothing confirmed', async () => {
    const id = transfer({ servedContent: Buffer.from(content).fill(0x41, 0, 10) });
    const event = published(id);
    await send(event);
    await dlq.waitFor((m) => m.some((r) => r.headers[HEADERS.id] === event['id']), 30_000);
    expect(s.platform.fileTransfer(id).confirms).toBe(0);
    expect(s.platform.fileTransfer(id).downloads).toBeGreaterThanOrEqual(2);
    expect(await outcome(id)).toMatchObject({
      status: 'failed',
      lastError: expect.stringContaining('does not match'),
    });
    expect(readdirSync(join(storageDir, id))).toEqual([]);
  });

  it('skips a transfer already confirmed at Broker, and records a purged one as unavailable', async () => {
    const confirmed = transfer();
    const other = new BrokerClient(`${s.platform.url}/broker/api/v1`, {
      tokens: new StaticTokenProvider(s.platform.issueAltinnToken(US, ['altinn:broker.read'])),
    });
    const body = (await other.download(confirmed)).body;
    for await (const _ of body) {
      // drain
    }
    await other.confirmDownload(confirmed);
    const purged = transfer({ status: 'Purged' });
    await send(published(confirmed), published(purged));
    await until('purged recorded', async () => (await outcome(purged))?.status === 'unavailable');
    expect(await outcome(confirmed)).toMatchObject({ status: 'confirmed' });
    expect(s.platform.fileTransfer(confirmed).downloads).toBe(1);
    expect((await outcome(purged))?.lastError).toBe('the transfer is Purged');
  });

  it('reconciliation fetches transfers whose events never came', async () => {
    const missed = [transfer(), transfer(), transfer()];
    const notOurs = s.platform.addFileTransfer({
      resourceId: RESOURCE_ID,
      sender: SENDER,
      recipients: ['310000002'],
      content,
    });
    const processing = transfer({ status: 'UploadProcessing' });
    const result = await app.get(ReconcilerService).reconcileNow();
    expect(result.listErrors).toEqual([]);
    expect(result.fetched).toEqual(expect.arrayContaining(missed));
    expect(result.found).not.toContain(notOurs);
    expect(result.found).not.toContain(processing);
    for (const id of missed) {
      expect(s.platform.fileTransfer(id).recipients[US]).toBe('DownloadConfirmed');
      expect(await outcome(id)).toMatchObject({ status: 'confirmed', trigger: 'reconcile' });
    }
    const lists = s.platform.requests.filter((r) => r.path === '/broker/api/v1/filetransfer');
    expect(lists.map((r) => Object.fromEntries(r.query))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          resourceId: RESOURCE_ID,
          status: 'Published',
          recipientStatus: 'Initialized',
          role: 'Recipient',
        }),
      ]),
    );
    const again = await app.get(ReconcilerService).reconcileNow();
    expect(again.found.filter((id) => missed.includes(id))).toEqual([]);
  });

  it('reconciliation walks past the 100 newest, and puts aside a transfer that keeps failing, with its reason', async () => {
    // Broker lists at most the 100 newest per query, ordered by when they were published. Two transfers that
    // fail every time (a corrupt download) are the newest, so they would stay in view and hide older ones.
    const published = Date.now() - 3_600_000;
    const older = Array.from({ length: 105 }, (_, n) =>
      transfer({ statusChanged: new Date(published - (n + 1) * 1000) }),
    );
    const failing = [0, 1].map(() =>
      transfer({ servedContent: Buffer.from(content).fill(0x41, 0, 10), statusChanged: new Date() }),
    );
    const reconciler = app.get(ReconcilerService);

    const first = await reconciler.reconcileNow();
    expect(first.listErrors).toEqual([]);
    expect(first.fetched).toEqual(expect.arrayContaining(older));
    for (const id of older) expect(s.platform.fileTransfer(id).recipients[US]).toBe('DownloadConfirmed');
    expect(first.failed.map((f) => f.fileTransferId)).toEqual(expect.arrayContaining(failing));
    const windows = s.platform.requests
      .filter(
        (r) => r.path === '/broker/api/v1/filetransfer' && r.query.get('recipientStatus') === 'Initialized',
      )
      .slice(-3)
      .map((r) => [r.query.has('from'), r.query.has('to')]);
    expect(windows).toContainEqual([true, true]); // walked back with `to`, within the window's `from`

    // RECONCILE_SET_ASIDE_AFTER=2: the second failure puts them aside; later runs leave them alone.
    await reconciler.reconcileNow();
    const downloads = failing.map((id) => s.platform.fileTransfer(id).downloads);
    const third = await reconciler.reconcileNow();
    expect(third.setAside).toEqual(expect.arrayContaining(failing));
    expect(third.failed.map((f) => f.fileTransferId)).not.toEqual(expect.arrayContaining([failing[0]]));
    expect(failing.map((id) => s.platform.fileTransfer(id).downloads)).toEqual(downloads);
    expect(await outcome(failing[0])).toMatchObject({
      status: 'set_aside',
      lastError: expect.stringMatching(/^set aside after 2 failed attempts: download: .*does not match/),
    });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /fetcher_reconcile_set_aside_total\{resource="[^"]+",service="file-fetcher"\} [2-9]/,
    );
  });
});
