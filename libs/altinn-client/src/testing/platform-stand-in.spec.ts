import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALTINN_SCOPES, VALIDATE_SUBSCRIPTION_TYPE } from '@broker-events/contracts';
import { type AltinnStandIns, BROKER_NO_ACCESS_DETAIL, startAltinnStandIns } from '../testing';

/**
 * The stand-ins must behave as Altinn does where a client could tell the difference (docs/altinn.md, "How
 * Altinn behaves"). One case per behaviour the stand-ins used to get wrong; each failed before the stand-in was
 * fixed. Raw HTTP on purpose: this is about what Altinn answers, not about our client.
 */
const RESOURCE_ID = 'altinn-broker-test-resource-1';
const RESOURCE = `urn:altinn:resource:${RESOURCE_ID}`;
const US = '312000008';
const OTHER = '310000002';
const SENDER = '310000001';
const urn = (orgnr: string): string => `urn:altinn:organization:identifier-no:${orgnr}`;

describe('Altinn stand-ins behave as Altinn does', () => {
  let now = Date.parse('2026-11-27T10:00:00Z');
  const clock = (): number => now;
  let s: AltinnStandIns;
  let token: string;

  beforeAll(async () => {
    s = await startAltinnStandIns({ organisationNumber: US, clock });
    token = s.platform.issueAltinnToken(US, Object.values(ALTINN_SCOPES), 86_400);
  });
  afterAll(async () => {
    await s.close();
  });

  const call = (path: string, init: RequestInit = {}, bearer = token): Promise<Response> =>
    fetch(`${s.platform.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/json', ...init.headers },
    });
  const transfer = (extra: Partial<Parameters<AltinnStandIns['platform']['addFileTransfer']>[0]> = {}) =>
    s.platform.addFileTransfer({
      resourceId: RESOURCE_ID,
      sender: SENDER,
      recipients: [US],
      content: Buffer.from('hello'),
      ...extra,
    });

  describe('Broker', () => {
    it('answers 401 (not 403/404) when the caller has no access to the transfer or the resource', async () => {
      const notOurs = transfer({ recipients: [OTHER] });
      const ours = transfer();
      const unknown = '7d0f0a53-6f3c-4a61-8c4b-1b1c1c1c1c1c';
      const statuses = async (): Promise<number[]> => [
        (await call(`/broker/api/v1/filetransfer/${notOurs}`)).status,
        (await call(`/broker/api/v1/filetransfer/${notOurs}/download`)).status,
        (await call(`/broker/api/v1/filetransfer/${notOurs}/confirmdownload`, { method: 'POST' })).status,
      ];
      expect(await statuses()).toEqual([401, 401, 401]);
      const body = (await (await call(`/broker/api/v1/filetransfer/${notOurs}`)).json()) as {
        detail: string;
      };
      expect(body.detail).toBe(BROKER_NO_ACCESS_DETAIL);
      expect((await call(`/broker/api/v1/filetransfer/${unknown}`)).status).toBe(404);

      // The sender may read the overview but is no recipient: download and confirm are 401 as well.
      const sender = s.platform.issueAltinnToken(SENDER, [ALTINN_SCOPES.brokerRead], 86_400);
      expect((await call(`/broker/api/v1/filetransfer/${ours}`, {}, sender)).status).toBe(200);
      expect((await call(`/broker/api/v1/filetransfer/${ours}/download`, {}, sender)).status).toBe(401);

      // No right on the resource in the Resource Rights Registry: 401 for the transfer and the list alike.
      s.platform.revokeAccess(RESOURCE_ID, US);
      try {
        expect((await call(`/broker/api/v1/filetransfer/${ours}`)).status).toBe(401);
        expect((await call(`/broker/api/v1/filetransfer/${ours}/download`)).status).toBe(401);
        expect((await call(`/broker/api/v1/filetransfer?resourceId=${RESOURCE_ID}`)).status).toBe(401);
      } finally {
        s.platform.grantAccess(RESOURCE_ID, US);
      }
      expect((await call(`/broker/api/v1/filetransfer/${ours}`)).status).toBe(200);
    });

    it('answers 400 to a confirm once every recipient has confirmed (AllConfirmedDownloaded)', async () => {
      const id = transfer({ recipients: [US, OTHER] });
      const other = s.platform.issueAltinnToken(OTHER, [ALTINN_SCOPES.brokerRead], 86_400);
      const download = async (bearer: string): Promise<void> => {
        await (await call(`/broker/api/v1/filetransfer/${id}/download`, {}, bearer)).arrayBuffer();
      };
      const confirm = async (bearer = token): Promise<number> =>
        (await call(`/broker/api/v1/filetransfer/${id}/confirmdownload`, { method: 'POST' }, bearer)).status;
      await download(token);
      expect(await confirm()).toBe(204);
      expect(await confirm()).toBe(204); // again while the transfer is still Published: fine
      await download(other);
      expect(await confirm(other)).toBe(204);
      expect(s.platform.fileTransfer(id).status).toBe('AllConfirmedDownloaded');
      expect(await confirm()).toBe(400);
    });

    it('lists at most the 100 newest by when they reached the status, and walks back with from/to', async () => {
      const resourceId = 'stand-in-list-resource';
      const base = Date.parse('2026-11-01T00:00:00Z');
      // Created in one order, published in the reverse one: the list follows the publishing time.
      const ids: string[] = [];
      for (let n = 0; n < 130; n++) {
        ids.push(
          transfer({
            resourceId,
            created: new Date(base + n * 60_000),
            statusChanged: new Date(base + 86_400_000 - n * 60_000),
          }),
        );
      }
      const list = async (query: string): Promise<string[]> =>
        (await (
          await call(`/broker/api/v1/filetransfer?resourceId=${resourceId}&status=Published${query}`)
        ).json()) as string[];
      const newest = await list('');
      expect(newest).toHaveLength(100);
      expect(newest).toEqual(ids.slice(0, 100)); // published last = created first
      const oldestShown = base + 86_400_000 - 99 * 60_000;
      const older = await list(`&to=${new Date(oldestShown - 1).toISOString()}`);
      expect(older).toEqual(ids.slice(100));
      const window = await list(
        `&from=${new Date(base + 86_400_000 - 5 * 60_000).toISOString()}&to=${new Date(base + 86_400_000).toISOString()}`,
      );
      expect(window).toEqual(ids.slice(0, 6));
    });
  });

  describe('Events GET /events', () => {
    const event = (n: number, subject: string): Record<string, unknown> => ({
      specversion: '1.0',
      id: `e0000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      type: 'no.altinn.broker.published',
      time: '2026-11-27T09:00:00.000000Z',
      resource: RESOURCE,
      resourceinstance: `f0000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
      subject,
      data: { Role: 'Recipient' },
    });

    it('filters by authorization after the LIMIT: an empty page without `next` while readable events follow', async () => {
      const resource = 'urn:altinn:resource:stand-in-events-resource';
      const at = new Date(now - 60_000);
      for (let n = 1; n <= 3; n++) s.platform.publishEvent({ ...event(n, urn(OTHER)), resource }, at);
      const mine: Record<string, unknown> = { ...event(4, urn(US)), resource };
      s.platform.publishEvent(mine, at);
      const get = (query: string) =>
        call(`/events/api/v1/events?resource=${resource}&after=0&size=3${query}`, {
          headers: { accept: 'application/cloudevents+json' },
        });
      const blind = await get('');
      expect(await blind.json()).toEqual([]);
      expect(blind.headers.get('next')).toBeNull();
      const narrowed = await get(`&subject=${urn(US)}`);
      expect(((await narrowed.json()) as { id: string }[]).map((e) => e.id)).toEqual([mine['id']]);
    });

    it('writes `next` as Altinn does: base + path + ?after=<last id>, then the other parameters as received', async () => {
      s.platform.publishEvent(event(10, urn(US)), new Date(now - 60_000));
      const res = await call(
        `/events/api/v1/events?resource=${encodeURIComponent(RESOURCE)}&subject=${encodeURIComponent(urn(US))}&after=0&type=no.altinn.broker.published&size=5`,
      );
      const events = (await res.json()) as { id: string }[];
      const last = events[events.length - 1].id;
      expect(res.headers.get('next')).toBe(
        `${s.platform.url}/events/api/v1/events?after=${last}&resource=${RESOURCE}&subject=${urn(US)}&type=no.altinn.broker.published&size=5`,
      );
    });
  });

  describe('the subscription handshake and tokens', () => {
    let receiver: Server;
    const received: { path: string; body: Record<string, unknown> }[] = [];

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({
            path: req.url ?? '',
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          });
          res.writeHead(200);
          res.end();
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    });
    afterAll(async () => {
      await new Promise<void>((r) => receiver.close(() => r()));
    });

    it('posts the handshake as a real HTTP call by default, and leaves an unreachable endpoint unvalidated', async () => {
      const port = (receiver.address() as AddressInfo).port;
      const own = await startAltinnStandIns({
        organisationNumber: US,
        platform: {
          deliverTo: (endPoint) => endPoint.replace('https://gateway.example.no', `http://127.0.0.1:${port}`),
          handshakeRetryDelaysMs: [],
        },
      });
      const platform = own.platform;
      try {
        const subscribe = async (endPoint: string): Promise<{ id: number }> =>
          (await (
            await fetch(`${platform.url}/events/api/v1/subscriptions`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${platform.issueAltinnToken(US, [ALTINN_SCOPES.eventsSubscribe])}`,
                'content-type': 'application/json',
              },
              body: JSON.stringify({ endPoint, resourceFilter: RESOURCE, subjectFilter: urn(US) }),
            })
          ).json()) as { id: number };
        const reachable = await subscribe('https://gateway.example.no/altinn/events/t0ken');
        const unreachable = await subscribe('https://elsewhere.example.no/hook');
        await platform.handshakeSettled(reachable.id);
        await platform.handshakeSettled(unreachable.id);
        expect(received).toEqual([
          {
            path: '/altinn/events/t0ken',
            body: expect.objectContaining({ type: VALIDATE_SUBSCRIPTION_TYPE }),
          },
        ]);
        const validated = Object.fromEntries(platform.listSubscriptions().map((x) => [x.id, x.validated]));
        expect(validated).toEqual({ [reachable.id]: true, [unreachable.id]: false });
      } finally {
        await own.close();
      }
    });

    it('exchanges a Maskinporten token for an Altinn token that lives no longer than it (120 s, not 30 min)', async () => {
      const maskinporten = s.maskinporten.issueToken(US, [ALTINN_SCOPES.brokerRead]);
      const res = await fetch(`${s.platform.url}/authentication/api/v1/exchange/maskinporten`, {
        headers: { authorization: `Bearer ${maskinporten}` },
      });
      const altinn = (await res.text()).replace(/"/g, '');
      const exp = (t: string): number =>
        (JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString('utf8')) as { exp: number }).exp;
      expect(exp(altinn)).toBe(exp(maskinporten));
      expect(exp(altinn) - Math.floor(now / 1000)).toBe(120);
      now += 121_000;
      const late = await call(`/broker/api/v1/filetransfer?resourceId=${RESOURCE_ID}`, {}, altinn);
      expect(late.status).toBe(401);
    });
  });
});
