/**
 * `npm start`: the whole system on this machine (Kafka, MailDev, a local Altinn, gateway, consumers, poller,
 * file fetcher); Ctrl-C stops it.
 * `npm run demo`: with the local Altinn, a sender publishes files and the demo shows them pushed, fetched,
 * confirmed and caught up after a gateway outage; with a real Altinn, posts the sample events.
 * `npm run subscriptions:local -- <command>`: the subscriptions CLI against the running local Altinn.
 *
 * Environment: ALTINN_ENVIRONMENT (unset/local: the local Altinn; tt02 or production: the real one, with its
 * credentials and POLL_* / FETCH_* settings), LOCAL_ALTINN_TIME_SCALE (default 60), LOCAL_ALTINN=off (no local Altinn, poller, file fetcher), KAFKA_BROKERS (use an existing
 * cluster), ARCHIVE_DATABASE_URL (PostgreSQL for the archive), SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN + SLACK_CHANNEL
 * (start the Slack consumer), LOCAL_NO_BUILD=1 (skip the nx build), LOCAL_STATE_DIR (default .cache/local),
 * LOCAL_<NAME>_PORT (GATEWAY, ARCHIVE, EMAIL, SLACK, POLLER, FILE_FETCHER, ALTINN, MASKINPORTEN, CONTROL, SMTP,
 * INBOX, KAFKA). Any other app setting from the README's configuration reference is passed on to the apps.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findRepoRoot } from './root';
import { runDemo } from './demo';
import { localAltinnEnv } from './local-altinn';
import { banner, defaultStateDir, readStackState, startLocalStack } from './stack';
import { runStoryDemo } from './story';

const root = findRepoRoot(__dirname);
const stateDir = process.env['LOCAL_STATE_DIR'] ?? defaultStateDir(root);
const log = (line: string): void => {
  process.stdout.write(line + '\n');
};

function port(name: string): number | undefined {
  const raw = process.env[`LOCAL_${name}_PORT`];
  return raw === undefined || raw === '' ? undefined : Number(raw);
}

async function start(): Promise<void> {
  const startedAt = Date.now();
  const interrupted = new AbortController();
  const running: { stop?: () => Promise<void> } = {};
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    log(`\n${signal}: stopping everything …`);
    if (running.stop === undefined) {
      // Still starting: startLocalStack stops what is up so far and rejects; main() then exits.
      interrupted.abort();
      stopping = Promise.resolve();
      return;
    }
    stopping = running.stop().then(
      () => {
        log('Stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        log(`Stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const stack = await startLocalStack({
    root,
    stateDir,
    env: process.env,
    build: process.env['LOCAL_NO_BUILD'] !== '1',
    localAltinn: process.env['LOCAL_ALTINN'] !== 'off',
    ports: {
      gateway: port('GATEWAY'),
      archive: port('ARCHIVE'),
      email: port('EMAIL'),
      slack: port('SLACK'),
      poller: port('POLLER'),
      'file-fetcher': port('FILE_FETCHER'),
      altinn: port('ALTINN'),
      maskinporten: port('MASKINPORTEN'),
      control: port('CONTROL'),
      smtp: port('SMTP'),
      inbox: port('INBOX'),
      kafka: port('KAFKA'),
    },
    log,
    signal: interrupted.signal,
    // A child that dies on its own (not stopped by the demo) takes the stack down, so nothing half-runs unnoticed.
    onUnexpectedExit: (child, code) => {
      if (stopping) return;
      log(`${child.name} exited (${String(code)}); stopping everything.`);
      onSignal('SIGTERM');
    },
  });
  running.stop = stack.stop;
  log(banner(stack.state));
  log(`Started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
}

async function demo(): Promise<void> {
  const state = readStackState(stateDir);
  if (state === undefined) {
    log('Nothing is running: start the system first with `npm start` (and keep it running).');
    process.exit(1);
  }
  if (state.altinn) {
    const story = await runStoryDemo(state, log);
    log('');
    for (const s of story.steps) log(`${s.ok ? '✓' : '✗'} ${s.step}${s.ok ? '' : `: ${s.detail ?? ''}`}`);
    log(
      story.ok
        ? `\nEvery step happened. Mail inbox: ${state.inboxUrl}; fetched files: ${state.filesDir}`
        : '\nA step did not happen; see the npm start output.',
    );
    process.exit(story.ok ? 0 : 1);
  }
  const result = await runDemo(state, log);
  const expected = result.posted.filter((p) => p.published).length;
  const ok = result.archived.length === expected && result.mailed.length === expected;
  log(
    ok
      ? `\nOpen the inbox: ${state.inboxUrl}`
      : '\nSome events did not arrive in time; see the npm start output.',
  );
  process.exit(ok ? 0 : 1);
}

/** The subscriptions CLI with the local Altinn's credentials and the subscriptions file `npm start` wrote. */
async function subscriptions(): Promise<void> {
  const state = readStackState(stateDir);
  if (state?.altinn === undefined) {
    log(
      'No local Altinn is running: start it with `npm start` (without ALTINN_ENVIRONMENT) and keep it running.',
    );
    process.exit(1);
  }
  const args = process.argv.slice(3);
  const token = state.webhookUrl.split('/').pop() ?? '';
  const child = spawn(
    process.execPath,
    [
      join(root, 'node_modules/tsx/dist/cli.mjs'),
      '--tsconfig',
      join(root, 'tsconfig.base.json'),
      join(root, 'tools/subscriptions/src/cli.ts'),
      ...args,
      ...(args.includes('--file') || args.length === 0 || args.includes('--help') || args[0] === 'help'
        ? []
        : ['--file', join(stateDir, 'subscriptions.yaml')]),
      // The endpoint's https://gateway.localhost stands for the local gateway: probe it there.
      ...(args[0] === 'doctor' && !args.includes('--via') ? ['--via', state.gatewayUrl] : []),
      ...(args[0] === 'doctor' && !args.includes('--poller-url') && state.pollerUrl
        ? ['--poller-url', state.pollerUrl]
        : []),
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        ...localAltinnEnv(state.altinn, state.altinn.client),
        WEBHOOK_TOKEN: token,
        WEBHOOK_TOKENS: token,
      },
    },
  );
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  process.exit(code);
}

const command = process.argv[2];
const main =
  command === 'start'
    ? start
    : command === 'demo'
      ? demo
      : command === 'subscriptions'
        ? subscriptions
        : undefined;
if (main === undefined) {
  log('usage: tsx tools/local/src/cli.ts start|demo|subscriptions <args>');
  process.exit(2);
}
main().catch((error: unknown) => {
  log(`${command ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
