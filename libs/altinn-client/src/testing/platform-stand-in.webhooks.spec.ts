import { createHash } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALTINN_SCOPES, VALIDATE_SUBSCRIPTION_TYPE } from '@broker-events/contracts';
import { until } from '@broker-events/testing';
import { type AltinnStandIns, startAltinnStandIns } from '../testing';

/**
 * The sender's side of Broker (initialize, upload), the events Broker publishes on each step, and Altinn Events
 * pushing them to validated subscriptions: handshake first, one event per POST, retried on every non-2xx on the
 * schedule it is given, then given up (REFERENCE.md §4, §7, §8). Real clock, real HTTP.
 */
const RESOURCE_ID = 'altinn-broker-test-resource-1';
const RESOURCE = `urn:altinn:resource:${RESOURCE_ID}`;
const US = '312000008';
const SENDER = '310000001';
const OTHER = '310000002';
const urn = (orgnr: string): string => `urn:altinn:organization:identifier-no:${orgnr}`;

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

describe('Altinn stand-ins: Broker publishes events, Events pushes them', () => {
  let s: AltinnStandIns;
  let hook: Server;
  let hookUrl: string;
  const received: Received[] = [];
  /** Statuses the hook answers with, one per event POST (then 200). */
  const answers: number[] = [];
  let us: string;
  let sender: string;

  beforeAll(async () => {
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        received.push({ headers: req.headers, body });
        res.writeHead(body['type'] === VALIDATE_SUBSCRIPTION_TYPE ? 200 : (answers.shift() ?? 200));
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/altinn/events/secret`;
    s = await startAltinnStandIns({
      organisationNumber: US,
      platform: {
        handshake: 'post',
        deliverTo: () => hookUrl,
        webhookRetryDelaysMs: [20, 40],
        consistencyWindowMs: 0,
      },
    });
    us = s.platform.issueAltinnToken(US, Object.values(ALTINN_SCOPES), 86_400);
    sender = s.platform.issueAltinnToken(SENDER, [ALTINN_SCOPES.brokerWrite], 86_400);
  });
  afterAll(async () => {
    await s.close();
    await new Promise<void>((resolve) => hook.close(() => resolve()));
  });

  const call = (path: string, token: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${s.platform.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...init.headers },
    });
  const initialize = (token: string, body: Record<string, unknown>): Promise<Response> =>
    call('/broker/api/v1/filetransfer', token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        fileName: 'hello.txt',
        resourceId: RESOURCE_ID,
        sender: `0192:${SENDER}`,
        recipients: [`0192:${US}`],
        ...body,
      }),
    });
  const upload = (id: string, content: Buffer, token = sender): Promise<Response> =>
    call(`/broker/api/v1/filetransfer/${id}/upload`, token, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: content,
    });
  const eventsOf = (id: string): Record<string, unknown>[] =>
    received.map((r) => r.body).filter((b) => b['resourceinstance'] === id);

  it('initialize + upload publish filetransferinitialized, uploadprocessing and published (sender and each recipient)', async () => {
    const content = Buffer.from('hello from the sender');
    const md5 = createHash('md5').update(content).digest('hex');
    const init = await initialize(sender, { checksum: md5 });
    expect(init.status).toBe(200);
    const { fileTransferId: id } = (await init.json()) as { fileTransferId: string };
    expect(s.platform.fileTransfer(id).status).toBe('Initialized');
    expect((await upload(id, content)).status).toBe(200);
    await until('published', () => s.platform.fileTransfer(id).status === 'Published', 10_000, 10);
    // A second upload is refused; the recipient downloads what was uploaded.
    expect((await upload(id, content)).status).toBe(409);
    const download = await call(`/broker/api/v1/filetransfer/${id}/download`, us);
    expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('hello from the sender');

    const page = await call(
      `/events/api/v1/events?resource=${RESOURCE}&after=0&subject=${urn(SENDER)}`,
      s.platform.issueAltinnToken(SENDER, [ALTINN_SCOPES.eventsSubscribe], 600),
    );
    const senderEvents = ((await page.json()) as Record<string, unknown>[]).filter(
      (e) => e['resourceinstance'] === id,
    );
    expect(senderEvents.map((e) => [e['type'], e['data']])).toEqual([
      ['no.altinn.broker.filetransferinitialized', { Role: 'Sender' }],
      ['no.altinn.broker.uploadprocessing', { Role: 'Sender' }],
      ['no.altinn.broker.published', { Role: 'Sender' }],
    ]);
    expect(senderEvents[0]).toMatchObject({
      specversion: '1.0',
      resource: RESOURCE,
      source: `${s.platform.url}/broker/api/v1/filetransfer`,
      subject: urn(SENDER),
    });
    const ourPage = await call(`/events/api/v1/events?resource=${RESOURCE}&after=0&subject=${urn(US)}`, us);
    const ours = ((await ourPage.json()) as Record<string, unknown>[]).filter(
      (e) => e['resourceinstance'] === id,
    );
    expect(ours.map((e) => [e['type'], e['data']])).toEqual([
      ['no.altinn.broker.published', { Role: 'Recipient' }],
    ]);
    // published has Broker's stable id: the same transfer, role and party always give the same id.
    const expectedId = createHash('sha256')
      .update(`published:${id}:Recipient:0192:${US}`)
      .digest('hex')
      .slice(0, 32);
    expect(String(ours[0]?.['id']).replace(/-/g, '')).toBe(expectedId);
  });

  it('refuses what Broker refuses: another sender (401), no write scope (403), a wrong checksum (400 + uploadfailed)', async () => {
    expect((await initialize(sender, { sender: `0192:${OTHER}` })).status).toBe(401);
    const readOnly = s.platform.issueAltinnToken(SENDER, [ALTINN_SCOPES.brokerRead], 600);
    expect((await initialize(readOnly, {})).status).toBe(403);
    expect((await initialize(sender, { recipients: [] })).status).toBe(400);
    const init = await initialize(sender, { checksum: '0'.repeat(32) });
    const { fileTransferId: id } = (await init.json()) as { fileTransferId: string };
    expect((await upload(id, Buffer.from('x'))).status).toBe(400);
    expect(s.platform.fileTransfer(id).status).toBe('Failed');
  });

  it('pushes each matching event once to a validated subscription, after the handshake, as application/json', async () => {
    const created = await call('/events/api/v1/subscriptions', us, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        endPoint: 'https://gateway.example.no/altinn/events/secret',
        resourceFilter: RESOURCE,
        subjectFilter: urn(US),
      }),
    });
    expect(created.status).toBe(201);
    const sub = (await created.json()) as { id: number };
    await s.platform.handshakeSettled(sub.id);
    expect(received.map((r) => r.body['type'])).toEqual([VALIDATE_SUBSCRIPTION_TYPE]);

    const init = await initialize(sender, {});
    const { fileTransferId: id } = (await init.json()) as { fileTransferId: string };
    await upload(id, Buffer.from('pushed'));
    await until('the published push', () => eventsOf(id).length === 1, 10_000, 10);
    // Only the event for our subject: the sender's filetransferinitialized, uploadprocessing, published are not ours.
    expect(eventsOf(id).map((e) => [e['type'], e['subject']])).toEqual([
      ['no.altinn.broker.published', urn(US)],
    ]);
    const push = received.find((r) => r.body['resourceinstance'] === id);
    expect(push?.headers['content-type']).toBe('application/json; charset=utf-8');

    // Confirming publishes downloadconfirmed (recipient + sender) and allconfirmeddownloaded (sender); we get ours.
    await call(`/broker/api/v1/filetransfer/${id}/download`, us);
    expect(
      (await call(`/broker/api/v1/filetransfer/${id}/confirmdownload`, us, { method: 'POST' })).status,
    ).toBe(204);
    await until('the downloadconfirmed push', () => eventsOf(id).length === 2, 10_000, 10);
    expect(eventsOf(id).map((e) => e['type'])).toEqual([
      'no.altinn.broker.published',
      'no.altinn.broker.downloadconfirmed',
    ]);
    const deliveries = s.platform.webhookDeliveries().filter((d) => d.resourceinstance === id);
    expect(deliveries.map((d) => [d.type, d.state, d.attempts.length])).toEqual([
      ['no.altinn.broker.published', 'delivered', 1],
      ['no.altinn.broker.downloadconfirmed', 'delivered', 1],
    ]);
  });

  it('retries a push on any non-2xx (400 included) on its schedule, and gives up after the last attempt', async () => {
    const retried = s.platform.addFileTransfer({
      resourceId: RESOURCE_ID,
      sender: SENDER,
      recipients: [US],
      content: Buffer.from('x'),
    });
    answers.push(503, 400);
    const event = {
      specversion: '1.0',
      id: '8d3c3c7e-5f0b-4b8e-9a53-0f6f6b0c0a01',
      type: 'no.altinn.broker.published',
      source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
      resource: RESOURCE,
      resourceinstance: retried,
      subject: urn(US),
      data: { Role: 'Recipient' },
    };
    s.platform.publishEvent(event);
    await until(
      'delivered on the third attempt',
      () => s.platform.webhookDeliveries().some((d) => d.eventId === event.id && d.state === 'delivered'),
      10_000,
      10,
    );
    const delivery = s.platform.webhookDeliveries().find((d) => d.eventId === event.id);
    expect(delivery?.attempts.map((a) => a.status)).toEqual([503, 400, 200]);
    expect(eventsOf(retried)).toHaveLength(3);

    // Three failures with two retry delays: given up, the subscription stays.
    const given = { ...event, id: '8d3c3c7e-5f0b-4b8e-9a53-0f6f6b0c0a02' };
    answers.push(500, 500, 500);
    s.platform.publishEvent(given);
    await until(
      'given up',
      () => s.platform.webhookDeliveries().some((d) => d.eventId === given.id && d.state === 'given-up'),
      10_000,
      10,
    );
    expect(s.platform.webhookDeliveries().find((d) => d.eventId === given.id)?.attempts).toHaveLength(3);
    expect(s.platform.listSubscriptions()).toHaveLength(1);

    // Another organisation's event, or an unvalidated subscription's, is never pushed.
    const before = received.length;
    s.platform.publishEvent({ ...event, id: '8d3c3c7e-5f0b-4b8e-9a53-0f6f6b0c0a03', subject: urn(OTHER) });
    const marker = { ...event, id: '8d3c3c7e-5f0b-4b8e-9a53-0f6f6b0c0a04' };
    s.platform.publishEvent(marker);
    await until('the marker push', () => received.some((r) => r.body['id'] === marker.id), 10_000, 10);
    expect(received.slice(before).map((r) => r.body['id'])).toEqual([marker.id]);
  });
});
