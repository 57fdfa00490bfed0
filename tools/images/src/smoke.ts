/**
 * `npm run images:smoke`: the built images, run as a cluster would run them.
 *
 * The gateway, archive and email images (built by `npm run images`) run as containers: read-only root,
 * `--cap-drop ALL`, no new privileges, uid 1000, tmpfs for /tmp and /app/data, host network against the local
 * Kafka (`KAFKA_BROKERS`, set by `kafka exec`) and an SMTP catcher in this process. Every sample event of
 * libs/contracts is posted to the gateway container; each must be archived (archive API) and mailed. Then
 * each container gets SIGTERM and must exit 0 inside its grace period. The images themselves must hold no
 * npm, npx, compiler or package cache, keep their HEALTHCHECK and run as uid 1000.
 *
 * Exit 0 = all of it held; anything else (with the containers' logs) = a broken image.
 */
import { randomBytes } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { loadSamples } from '@broker-events/contracts/testing';
import { freePort, until } from '@broker-events/testing';
import { APP_CONTAINER_FLAGS, must, podmanEnv, run } from './lib/podman';

const REPO = join(__dirname, '../../..');
const env = podmanEnv(join(REPO, '.cache/images'));
const prefix = process.env['IMAGE_PREFIX'] ?? 'broker-events-';
const tag = process.env['IMAGE_TAG'] ?? 'dev';
const image = (app: string): string => `${prefix}${app}:${tag}`;
const runId = randomBytes(3).toString('hex');
const name = (app: string): string => `smoke-${runId}-${app}`;
/** The apps' graceful-shutdown budget, and what the container runtime gives before SIGKILL (as Kubernetes). */
const SHUTDOWN_GRACE_MS = 20_000;
const STOP_TIMEOUT_S = 30;
const TOKEN = `smoke-${randomBytes(24).toString('hex')}`;
const log = (line: string): void => void process.stdout.write(`${line}\n`);
const started: string[] = [];

function podman(...args: string[]): string {
  return must('podman', args, { env });
}

/** Checks of the image itself, without running the app. */
function checkImage(app: string): void {
  const img = image(app);
  // podman puts the health check at the top level of its inspect output, Docker under Config.
  const inspect = JSON.parse(podman('image', 'inspect', img))[0] as {
    Healthcheck?: { Test?: string[] };
    Config?: { User?: string; Healthcheck?: { Test?: string[] } };
  };
  const healthcheck = inspect.Healthcheck ?? inspect.Config?.Healthcheck;
  const problems: string[] = [];
  if (inspect.Config?.User !== '1000:1000') problems.push(`USER is ${inspect.Config?.User}, not 1000:1000`);
  if (!(healthcheck?.Test ?? []).join(' ').includes('/health/live'))
    problems.push('no HEALTHCHECK on /health/live (built without --format docker?)');
  const probe = run(
    'podman',
    [
      'run',
      '--rm',
      '--network=none',
      '--user',
      '0',
      '--entrypoint',
      'sh',
      img,
      '-c',
      'for c in npm npx corepack yarn gcc g++ cc make python3; do command -v $c; done; ' +
        'ls -d /root/.npm /home/node/.npm /usr/local/lib/node_modules /usr/local/include/node 2>/dev/null; true',
    ],
    { env },
  );
  if (probe.status !== 0) problems.push(`cannot look inside: ${probe.stderr.trim()}`);
  for (const found of probe.stdout.trim().split('\n').filter(Boolean)) problems.push(`has ${found}`);
  if (problems.length > 0) throw new Error(`${img}: ${problems.join('; ')}`);
  log(`ok  ${img}: uid 1000, HEALTHCHECK, no npm/npx/compiler/package cache`);
}

function startContainer(app: string, appEnv: Record<string, string>): void {
  const args = [
    'run',
    '-d',
    '--name',
    name(app),
    ...APP_CONTAINER_FLAGS,
    '--stop-timeout',
    String(STOP_TIMEOUT_S),
  ];
  for (const [k, v] of Object.entries({
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
    ...appEnv,
  }))
    args.push('-e', `${k}=${v}`);
  podman(...args, image(app));
  started.push(name(app));
}

