import { type RunningKafka, startKafka, stopKafka } from '@broker-events/kafka-local';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLine, isWorthShowing } from './log-format';
import { type Child, type Env, portOrFree, run, startChild, stopChild, waitForHttp } from './processes';

/** The apps `npm start` runs. poller and file-fetcher need Altinn credentials, so they are not among them. */
export const LOCAL_APPS = ['gateway', 'archive', 'email', 'slack'] as const;
export type LocalApp = (typeof LOCAL_APPS)[number];

/** Every address the running stack offers, written to `<stateDir>/stack.json` for `npm run demo`. */
export interface StackState {
  gatewayUrl: string;
  webhookUrl: string;
  archiveUrl: string;
  emailUrl: string;
  slackUrl?: string;
  inboxUrl: string;
  kafkaBrokers: string;
  pid: number;
}

export interface LocalStackOptions {
  /** Workspace root (built apps in dist/apps, node_modules). */
  root: string;
  /** Where the dev token, SQLite files and stack.json live. Default <root>/.cache/local. */
  stateDir?: string;
  /** The user's environment: KAFKA_BROKERS, ARCHIVE_DATABASE_URL, SLACK_*, and any app setting to pass on. */
  env: Env;
  /** Preferred ports; a taken one is replaced by a free one. 0 = any free port. */
  ports?: Partial<Record<LocalApp | 'smtp' | 'inbox' | 'kafka', number>>;
  /** Build the apps first (nx, cached). Default true. */
  build?: boolean;
  /**
   * Suffix for consumer names (their groups and retry/DLQ topics). Default: none on our own broker, `-local` with
   * KAFKA_BROKERS, so the stack never joins the groups of deployed consumers.
   */
  consumerSuffix?: string;
  /** Where progress and the children's condensed log lines go. */
  log: (line: string) => void;
  readyTimeoutMs?: number;
  /** Ctrl-C while starting: stop what is up so far (Kafka included, if this started it) and reject. */
  signal?: AbortSignal;
}

export interface LocalStack {
  readonly state: StackState;
  readonly children: readonly Child[];
  /** True when the stack started the Kafka broker (and so stops it). */
  readonly startedKafka: boolean;
  stop(): Promise<void>;
}

const DEFAULT_PORTS = {
  gateway: 8080,
  email: 8081,
  slack: 8082,
  archive: 8083,
  smtp: 1025,
  inbox: 1080,
  kafka: 19092,
} as const;

/** The address every email goes to locally: MailDev catches it whatever it is. */
export const DEV_MAIL_ADDRESS = 'developer@broker-events.localhost';

export function defaultStateDir(root: string): string {
  return join(root, '.cache', 'local');
}

