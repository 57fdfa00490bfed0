import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALTINN_SCOPES, VALIDATE_SUBSCRIPTION_TYPE, brokerSubscriptions } from '@broker-events/contracts';
import { AltinnPlatformStandIn, EVENTS_CONSISTENCY_WINDOW_MS } from '../testing';
import { EventsClient } from './events-client';
import { StaticTokenProvider, type TokenProvider } from './token-providers';

const RESOURCE = 'urn:altinn:resource:altinn-broker-test-resource-1';
const ORG = '312000008';

function brokerEvent(n: number, type = 'no.altinn.broker.published'): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type,
    time: '2026-11-27T09:00:00.000000Z',
    resource: RESOURCE,
    resourceinstance: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    subject: `urn:altinn:organization:identifier-no:${ORG}`,
    data: { Role: 'Recipient' },
  };
}

/** Hands out a given token and counts invalidations. */
class CountingTokens implements TokenProvider {
  invalidations = 0;
  constructor(private readonly next: () => string) {}
  async token(): Promise<string> {
    return this.next();
  }
  invalidate(): void {
    this.invalidations++;
  }
}

describe('EventsClient against the Events stand-in', () => {
  let now = Date.parse('2026-11-27T10:00:00Z');
  const clock = (): number => now;

  describe('subscriptions', () => {
    let platform: AltinnPlatformStandIn;
    let receiver: Server;
    let receiverUrl: string;
    let receiverStatus = 200;
    const received: unknown[] = [];

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          res.writeHead(receiverStatus);
          res.end();
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      platform = await AltinnPlatformStandIn.start({
        handshake: 'post',
        deliverTo: () => receiverUrl,
        handshakeRetryDelaysMs: [5, 5],
      });
    });
    afterAll(async () => {
      await platform.close();
      await new Promise<void>((r) => receiver.close(() => r()));
    });

    const client = (scopes: string[] = [ALTINN_SCOPES.eventsSubscribe], org = ORG): EventsClient =>
      new EventsClient(`${platform.url}/events/api/v1`, {
        tokens: new StaticTokenProvider(platform.issueAltinnToken(org, scopes)),
        timeoutMs: 2000,
      });

    const [request] = brokerSubscriptions({
      environment: 'tt02',
      resourceId: 'altinn-broker-test-resource-1',
      organisationNumber: ORG,
      endPoint: 'https://gateway.example.no/altinn/events/secret-token-secret-token-secret-token',
      types: ['no.altinn.broker.published'],
    });

    it('creates a subscription (validated:false at first), validates it by the handshake, and is idempotent', async () => {
      const events = client();
      const created = await events.createSubscription(request);
      expect(created).toMatchObject({
        resourceFilter: RESOURCE,
        typeFilter: 'no.altinn.broker.published',
        validated: false,
        consumer: `/organisation/${ORG}`,
      });
      await platform.handshakeSettled(created.id);
      expect(received).toContainEqual(expect.objectContaining({ type: VALIDATE_SUBSCRIPTION_TYPE }));
      expect(await events.getSubscription(created.id)).toMatchObject({ id: created.id, validated: true });

      const again = await events.createSubscription(request);
      expect(again.id).toBe(created.id);
      expect((await events.listSubscriptions()).map((s) => s.id)).toEqual([created.id]);
    });

    it('leaves a subscription unvalidated when the endpoint keeps failing the handshake', async () => {
      receiverStatus = 503;
      try {
        const sub = await client().createSubscription({
          ...request,
          typeFilter: 'no.altinn.broker.downloadconfirmed',
        });
        await platform.handshakeSettled(sub.id);
        expect((await client().getSubscription(sub.id)).validated).toBe(false);
        expect(platform.handshakes.filter((h) => h.subscriptionId === sub.id)).toHaveLength(3);
      } finally {
        receiverStatus = 200;
      }
    });

    it('refuses what Altinn refuses: a non-https endpoint (400), another party’s subject (403), no scope (403)', async () => {
      await expect(
        client().createSubscription({ ...request, endPoint: 'http://insecure.example.no/' }),
      ).rejects.toMatchObject({
        kind: 'bad-request',
        problem: { detail: 'Missing or invalid endpoint to push events towards.' },
      });
      await expect(
        client([ALTINN_SCOPES.eventsSubscribe], '310000001').createSubscription(request),
      ).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(client([ALTINN_SCOPES.brokerRead]).createSubscription(request)).rejects.toMatchObject({
        kind: 'forbidden',
      });
    });

    it('gets 403 for another consumer’s subscription, 404 for a missing one, and deletes', async () => {
      const mine = await client().createSubscription({
        ...request,
        typeFilter: 'no.altinn.broker.filepurged',
      });
      await expect(
        client([ALTINN_SCOPES.eventsSubscribe], '310000001').getSubscription(mine.id),
      ).rejects.toMatchObject({ kind: 'forbidden', status: 403 });
      await client().deleteSubscription(mine.id);
      await expect(client().getSubscription(mine.id)).rejects.toMatchObject({
        kind: 'not-found',
        status: 404,
      });
    });

    it('retries once with a fresh token after a 401, and reports a second 401', async () => {
      const good = platform.issueAltinnToken(ORG, [ALTINN_SCOPES.eventsSubscribe]);
      let calls = 0;
      const tokens = new CountingTokens(() => (calls++ === 0 ? 'expired.or.revoked' : good));
      const events = new EventsClient(`${platform.url}/events/api/v1`, { tokens });
      await expect(events.listSubscriptions()).resolves.toEqual(expect.any(Array));
      expect(tokens.invalidations).toBe(1);

      const bad = new CountingTokens(() => 'never.valid.token');
      await expect(
        new EventsClient(`${platform.url}/events/api/v1`, { tokens: bad }).listSubscriptions(),
      ).rejects.toMatchObject({ kind: 'unauthorized' });
      expect(bad.invalidations).toBe(1);
    });
  });

  describe('GET /events', () => {
    let platform: AltinnPlatformStandIn;
    let events: EventsClient;

    beforeEach(async () => {
      now = Date.parse('2026-11-27T10:00:00Z');
      platform = await AltinnPlatformStandIn.start({ clock });
      events = new EventsClient(`${platform.url}/events/api/v1`, {
        tokens: new StaticTokenProvider(
          platform.issueAltinnToken(ORG, [ALTINN_SCOPES.eventsSubscribe], 86_400),
        ),
        timeoutMs: 1000,
      });
    });
    afterEach(async () => {
      await platform.close();
    });

    it('hides events registered in the last 30 seconds', async () => {
      platform.publishEvent(brokerEvent(1), new Date(now - EVENTS_CONSISTENCY_WINDOW_MS - 1));
      platform.publishEvent(brokerEvent(2), new Date(now - 1000));
      const first = await events.getEvents({ resource: RESOURCE, after: '0' });
      expect(first.events.map((e) => (e as { id: string }).id)).toEqual([brokerEvent(1)['id']]);

      now += EVENTS_CONSISTENCY_WINDOW_MS;
      const later = await events.getEvents({ resource: RESOURCE, after: String(brokerEvent(1)['id']) });
      expect(later.events.map((e) => (e as { id: string }).id)).toEqual([brokerEvent(2)['id']]);
    });

    it('pages through `next` until an empty page, and an unknown `after` starts from the beginning', async () => {
      for (let n = 1; n <= 7; n++) platform.publishEvent(brokerEvent(n), new Date(now - 60_000));
      const pages = [];
      for await (const page of events.pages({ resource: RESOURCE, after: '0', size: 3 })) pages.push(page);
      expect(pages.map((p) => p.events.length)).toEqual([3, 3, 1, 0]);
      expect(pages[0].next).toContain(`after=${String(brokerEvent(3)['id'])}`);
      expect(pages[3].next).toBeUndefined();

      const restart = await events.getEvents({ resource: RESOURCE, after: 'no-such-id', size: 2 });
      expect(restart.events).toHaveLength(2);
    });

    it('keeps paging by its own cursor when `next` is missing or points at another host', async () => {
      for (const nextHeader of ['none', 'https://internal.altinn.example']) {
        const other = await AltinnPlatformStandIn.start({ clock, nextHeader });
        try {
          for (let n = 1; n <= 5; n++) other.publishEvent(brokerEvent(n), new Date(now - 60_000));
          const client = new EventsClient(`${other.url}/events/api/v1`, {
            tokens: new StaticTokenProvider(other.issueAltinnToken(ORG, [ALTINN_SCOPES.eventsSubscribe])),
          });
          const sizes: number[] = [];
          for await (const page of client.pages({ resource: RESOURCE, after: '0', size: 2 }))
            sizes.push(page.events.length);
          expect(sizes).toEqual([2, 2, 1, 0]);
          expect(other.requests.map((r) => r.query.get('after'))).toEqual([
            '0',
            brokerEvent(2)['id'],
            brokerEvent(4)['id'],
            brokerEvent(5)['id'],
          ]);
        } finally {
          await other.close();
        }
      }
    });

    it('filters on subject and repeated type parameters', async () => {
      platform.publishEvent(brokerEvent(1, 'no.altinn.broker.published'), new Date(now - 60_000));
      platform.publishEvent(brokerEvent(2, 'no.altinn.broker.downloadconfirmed'), new Date(now - 60_000));
      platform.publishEvent(
        { ...brokerEvent(3), subject: 'urn:altinn:organization:identifier-no:310000001' },
        new Date(now - 60_000),
      );
      const page = await events.getEvents({
        resource: RESOURCE,
        after: '0',
        subject: `urn:altinn:organization:identifier-no:${ORG}`,
        types: ['no.altinn.broker.published', 'no.altinn.broker.downloadconfirmed'],
      });
      expect(page.events).toHaveLength(2);
    });

    it('clamps the page size to 1..1000 and rejects a missing `after`', async () => {
      expect(events.eventsUrl({ resource: RESOURCE, after: '0', size: 5000 })).toContain('size=1000');
      expect(events.eventsUrl({ resource: RESOURCE, after: '0', size: 0 })).toContain('size=1');
      for (let n = 1; n <= 3; n++) platform.publishEvent(brokerEvent(n), new Date(now - 60_000));
      const token = platform.issueAltinnToken(ORG, [ALTINN_SCOPES.eventsSubscribe]);
      const raw = await fetch(`${platform.url}/events/api/v1/events?resource=${RESOURCE}&after=0&size=-4`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(((await raw.json()) as unknown[]).length).toBe(1);
      await expect(
        events.getEventsAt(`${platform.url}/events/api/v1/events?resource=${RESOURCE}`),
      ).rejects.toMatchObject({ kind: 'bad-request' });
    });

    it('refuses to follow a `next` on another origin (it would carry our token there)', async () => {
      await expect(events.getEventsAt('https://evil.example.com/events?after=1')).rejects.toMatchObject({
        kind: 'invalid-response',
      });
    });

    it('reports 403 without the subscribe scope, 5xx as retryable, and a slow answer as a timeout', async () => {
      const noScope = new EventsClient(`${platform.url}/events/api/v1`, {
        tokens: new StaticTokenProvider(platform.issueAltinnToken(ORG, [ALTINN_SCOPES.brokerRead])),
      });
      await expect(noScope.getEvents({ resource: RESOURCE, after: '0' })).rejects.toMatchObject({
        kind: 'forbidden',
      });
      platform.fail({ status: 502, path: /\/events$/ });
      await expect(events.getEvents({ resource: RESOURCE, after: '0' })).rejects.toMatchObject({
        kind: 'server-error',
        retryable: true,
      });
      platform.fail({ delayMs: 3000, path: /\/events$/ });
      await expect(events.getEvents({ resource: RESOURCE, after: '0' })).rejects.toMatchObject({
        kind: 'timeout',
      });
    });
  });
});
