import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AltinnStandIns, startAltinnStandIns } from '@broker-events/altinn-client/testing';
import { EXIT, runSubscriptionsCli } from './run';

const SECRET = 'webhook-secret-token-0123456789abcdef';

const FILE = `
environment: tt02
organisationNumber: "312000008"
allowSyntheticOrganisationNumber: true
endPoint: https://gateway.example.no/altinn/events/\${WEBHOOK_TOKEN}
validationGraceMinutes: 10
subscriptions:
  - resource: altinn-broker-test-resource-1
    types: [no.altinn.broker.published, no.altinn.broker.downloadconfirmed]
`;

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('subscriptions CLI against the Events stand-in', () => {
  let s: AltinnStandIns;
  let receiver: Server;
  let handshakeStatus = 200;
  let file: string;
  let now = new Date();

  beforeEach(async () => {
    handshakeStatus = 200;
    now = new Date();
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(handshakeStatus);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    s = await startAltinnStandIns({
      platform: { handshake: 'post', deliverTo: () => hook, handshakeRetryDelaysMs: [] },
    });
    file = join(mkdtempSync(join(tmpdir(), 'subs-')), 'subscriptions.yaml');
    writeFileSync(file, FILE);
  });
  afterEach(async () => {
    await s.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  async function cli(...args: string[]): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSubscriptionsCli(args, {
      env: { ...s.env, WEBHOOK_TOKEN: SECRET, SUBSCRIPTIONS_FILE: file },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      now: () => now,
      waitPollMs: 20,
    });
    const result = { code, out: out.join('\n'), err: err.join('\n') };
    expect(result.out + result.err).not.toContain(SECRET);
    return result;
  }

  async function settle(): Promise<void> {
    for (const sub of s.platform.listSubscriptions()) await s.platform.handshakeSettled(sub.id);
  }

  it('plans, ensures one subscription per type, and a second ensure changes nothing', async () => {
    const plan = await cli('plan');
    expect(plan.code).toBe(EXIT.ok);
    expect(plan.out).toContain('Plan: 2 to create, 0 in place, 0 not in the file.');
    expect(s.platform.listSubscriptions()).toHaveLength(0);

    const ensure = await cli('ensure');
    expect(ensure.code).toBe(EXIT.ok);
    expect(ensure.out).toContain('2 created');
    await settle();
    const ids = s.platform.listSubscriptions().map((x) => x.id);
    expect(s.platform.listSubscriptions().map((x) => [x.typeFilter, x.validated])).toEqual([
      ['no.altinn.broker.published', true],
      ['no.altinn.broker.downloadconfirmed', true],
    ]);

    const again = await cli('ensure');
    expect(again.out).toContain('0 created, 2 already there');
    expect(s.platform.listSubscriptions().map((x) => x.id)).toEqual(ids);
    expect((await cli('plan')).out).toContain('Plan: 0 to create, 2 in place, 0 not in the file.');
  });

  it('lists with the validated state and warns about one unvalidated past the grace period; --strict exits 3', async () => {
    handshakeStatus = 503;
    await cli('ensure');
    await settle();
    const fresh = await cli('list');
    expect(fresh.out).toMatch(/#\d+ {2}NOT VALIDATED/);
    expect(fresh.err).toBe('');

    now = new Date(now.getTime() + 11 * 60_000);
    const late = await cli('list', '--strict');
    expect(late.code).toBe(EXIT.warnings);
    expect(late.err).toMatch(
      /WARNING: subscription #\d+ is still not validated 1[01] minutes after creation/,
    );
    expect((await cli('list')).code).toBe(EXIT.ok);

    const json = JSON.parse((await cli('list', '--json', '--file', file)).out) as {
      subscriptions: { inFile: boolean; endPoint: string }[];
      warnings: number[];
    };
    expect(json.warnings).toHaveLength(2);
    expect(json.subscriptions.every((x) => x.inFile && x.endPoint.endsWith('/***'))).toBe(true);
  });

  it('ensure re-sends the handshake of an unvalidated subscription (same id), which then validates', async () => {
    handshakeStatus = 503;
    await cli('ensure');
    await settle();
    const before = s.platform.listSubscriptions();
    expect(before.every((x) => !x.validated)).toBe(true);

    handshakeStatus = 200;
    const ensure = await cli('ensure');
    expect(ensure.out).toContain('revalidated');
    await settle();
    const after = s.platform.listSubscriptions();
    expect(after.map((x) => x.id)).toEqual(before.map((x) => x.id));
    expect(after.every((x) => x.validated)).toBe(true);
  });

  it('ensure --wait waits for the handshakes: 0 when all are validated, 3 when one is still not', async () => {
    const ok = await cli('ensure', '--wait', '10');
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.out).toContain('All 2 subscription(s) are validated.');

    handshakeStatus = 503;
    writeFileSync(
      file,
      FILE.replace(', no.altinn.broker.downloadconfirmed', ', no.altinn.broker.filepurged'),
    );
    const late = await cli('ensure', '--wait', '1');
    expect(late.code).toBe(EXIT.warnings);
    expect(late.err).toMatch(/WARNING: subscription #\d+ is still not validated after waiting 1 s/);
    expect((await cli('plan', '--wait', '1')).code).toBe(EXIT.usage);
  });

  it('leaves subscriptions that are not in the file alone, and deletes them only on request', async () => {
    await cli('ensure');
    // Another system of the same organisation, pushing elsewhere: never ours to delete.
    writeFileSync(file, FILE.replace('gateway.example.no', 'other-system.example.no'));
    await cli('ensure');
    writeFileSync(file, FILE.replace(', no.altinn.broker.downloadconfirmed', ''));
    const plan = await cli('plan');
    expect(plan.out).toContain('Plan: 0 to create, 1 in place, 3 not in the file.');
    expect((await cli('ensure')).code).toBe(EXIT.ok);
    expect(s.platform.listSubscriptions()).toHaveLength(4);

    const dry = await cli('delete', '--not-in-file');
    expect(dry.out).toContain('Leaving 2 subscription(s) to other endpoints alone.');
    expect(dry.out).toContain('Dry run: 1 subscription(s) would be deleted');
    expect(s.platform.listSubscriptions()).toHaveLength(4);
    const real = await cli('delete', '--not-in-file', '--yes');
    expect(real.out).toMatch(/deleted #\d+/);
    const left = s.platform.listSubscriptions();
    expect(left.map((x) => [new URL(x.endPoint).host, x.typeFilter])).toEqual([
      ['gateway.example.no', 'no.altinn.broker.published'],
      ['other-system.example.no', 'no.altinn.broker.published'],
      ['other-system.example.no', 'no.altinn.broker.downloadconfirmed'],
    ]);

    await cli('delete', String(left[0].id), '--yes');
    expect(s.platform.listSubscriptions()).toHaveLength(2);
  });

  it('finds the subscriptions a token rotation orphaned, shows them in plan, and removes them on request', async () => {
    expect((await cli('ensure')).code).toBe(EXIT.ok);
    const OLD = 'retired-webhook-token-fedcba9876543210';
    const orphan = s.platform.addSubscription('312000008', {
      endPoint: `https://gateway.example.no/altinn/events/${OLD}`,
      resourceFilter: 'urn:altinn:resource:altinn-broker-test-resource-1',
      subjectFilter: 'urn:altinn:organization:identifier-no:312000008',
      typeFilter: 'no.altinn.broker.published',
    });
    const foreign = s.platform.addSubscription('312000008', {
      endPoint: `https://other-system.example.no/hook/${OLD}`,
      resourceFilter: 'urn:altinn:resource:altinn-broker-test-resource-1',
    });

    const plan = await cli('plan', '--strict');
    expect(plan.out).toContain(`! orphan #${orphan.id}`);
    expect(plan.out).toContain('orphaned by a token rotation');
    expect(plan.err).toContain(
      `subscription #${orphan.id} points at our gateway with a token it no longer accepts`,
    );
    expect(plan.out + plan.err).not.toContain(OLD);
    expect(plan.code).toBe(EXIT.warnings);

    // Still accepted by the gateway during a rotation (WEBHOOK_TOKENS lists it): not an orphan.
    const during = await runSubscriptionsCli(['plan'], {
      env: { ...s.env, WEBHOOK_TOKEN: SECRET, WEBHOOK_TOKENS: `${SECRET},${OLD}`, SUBSCRIPTIONS_FILE: file },
      out: () => undefined,
      err: () => undefined,
    });
    expect(during).toBe(EXIT.ok);

    // delete --not-in-file includes it (it used to skip it: another endpoint than the file's).
    expect((await cli('delete', '--not-in-file')).out).toContain(`would delete #${orphan.id}`);
    const removed = await cli('delete', '--orphans', '--yes');
    expect(removed.out).toContain(`deleted #${orphan.id}`);
    const left = s.platform.listSubscriptions().map((x) => x.id);
    expect(left).not.toContain(orphan.id);
    expect(left).toContain(foreign.id);
    expect(left).toHaveLength(3);
  });

  it('doctor checks tokens, subscriptions, the handshake from outside and the poller, and says how to fix each', async () => {
    const via = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    let stalled = 0;
    const poller = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(
        `poller_stalled{resource="urn:altinn:resource:altinn-broker-test-resource-1",service="poller"} ${stalled}\n`,
      );
    });
    await new Promise<void>((r) => poller.listen(0, '127.0.0.1', r));
    const pollerUrl = `http://127.0.0.1:${(poller.address() as AddressInfo).port}`;
    try {
      const before = await cli('doctor', '--via', via, '--poller-url', pollerUrl);
      expect(before.code).toBe(EXIT.error);
      expect(before.out).toMatch(/ok +tokens/);
      expect(before.out).toMatch(/FAIL +subscription +missing: .*no.altinn.broker.published/);
      expect(before.out).toContain('fix: run: npm run subscriptions -- ensure --wait 300');

      await cli('ensure', '--wait', '5');
      const healthy = await cli('doctor', '--via', via, '--poller-url', pollerUrl);
      expect(healthy.out).toContain('All checks passed.');
      expect(healthy.code).toBe(EXIT.ok);
      expect(healthy.out).toMatch(
        /ok +handshake +https:\/\/gateway\.example\.no\/altinn\/events\/\*\*\* answered 200/,
      );

      handshakeStatus = 401;
      stalled = 1;
      const broken = await cli('doctor', '--via', via, '--poller-url', pollerUrl);
      expect(broken.code).toBe(EXIT.error);
      expect(broken.out).toContain('answered 401 to the validation handshake');
      expect(broken.out).toContain("compare the file's endpoint with the gateway's WEBHOOK_TOKENS");
      expect(broken.out).toMatch(
        /FAIL +poller +the cursor of urn:altinn:resource:altinn-broker-test-resource-1 has not moved/,
      );
    } finally {
      await new Promise<void>((r) => poller.close(() => r()));
    }
  });

  it('fails clearly: bad usage (2), a refused token (1), a 5xx (1), an environment mismatch (1)', async () => {
    expect((await cli('frobnicate')).code).toBe(EXIT.usage);
    expect((await cli('delete')).code).toBe(EXIT.usage);

    s.platform.fail({ status: 401, path: /subscriptions/, times: 2 });
    const unauthorized = await cli('list');
    expect(unauthorized.code).toBe(EXIT.error);
    expect(unauthorized.err).toContain('HTTP 401');

    s.platform.fail({ status: 503, path: /subscriptions/ });
    expect((await cli('ensure')).err).toContain('HTTP 503');

    const out: string[] = [];
    const code = await runSubscriptionsCli(['plan', '--file', file], {
      env: { ...s.env, ALTINN_ENVIRONMENT: 'production', WEBHOOK_TOKEN: SECRET },
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    expect(code).toBe(EXIT.error);
    expect(out.join('\n')).toContain('ALTINN_ENVIRONMENT: is production, but the file is for tt02');
  });
});
