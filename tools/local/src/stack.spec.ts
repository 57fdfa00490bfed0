import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from './demo';
import { findRepoRoot } from './root';
import { type LocalStack, devToken, readStackState, startLocalStack } from './stack';
import { runStoryDemo } from './story';

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start + npm run demo', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'local-stack-'));
  const lines: string[] = [];
  let stack: LocalStack | undefined;

  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('runs a local Altinn with the poller and the file fetcher; the story goes publish → push → fetch → confirm → outage caught up by the poller; stop leaves nothing behind', async () => {
    const brokers = process.env['KAFKA_BROKERS'];
    expect(brokers).toBeDefined();
    const suffix = `-l${Date.now().toString(36)}`;
    stack = await startLocalStack({
      root: findRepoRoot(__dirname),
      stateDir,
      // No Slack settings: the stack must say it is not started, and not start it. No ALTINN_ENVIRONMENT: local.
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], KAFKA_BROKERS: brokers },
      ports: {
        gateway: 0,
        archive: 0,
        email: 0,
        slack: 0,
        poller: 0,
        'file-fetcher': 0,
        altinn: 0,
        maskinporten: 0,
        control: 0,
        console: 0,
        identity: 0,
        smtp: 0,
        inbox: 0,
      },
      consumerSuffix: suffix,
      log: (line) => lines.push(line),
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${lines.slice(-40).join('\n')}`);
    });
    const { state } = stack;
    const altinn = stack.altinn;
    expect(altinn).toBeDefined();
    if (!altinn) return;
    expect(stack.startedKafka).toBe(false);
    expect(stack.children.map((c) => c.name).sort()).toEqual([
      'archive',
      'console',
      'email',
      'file-fetcher',
      'gateway',
      'identity-provider',
      'maildev',
      'poller',
    ]);
    // The console is up and sends whoever is not signed in to the local identity provider.
    const login = await fetch(`${state.consoleUrl}/transfers`, { redirect: 'manual' });
    expect([login.status, login.headers.get('location')]).toEqual([302, '/auth/login?returnTo=%2Ftransfers']);
    const toProvider = await fetch(`${state.consoleUrl}/auth/login`, { redirect: 'manual' });
    expect(toProvider.headers.get('location')).toMatch(new RegExp(`^${state.identityUrl}/auth\\?`));
    expect(lines.some((l) => l.startsWith('Slack is not started: set SLACK_WEBHOOK_URL'))).toBe(true);
    expect(state.webhookUrl).toBe(`${state.gatewayUrl}/altinn/events/${devToken(stateDir)}`);
    expect(state.altinnEnvironment).toBe('local');
    expect(readStackState(stateDir)).toEqual(state);
    // The keys were generated in the state dir, readable by us only.
    for (const client of [state.altinn?.client, state.altinn?.sender])
      expect(statSync(client?.privateKeyFile ?? '').mode & 0o077).toBe(0);

    // The subscription was made through the Events API and validated by a real handshake to the gateway.
    const subs = altinn.platform.listSubscriptions();
    expect(subs.map((s) => [s.endPoint, s.validated])).toEqual([
      [`https://gateway.localhost/altinn/events/${devToken(stateDir)}`, true],
    ]);
    expect(altinn.platform.handshakes.map((h) => h.status)).toEqual([200]);

    const story = await runStoryDemo(state, (line) => lines.push(line), { stepTimeoutMs: 90_000 });
    expect(story.steps.filter((s) => !s.ok)).toEqual([]);
    expect(story.ok).toBe(true);
    expect(story.transfers).toHaveLength(3);
    const deliveries = altinn.platform.webhookDeliveries();
    for (const [i, t] of story.transfers.entries()) {
      // Broker's side: downloaded and confirmed by us, hence AllConfirmedDownloaded for the sender.
      expect(altinn.platform.fileTransfer(t.fileTransferId)).toMatchObject({
        status: 'AllConfirmedDownloaded',
        recipients: { [state.altinn?.client.organisationNumber ?? '']: 'DownloadConfirmed' },
      });
      const published = deliveries.find(
        (d) => d.resourceinstance === t.fileTransferId && d.type === 'no.altinn.broker.published',
      );
      const first = published?.attempts[0];
      if (i === 0) expect(first?.status).toBe(200);
      // The outage transfers: the first push failed (gateway down), so only the poller could have archived them.
      else expect([first?.status, typeof first?.error]).toEqual([undefined, 'string']);
    }
    const outcome = (await (
      await fetch(`${state.fileFetcherUrl ?? ''}/files/${story.transfers[2]?.fileTransferId ?? ''}`)
    ).json()) as { location: string; status: string };
    expect(outcome.status).toBe('confirmed');
    expect(readFileSync(outcome.location, 'utf8')).toBe(story.transfers[2]?.content);
    expect(outcome.location.startsWith(state.filesDir)).toBe(true);

    // The sample events posted straight to the webhook (the demo with a real Altinn) still reach archive and inbox.
    const result = await runDemo(state, (line) => lines.push(line), 90_000);
    const posted = result.posted.filter((p) => p.published);
    expect(result.posted.find((p) => p.name === 'validatesubscription')?.answer).toContain('validated');
    expect(posted.length).toBe(result.posted.length - 1);
    expect(result.archived.sort()).toEqual(posted.map((p) => p.id).sort());
    expect(result.mailed.sort()).toEqual(posted.map((p) => p.fileTransferId).sort());
    const inbox = (await (await fetch(`${state.inboxUrl}/email`)).json()) as { to: { address: string }[] }[];
    expect(
      inbox.every((mail) => mail.to.some((t) => t.address === 'developer@broker-events.localhost')),
    ).toBe(true);

    const pids = stack.children.map((c) => c.process.pid);
    await stack.stop();
    expect(pids.filter(alive)).toEqual([]);
    // Each one drained and exited by itself on SIGTERM (no SIGKILL after the grace period), the gateway the demo
    // stopped and started again included. The poller uses Nest's shutdown hooks, which re-raise the signal once
    // the app has closed: it ends by SIGTERM, not with 0.
    expect(stack.children.map((c) => [c.name, c.process.exitCode ?? c.process.signalCode])).toEqual(
      stack.children.map((c) => [c.name, c.name === 'poller' || c.name === 'console' ? 'SIGTERM' : 0]),
    );
    expect(stack.children.filter((c) => c.name === 'gateway')).toHaveLength(2);
    expect(readStackState(stateDir)).toBeUndefined();
    expect(readFileSync(join(stateDir, 'dev-token'), 'utf8').trim()).toMatch(/^[0-9a-f]{48}$/);
    // The local Altinn is closed with the stack.
    await expect(fetch(`${state.altinn?.platformUrl ?? ''}/events/api/v1/events`)).rejects.toThrow();
  });
});