/** A 48-character token kept in `<stateDir>/dev-token`, so the webhook URL stays the same across runs. */
export function devToken(stateDir: string): string {
  const file = join(stateDir, 'dev-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(token)) return token;
  }
  const token = randomBytes(24).toString('hex');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

export function readStackState(stateDir: string): StackState | undefined {
  const file = join(stateDir, 'stack.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as StackState;
}

/**
 * Brings up the whole system on this machine: Kafka (unless KAFKA_BROKERS is set), MailDev, the gateway and
 * every consumer that can run without outside credentials. Resolves once all of them are ready.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { root, env, log } = options;
  const stateDir = options.stateDir ?? defaultStateDir(root);
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  mkdirSync(stateDir, { recursive: true });
  const onLine = (name: string, line: string): void => {
    if (isWorthShowing(line)) log(formatLine(name, line));
  };
  const children: Child[] = [];
  let kafka: RunningKafka | undefined;
  let kafkaPort = 0;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    rmSync(join(stateDir, 'stack.json'), { force: true });
    // The gateway first (no new intake), then the consumers drain, then the inbox, then Kafka.
    const gateway = children.filter((c) => c.name === 'gateway');
    const consumers = children.filter((c) => c.name !== 'gateway' && c.name !== 'maildev');
    const maildev = children.filter((c) => c.name === 'maildev');
    for (const group of [gateway, consumers, maildev]) {
      await Promise.all(group.map((c) => stopChild(c, 30_000)));
    }
    if (kafka?.startedByUs) {
      log('Stopping the local Kafka broker …');
      await stopKafka({ port: kafkaPort, log: (l) => log(formatLine('kafka', l)) });
    }
  };

  const checkpoint = (): void => {
    if (options.signal?.aborted) throw new Error('interrupted while starting');
  };

  try {
    const ports = await choosePorts(options.ports ?? {});
    const externalBrokers = env['KAFKA_BROKERS']?.trim() || undefined;
    const steps: Promise<unknown>[] = [];
    if (options.build ?? true) {
      log(`Building ${LOCAL_APPS.join(', ')} (a minute or two the first time, cached after that) …`);
      // Webpack's output is only worth reading when the build fails.
      const buildOutput: string[] = [];
      steps.push(
        run(
          'build',
          process.execPath,
          [
            join(root, 'node_modules/.bin/nx'),
            'run-many',
            '-t',
            'build',
            '-p',
            LOCAL_APPS.join(','),
            '--outputStyle=stream',
          ],
          {
            cwd: root,
            env: { ...env, NX_DAEMON: 'false', NX_TUI: 'false' },
            onLine: (name, line) => buildOutput.push(formatLine(name, line)),
          },
        ).then(
          () => log(`Built ${LOCAL_APPS.join(', ')}.`),
          (error: unknown) => {
            for (const line of buildOutput.slice(-200)) log(line);
            throw error;
          },
        ),
      );
    }
    if (externalBrokers === undefined) {
      kafkaPort = options.ports?.kafka ?? DEFAULT_PORTS.kafka;
      log(`Starting Kafka on 127.0.0.1:${kafkaPort} (the first run downloads it with Maven) …`);
      steps.push(
        startKafka({ port: kafkaPort, log: (l) => log(formatLine('kafka', l)) }).then((k) => (kafka = k)),
      );
    } else {
      log(`Using the Kafka cluster at ${externalBrokers} (KAFKA_BROKERS).`);
    }
    await Promise.all(steps);
    checkpoint();
    const brokers = externalBrokers ?? kafka?.brokers ?? '';

    const maildev = startChild(
      'maildev',
      process.execPath,
      [
        join(root, 'node_modules/maildev/bin/maildev'),
        '--smtp',
        String(ports.smtp),
        '--web',
        String(ports.inbox),
        '--ip',
        '127.0.0.1',
        '--silent',
      ],
      { cwd: root, env, onLine },
    );
    children.push(maildev);

    const token = devToken(stateDir);
    const common = {
      ...env,
      KAFKA_BROKERS: brokers,
      HOST: '127.0.0.1',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    };
    // On a cluster of someone else's, never join the real groups (archive-server, …): that would take partitions
    // from the deployed consumers. The local consumers there are archive-local, email-local (groups *-local-server).
    const suffix = options.consumerSuffix ?? (externalBrokers ? '-local' : '');
    const appEnv: Partial<Record<LocalApp, Env>> = {
      gateway: { ...common, PORT: String(ports.gateway), WEBHOOK_TOKENS: token },
      archive: {
        ...common,
        PORT: String(ports.archive),
        CONSUMER_NAME: `archive${suffix}`,
        ARCHIVE_SQLITE_PATH: join(stateDir, 'archive.sqlite'),
      },
      email: {
        ...common,
        PORT: String(ports.email),
        CONSUMER_NAME: `email${suffix}`,
        // Our own fresh broker has nothing old to replay; a shared cluster keeps the app's default (latest).
        CONSUMER_START_FROM: env['CONSUMER_START_FROM'] ?? (externalBrokers ? 'latest' : 'earliest'),
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(ports.smtp),
        SMTP_STARTTLS: 'never',
        EMAIL_FROM: env['EMAIL_FROM'] ?? '"broker-events (local)" <broker-events@localhost.localdomain>',
        EMAIL_ROUTES: env['EMAIL_ROUTES'] ?? JSON.stringify([{ name: 'everything', to: [DEV_MAIL_ADDRESS] }]),
        IDEMPOTENCY_SQLITE_PATH: join(stateDir, 'email-processed.sqlite'),
      },
    };
    const slackConfigured = Boolean(env['SLACK_WEBHOOK_URL'] || env['SLACK_BOT_TOKEN']);
    if (slackConfigured) {
      appEnv.slack = {
        ...common,
        PORT: String(ports.slack),
        CONSUMER_NAME: `slack${suffix}`,
        IDEMPOTENCY_SQLITE_PATH: join(stateDir, 'slack-processed.sqlite'),
      };
    } else {
      log(
        'Slack is not started: set SLACK_WEBHOOK_URL (or SLACK_BOT_TOKEN and SLACK_CHANNEL) to post events to Slack.',
      );
    }
    if (env['ARCHIVE_DATABASE_URL']) log('The archive uses ARCHIVE_DATABASE_URL (PostgreSQL).');

    const launch = (name: LocalApp): Child => {
      const main = join(root, 'dist/apps', name, 'main.js');
      if (!existsSync(main)) throw new Error(`${main} is missing: build it with npx nx build ${name}`);
      const child = startChild(name, process.execPath, ['--enable-source-maps', main], {
        cwd: root,
        env: appEnv[name] ?? env,
        onLine,
      });
      children.push(child);
      return child;
    };
    const ready = (name: LocalApp, child: Child): Promise<void> =>
      waitForHttp(`http://127.0.0.1:${ports[name]}/health/ready`, child, readyTimeoutMs, options.signal);

    // The gateway creates the events topic, so the consumers start once it is ready.
    await Promise.all([
      ready('gateway', launch('gateway')),
      waitForHttp(`http://127.0.0.1:${ports.inbox}/email`, maildev, readyTimeoutMs, options.signal),
    ]);
    checkpoint();
    const consumers = (['archive', 'email', 'slack'] as const).filter((n) => appEnv[n] !== undefined);
    await Promise.all(consumers.map((name) => ready(name, launch(name))));
    checkpoint();

    const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
    const state: StackState = {
      gatewayUrl,
      webhookUrl: `${gatewayUrl}/altinn/events/${token}`,
      archiveUrl: `http://127.0.0.1:${ports.archive}`,
      emailUrl: `http://127.0.0.1:${ports.email}`,
      ...(slackConfigured ? { slackUrl: `http://127.0.0.1:${ports.slack}` } : {}),
      inboxUrl: `http://127.0.0.1:${ports.inbox}`,
      kafkaBrokers: brokers,
      pid: process.pid,
    };
    writeFileSync(join(stateDir, 'stack.json'), JSON.stringify(state, null, 2) + '\n');
    return { state, children, startedKafka: kafka?.startedByUs ?? false, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function choosePorts(
  preferred: Partial<Record<LocalApp | 'smtp' | 'inbox' | 'kafka', number>>,
): Promise<Record<LocalApp | 'smtp' | 'inbox', number>> {
  const out: Partial<Record<LocalApp | 'smtp' | 'inbox', number>> = {};
  const taken = new Set<number>();
  for (const key of ['gateway', 'email', 'slack', 'archive', 'smtp', 'inbox'] as const) {
    let port = await portOrFree(preferred[key] ?? DEFAULT_PORTS[key]);
    while (taken.has(port)) port = await portOrFree(0);
    taken.add(port);
    out[key] = port;
  }
  return out as Record<LocalApp | 'smtp' | 'inbox', number>;
}

/** The lines `npm start` prints once everything is up. */
export function banner(state: StackState): string {
  const now = new Date();
  const from = new Date(now.getTime() - 24 * 3600_000).toISOString();
  const to = new Date(now.getTime() + 24 * 3600_000).toISOString();
  return [
    '',
    'broker-events is running.',
    '',
    `  Webhook (POST CloudEvents here):  ${state.webhookUrl}`,
    `  Mail inbox (MailDev):             ${state.inboxUrl}`,
    `  Archive API:                      ${state.archiveUrl}/archive/events?on=received&from=${from}&to=${to}`,
    `  Health and metrics:               ${state.gatewayUrl}/health/ready, ${state.gatewayUrl}/metrics (archive ${state.archiveUrl}, email ${state.emailUrl}${state.slackUrl ? `, slack ${state.slackUrl}` : ''})`,
    `  Kafka:                            ${state.kafkaBrokers}`,
    state.slackUrl
      ? '  Slack:                            posting (SLACK_WEBHOOK_URL / SLACK_BOT_TOKEN set)'
      : '  Slack:                            not started (no SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN)',
    '',
    '  In another terminal: npm run demo   (posts the sample events and shows where they arrived)',
    '  Ctrl-C stops everything.',
    '',
  ].join('\n');
}
