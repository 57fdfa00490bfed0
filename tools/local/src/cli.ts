/**
 * `npm start`: the whole system on this machine (Kafka, MailDev, gateway, consumers); Ctrl-C stops it.
 * `npm run demo`: posts the sample events to the running stack and shows where they arrived.
 *
 * Environment: KAFKA_BROKERS (use an existing cluster), ARCHIVE_DATABASE_URL (PostgreSQL for the archive),
 * SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN + SLACK_CHANNEL (start the Slack consumer), LOCAL_NO_BUILD=1 (skip the
 * nx build), LOCAL_STATE_DIR (default .cache/local), LOCAL_<APP>_PORT (GATEWAY, ARCHIVE, EMAIL, SLACK, SMTP,
 * INBOX). Any other app setting from the README's configuration reference is passed on to the apps.
 */
import { findRepoRoot } from './root';
import { runDemo } from './demo';
import { banner, defaultStateDir, readStackState, startLocalStack } from './stack';

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
    ports: {
      gateway: port('GATEWAY'),
      archive: port('ARCHIVE'),
      email: port('EMAIL'),
      slack: port('SLACK'),
      smtp: port('SMTP'),
      inbox: port('INBOX'),
      kafka: port('KAFKA'),
    },
    log,
    signal: interrupted.signal,
  });
  running.stop = stack.stop;
  log(banner(stack.state));
  // A child that dies on its own takes the stack down, so nothing half-runs unnoticed.
  for (const child of stack.children) {
    void child.exited.then((code) => {
      if (stopping) return;
      log(`${child.name} exited (${String(code)}); stopping everything.`);
      onSignal('SIGTERM');
    });
  }
}

async function demo(): Promise<void> {
  const state = readStackState(stateDir);
  if (state === undefined) {
    log('Nothing is running: start the system first with `npm start` (and keep it running).');
    process.exit(1);
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

const command = process.argv[2];
const main = command === 'start' ? start : command === 'demo' ? demo : undefined;
if (main === undefined) {
  log('usage: tsx tools/local/src/cli.ts start|demo');
  process.exit(2);
}
main().catch((error: unknown) => {
  log(`${command ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