async function ok(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

function state(app: string): { running: boolean; exitCode: number } {
  const [running, exitCode] = podman(
    'inspect',
    '--format',
    '{{.State.Running}} {{.State.ExitCode}}',
    name(app),
  )
    .trim()
    .split(' ');
  return { running: running === 'true', exitCode: Number(exitCode) };
}

async function waitReady(app: string, port: number): Promise<void> {
  await until(
    `${app} container ready on :${port}`,
    async () => {
      if (!state(app).running) throw new Error(`${app} container exited:\n${logsOf(app)}`);
      return ok(`http://127.0.0.1:${port}/health/ready`);
    },
    90_000,
    250,
  );
  const hc = run('podman', ['healthcheck', 'run', name(app)], { env });
  if (hc.status !== 0) throw new Error(`${app}: HEALTHCHECK failed: ${hc.stdout}${hc.stderr}`);
  log(`ok  ${app} ready, HEALTHCHECK healthy`);
}

function logsOf(app: string): string {
  const r = run('podman', ['logs', '--tail', '60', name(app)], { env });
  return `${r.stdout}${r.stderr}`;
}

async function stopGracefully(app: string): Promise<void> {
  const t0 = Date.now();
  podman('kill', '--signal', 'TERM', name(app));
  await until(`${app} to exit after SIGTERM`, () => !state(app).running, STOP_TIMEOUT_S * 1000, 100);
  const ms = Date.now() - t0;
  const { exitCode } = state(app);
  if (exitCode !== 0) throw new Error(`${app} exited ${exitCode} after SIGTERM:\n${logsOf(app)}`);
  if (ms > SHUTDOWN_GRACE_MS)
    throw new Error(`${app} took ${ms} ms to stop, over its ${SHUTDOWN_GRACE_MS} ms grace`);
  log(`ok  ${app}: SIGTERM → exit 0 in ${ms} ms`);
}

async function main(): Promise<void> {
  const brokers = process.env['KAFKA_BROKERS'];
  if (!brokers)
    throw new Error('KAFKA_BROKERS is not set (run through `npm run images:smoke`, which starts Kafka)');
  const t0 = Date.now();
  for (const app of ['gateway', 'archive', 'email']) checkImage(app);

  const mails: ParsedMail[] = [];
  const smtp = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData: (stream, _session, callback) => {
      simpleParser(stream).then((m) => {
        mails.push(m);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  try {
    const [gatewayPort, gatewayMetricsPort, archivePort, emailPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const kafka = {
      KAFKA_BROKERS: brokers,
      KAFKA_CREATE_TOPICS: 'true',
      KAFKA_TOPIC_REPLICATION_FACTOR: '1',
    };
    const consumer = { ...kafka, CONSUMER_START_FROM: 'earliest' };
    // As in Kubernetes: health and metrics on their own port (the HEALTHCHECK must follow it).
    startContainer('gateway', {
      ...kafka,
      PORT: String(gatewayPort),
      METRICS_PORT: String(gatewayMetricsPort),
      WEBHOOK_TOKENS: TOKEN,
    });
    await waitReady('gateway', gatewayMetricsPort);
    startContainer('archive', {
      ...consumer,
      PORT: String(archivePort),
      CONSUMER_NAME: `archive-smoke-${runId}`,
    });
    // One after the other: each creates its retry and dead-letter topics at start-up, and two apps doing that
    // at once on a fresh broker can fail a metadata request ("does not host this topic-partition").
    await waitReady('archive', archivePort);
    startContainer('email', {
      ...consumer,
      PORT: String(emailPort),
      CONSUMER_NAME: `email-smoke-${runId}`,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String((smtp.server.address() as AddressInfo).port),
      SMTP_STARTTLS: 'never',
      EMAIL_FROM: 'noreply@broker-events.example',
      EMAIL_ROUTES: JSON.stringify([{ name: 'everything', to: ['ops@example.no'] }]),
    });
    await waitReady('email', emailPort);

    const samples = loadSamples().filter((s) => s.expected.kind === 'broker');
    if (samples.length === 0) throw new Error('no broker samples in libs/contracts');
    const ids: string[] = [];
    for (const s of samples) {
      const res = await fetch(`http://127.0.0.1:${gatewayPort}/altinn/events/${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: s.raw,
      });
      if (!res.ok) throw new Error(`gateway answered ${res.status} to ${s.name}: ${await res.text()}`);
      ids.push(String((s.body as { id: unknown }).id));
    }
    log(`ok  ${samples.length} sample events accepted by the gateway container`);

    const archived = new Set<string>();
    await until(
      `every sample archived (${ids.length})`,
      async () => {
        for (const id of ids)
          if (
            !archived.has(id) &&
            (await ok(`http://127.0.0.1:${archivePort}/archive/events/${encodeURIComponent(id)}`))
          )
            archived.add(id);
        return archived.size === ids.length;
      },
      60_000,
      250,
    );
    log(`ok  all ${ids.length} archived`);
    const mailed = (id: string): boolean =>
      mails.some((m) => `${m.subject ?? ''}\n${m.text ?? ''}`.includes(id));
    await until(`every sample mailed (${ids.length})`, () => ids.every(mailed), 60_000, 250);
    log(`ok  all ${ids.length} mailed`);

    // Consumers first (as a rollout would stop them), then the gateway.
    for (const app of ['email', 'archive', 'gateway']) await stopGracefully(app);
    log(`images:smoke passed in ${Math.round((Date.now() - t0) / 1000)} s`);
  } catch (error) {
    for (const c of started) {
      const app = c.replace(`smoke-${runId}-`, '');
      process.stderr.write(`\n--- logs of ${app} ---\n${logsOf(app)}\n`);
    }
    throw error;
  } finally {
    await new Promise<void>((r) => smtp.close(() => r()));
    for (const c of started) run('podman', ['rm', '-f', '-t', '0', c], { env });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`images:smoke FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
