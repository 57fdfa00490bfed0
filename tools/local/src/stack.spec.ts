import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from './demo';
import { findRepoRoot } from './root';
import { type LocalStack, devToken, readStackState, startLocalStack } from './stack';

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

  it('brings up gateway, archive, email and MailDev; the demo events reach the archive and the inbox; stop leaves nothing behind', async () => {
    const brokers = process.env['KAFKA_BROKERS'];
    expect(brokers).toBeDefined();
    const suffix = `-l${Date.now().toString(36)}`;
    stack = await startLocalStack({
      root: findRepoRoot(__dirname),
      stateDir,
      // No Slack settings: the stack must say it is not started, and not start it.
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], KAFKA_BROKERS: brokers },
      ports: { gateway: 0, archive: 0, email: 0, slack: 0, smtp: 0, inbox: 0 },
      consumerSuffix: suffix,
      log: (line) => lines.push(line),
    });
    const { state } = stack;
    expect(stack.startedKafka).toBe(false);
    expect(stack.children.map((c) => c.name).sort()).toEqual(['archive', 'email', 'gateway', 'maildev']);
    expect(lines.some((l) => l.startsWith('Slack is not started: set SLACK_WEBHOOK_URL'))).toBe(true);
    expect(state.webhookUrl).toBe(`${state.gatewayUrl}/altinn/events/${devToken(stateDir)}`);
    expect(readStackState(stateDir)).toEqual(state);

    const result = await runDemo(state, (line) => lines.push(line), 90_000);
    const published = result.posted.filter((p) => p.published);
    expect(result.posted.find((p) => p.name === 'validatesubscription')?.answer).toContain('validated');
    expect(published.length).toBe(result.posted.length - 1);
    expect(result.archived.sort()).toEqual(published.map((p) => p.id).sort());
    expect(result.mailed.sort()).toEqual(published.map((p) => p.fileTransferId).sort());

    const one = (await (
      await fetch(`${state.archiveUrl}/archive/events/${published[0]?.id ?? ''}`)
    ).json()) as {
      events: { id: string }[];
    };
    expect(one.events[0]?.id).toBe(published[0]?.id);
    const inbox = (await (await fetch(`${state.inboxUrl}/email`)).json()) as { to: { address: string }[] }[];
    expect(
      inbox.every((mail) => mail.to.some((t) => t.address === 'developer@broker-events.localhost')),
    ).toBe(true);

    const pids = stack.children.map((c) => c.process.pid);
    await stack.stop();
    expect(pids.filter(alive)).toEqual([]);
    // Each one drained and exited by itself on SIGTERM (no SIGKILL after the grace period).
    expect(stack.children.map((c) => c.process.exitCode ?? c.process.signalCode)).toEqual(
      stack.children.map(() => 0),
    );
    expect(readStackState(stateDir)).toBeUndefined();
    expect(readFileSync(join(stateDir, 'dev-token'), 'utf8').trim()).toMatch(/^[0-9a-f]{48}$/);
  });
});
