import { type RunningKafka, startKafka, stopKafka } from '@broker-events/kafka-local';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALTINN_SCOPES, brokerSubscriptions } from '@broker-events/contracts';
import { loadConfig } from '@broker-events/config';
import { altinnConfigSchema, createAltinnClient } from '@broker-events/altinn-client';
import { startControlServer } from './control';
import {
  DEFAULT_TIME_SCALE,
  type LocalAltinn,
  type LocalAltinnInfo,
  localAltinnEnv,
  startLocalAltinn,
} from './local-altinn';
import { consoleClient } from './identity-provider';
import { formatLine, isWorthShowing } from './log-format';
import { type Child, type Env, portOrFree, run, startChild, stopChild, waitForHttp } from './processes';

/**
 * The apps `npm start` runs. poller and file-fetcher talk to the local Altinn (or to TT02/production when
 * ALTINN_ENVIRONMENT says so); slack only runs with Slack settings.
 */
export const LOCAL_APPS = [
  'gateway',
  'archive',
  'email',
  'slack',
  'poller',
  'file-fetcher',
  'console',
] as const;
export type LocalApp = (typeof LOCAL_APPS)[number];
type PortName = LocalApp | 'smtp' | 'inbox' | 'altinn' | 'maskinporten' | 'control' | 'identity';

/** Every address the running stack offers, written to `<stateDir>/stack.json` for `npm run demo`. */
export interface StackState {
  gatewayUrl: string;
  webhookUrl: string;
  archiveUrl: string;
  emailUrl: string;
  slackUrl?: string;
  pollerUrl?: string;
  fileFetcherUrl?: string;
  /** The web console (sign in at the local identity provider: viewer/viewer or operator/operator). */
  consoleUrl: string;
  /** The local OpenID provider the console signs in with. */
  identityUrl: string;
  /** Where the file fetcher writes the files (`<filesDir>/<fileTransferId>/<fileName>`). */
  filesDir: string;
  inboxUrl: string;
  kafkaBrokers: string;
  /** The stack's control API (stop/start an app, the local Altinn's pushes): see control.ts. */
  controlUrl: string;
  /** `local`, or the real environment the poller and the file fetcher use. */
  altinnEnvironment: 'local' | 'tt02' | 'production';
  /** The local Altinn, when it runs. */
  altinn?: LocalAltinnInfo;
  pid: number;
}

export interface LocalStackOptions {
  /** Workspace root (built apps in dist/apps, node_modules). */
  root: string;
  /** Where the dev token, keys, SQLite files, fetched files and stack.json live. Default <root>/.cache/local. */
  stateDir?: string;
  /**
   * The user's environment: KAFKA_BROKERS, ARCHIVE_DATABASE_URL, SLACK_*, ALTINN_ENVIRONMENT (+ credentials), and
   * any app setting to pass on.
   */
  env: Env;
  /** Preferred ports; a taken one is replaced by a free one. 0 = any free port. */
  ports?: Partial<Record<PortName | 'kafka', number>>;
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
  /**
   * With no real Altinn environment configured: start the local Altinn, the poller and the file fetcher (default
   * true). false leaves all three out (gateway and consumers only).
   */
  localAltinn?: boolean;
  /** Called when an app exits that nobody stopped (the CLI then stops everything). */
  onUnexpectedExit?: (child: Child, code: number | NodeJS.Signals) => void;
}

export interface LocalStack {
  readonly state: StackState;
  /** Every child started so far, stopped ones included (an app started again appears twice). */
  readonly children: readonly Child[];
  /** True when the stack started the Kafka broker (and so stops it). */
  readonly startedKafka: boolean;
  /** The local Altinn, when it runs. */
  readonly altinn?: LocalAltinn;
  /** Stops one app (SIGTERM, drained); the rest keeps running. */
  stopApp(name: LocalApp): Promise<void>;
  /** Starts a stopped app again; resolves when it is ready. */
  startApp(name: LocalApp): Promise<void>;
  stop(): Promise<void>;
}

/** How long the local identity provider may take before it is started again (it is ready in ~3 s). */
const IDENTITY_RETRY_AFTER_MS = 45_000;

const DEFAULT_PORTS = {
  gateway: 8080,
  email: 8081,
  slack: 8082,
  archive: 8083,
  poller: 8084,
  'file-fetcher': 8085,
  altinn: 8086,
  maskinporten: 8087,
  control: 8088,
  console: 8089,
  identity: 8090,
  smtp: 1025,
  inbox: 1080,
  kafka: 19092,
} as const;

/** The address every email goes to locally: MailDev catches it whatever it is. */
export const DEV_MAIL_ADDRESS = 'developer@broker-events.localhost';

/** `local` (the default) or a real environment; anything else is a mistake worth stopping for. */
export function altinnEnvironmentOf(env: Env): 'local' | 'tt02' | 'production' {
  const value = env['ALTINN_ENVIRONMENT']?.trim() || 'local';
  if (value === 'local' || value === 'tt02' || value === 'production') return value;
  throw new Error(`ALTINN_ENVIRONMENT=${value}: use local (the default), tt02 or production`);
}

export function defaultStateDir(root: string): string {
  return join(root, '.cache', 'local');
}

/** A random secret kept in `<stateDir>/<name>` (created on first use), so sessions survive a restart of the stack. */
function localSecret(stateDir: string, name: string): string {
  const file = join(stateDir, name);
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length >= 32) return value;
  }
  const value = randomBytes(32).toString('hex');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, value + '\n', { mode: 0o600 });
  return value;
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
 * Brings up the whole system on this machine: Kafka (unless KAFKA_BROKERS is set), MailDev, the local Altinn
 * (unless ALTINN_ENVIRONMENT names a real one), the gateway with a validated subscription, every consumer that can
 * run without outside credentials, the poller and the file fetcher. Resolves once all of them are ready.
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
  const running = new Map<string, Child>();
  let kafka: RunningKafka | undefined;
  let kafkaPort = 0;
  let altinn: LocalAltinn | undefined;
  let control: { url: string; close(): Promise<void> } | undefined;
  let stopping = false;
  let stopped: Promise<void> | undefined;

  const stopNamed = async (names: readonly string[]): Promise<void> => {
    const group = names.map((n) => running.get(n)).filter((c): c is Child => c !== undefined);
    for (const c of group) running.delete(c.name);
    await Promise.all(group.map((c) => stopChild(c, 30_000)));
  };

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      rmSync(join(stateDir, 'stack.json'), { force: true });
      await control?.close();
      // The producers first (no new intake), then the consumers drain, then the inbox, Altinn and Kafka.
      await stopNamed(['console', 'identity-provider']);
      await stopNamed(['gateway', 'poller']);
      await stopNamed(['archive', 'email', 'slack', 'file-fetcher']);
      await stopNamed(['maildev']);
      await altinn?.close();
      if (kafka?.startedByUs) {
        log('Stopping the local Kafka broker …');
        await stopKafka({ port: kafkaPort, log: (l) => log(formatLine('kafka', l)) });
      }
    })();
    return stopped;
  };

  const watch = (child: Child): void => {
    void child.exited.then((code) => {
      // Stopped by us (stop, stopApp) or replaced: nothing to report.
      if (stopping || running.get(child.name) !== child) return;
      running.delete(child.name);
      options.onUnexpectedExit?.(child, code);
    });
  };

  const checkpoint = (): void => {
    if (options.signal?.aborted) throw new Error('interrupted while starting');
  };

  try {
    const environment = altinnEnvironmentOf(env);
    const ports = await choosePorts(options.ports ?? {});
    const externalBrokers = env['KAFKA_BROKERS']?.trim() || undefined;
    const token = devToken(stateDir);
    const webhookPath = `/altinn/events/${token}`;
    const steps: Promise<unknown>[] = [];
    const withAltinnApps = environment !== 'local' || (options.localAltinn ?? true);
    const buildList = LOCAL_APPS.filter((a) => withAltinnApps || (a !== 'poller' && a !== 'file-fetcher'));
    const toBuild = buildList.join(', ');
    if (options.build ?? true) {
      log(`Building ${toBuild} (a minute or two the first time, cached after that) …`);
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
            buildList.join(','),
            '--outputStyle=stream',
          ],
          {
            cwd: root,
            env: { ...env, NX_DAEMON: 'false', NX_TUI: 'false' },
            onLine: (name, line) => buildOutput.push(formatLine(name, line)),
          },
        ).then(
          () => log(`Built ${toBuild}.`),
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
    if (environment === 'local' && !withAltinnApps) {
      log('The local Altinn, the poller and the file fetcher are not started (localAltinn: false).');
    } else if (environment === 'local') {
      const timeScale = Number(env['LOCAL_ALTINN_TIME_SCALE'] || DEFAULT_TIME_SCALE);
      if (!Number.isFinite(timeScale) || timeScale < 1)
        throw new Error('LOCAL_ALTINN_TIME_SCALE must be a number of at least 1');
      steps.push(
        startLocalAltinn({
          stateDir,
          gatewayPort: ports.gateway,
          webhookPath,
          ports: { platform: ports.altinn, maskinporten: ports.maskinporten },
          timeScale,
        }).then((a) => {
          altinn = a;
          log(
            `Local Altinn (Maskinporten ${a.info.maskinportenUrl}, platform ${a.info.platformUrl}; ALTINN_ENVIRONMENT=tt02 with credentials uses the real one) is up.`,
          );
        }),
      );
    } else {
      log(
        `Altinn: the real ${environment} environment (ALTINN_ENVIRONMENT); the local Altinn is not started.`,
      );
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
    running.set('maildev', maildev);
    watch(maildev);

    // The console's login: a local OpenID provider with the users viewer and operator (password = name).
    const consoleUrl = `http://127.0.0.1:${ports.console}`;
    const identityUrl = `http://127.0.0.1:${ports.identity}`;
    const clientSecret = localSecret(stateDir, 'console-client-secret');
    const startIdentity = (): Child => {
      const child = startChild(
        'identity-provider',
        process.execPath,
        [
          // tsx as a loader in this one process, not its CLI: the CLI runs the script in a child and, when that
          // child does not acknowledge a relayed SIGTERM within ~60 ms (a busy machine), kills it and exits 143.
          '--import',
          'tsx',
          join(root, 'tools/local/src/identity-provider.ts'),
          JSON.stringify({
            port: ports.identity,
            issuer: identityUrl,
            clients: [consoleClient(consoleUrl, clientSecret)],
          }),
        ],
        { cwd: root, env, onLine },
      );
      children.push(child);
      running.set('identity-provider', child);
      watch(child);
      return child;
    };
    let identity = startIdentity();
    /**
     * The provider is ready in ~3 s. Once in CI it stayed alive without ever listening (after loading
     * oidc-provider, through tsx's loader): one that is not ready within IDENTITY_RETRY_AFTER_MS is started again.
     */
    const identityReady = async (): Promise<void> => {
      const url = `${identityUrl}/.well-known/openid-configuration`;
      const first = Math.min(IDENTITY_RETRY_AFTER_MS, readyTimeoutMs);
      try {
        await waitForHttp(url, identity, first, options.signal);
        return;
      } catch (error) {
        if (first >= readyTimeoutMs || !/not ready within/.test(String(error))) throw error;
      }
      log(formatLine('identity-provider', `not ready after ${first / 1000} s: starting it again`));
      const stuck = identity;
      running.delete(stuck.name);
      await stopChild(stuck, 2000);
      children.splice(children.indexOf(stuck), 1);
      identity = startIdentity();
      await waitForHttp(url, identity, readyTimeoutMs - first, options.signal);
    };

    const common = {
      ...env,
      KAFKA_BROKERS: brokers,
      HOST: '127.0.0.1',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    };
    // On a cluster of someone else's, never join the real groups (archive-server, …): that would take partitions
    // from the deployed consumers. The local consumers there are archive-local, email-local (groups *-local-server).
    const suffix = options.consumerSuffix ?? (externalBrokers ? '-local' : '');
    const altinnEnv = altinn ? localAltinnEnv(altinn.info, altinn.info.client) : {};
    const scale = altinn?.info.timeScale ?? 1;
    const filesDir = env['STORAGE_DIR'] ?? join(stateDir, 'files');
    const appEnv: Partial<Record<LocalApp, Env>> = {
      gateway: { ...common, PORT: String(ports.gateway), WEBHOOK_TOKENS: token },
      console: {
        ...common,
        PORT: String(ports.console),
        ARCHIVE_URL: `http://127.0.0.1:${ports.archive}`,
        ...(withAltinnApps ? { POLLER_URL: `http://127.0.0.1:${ports.poller}` } : {}),
        CONSOLE_PUBLIC_URL: consoleUrl,
        OIDC_ISSUER: identityUrl,
        OIDC_CLIENT_ID: consoleClient(consoleUrl, clientSecret).clientId,
        OIDC_CLIENT_SECRET: clientSecret,
        SESSION_SECRET: localSecret(stateDir, 'console-session-secret'),
        CONSOLE_COOKIE_SECURE: 'false',
        CONSOLE_SQLITE_PATH: join(stateDir, 'console.sqlite'),
        CONSOLE_CONSUMERS: [
          `archive${suffix}`,
          `email${suffix}`,
          ...(env['SLACK_WEBHOOK_URL'] || env['SLACK_BOT_TOKEN'] ? [`slack${suffix}`] : []),
          ...(withAltinnApps ? [`file-fetcher${suffix}`] : []),
        ].join(','),
      },
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
    // With the local Altinn: its resource and our organisation, and its intervals compressed like its clock.
    // With a real environment: the user's settings (POLL_*, FETCH_*, credentials) as they are.
    if (withAltinnApps) {
      appEnv.poller = {
        ...common,
        ...altinnEnv,
        PORT: String(ports.poller),
        POLLER_SQLITE_PATH: env['POLLER_SQLITE_PATH'] ?? join(stateDir, 'poller.sqlite'),
        ...(altinn
          ? {
              POLL_RESOURCES: altinn.info.resourceId,
              POLL_ORGANISATION_NUMBER: altinn.info.client.organisationNumber,
              POLL_INTERVAL_SECONDS:
                env['POLL_INTERVAL_SECONDS'] ?? String(Math.max(1, Math.round(300 / scale))),
              // Every start is a fresh local Altinn: it holds nothing old, and a saved cursor is an id it does
              // not know, which GET /events answers from the beginning (as Altinn does).
              POLL_INITIAL_CURSOR: 'beginning',
            }
          : {}),
      };
      appEnv['file-fetcher'] = {
        ...common,
        ...altinnEnv,
        PORT: String(ports['file-fetcher']),
        CONSUMER_NAME: `file-fetcher${suffix}`,
        STORAGE_DIR: filesDir,
        FETCH_SQLITE_PATH: env['FETCH_SQLITE_PATH'] ?? join(stateDir, 'file-fetcher.sqlite'),
        IDEMPOTENCY_SQLITE_PATH: join(stateDir, 'file-fetcher-processed.sqlite'),
        ...(altinn
          ? {
              FETCH_RESOURCES: altinn.info.resourceId,
              FETCH_ORGANISATION_NUMBER: altinn.info.client.organisationNumber,
              RECONCILE_INTERVAL_SECONDS:
                env['RECONCILE_INTERVAL_SECONDS'] ?? String(Math.max(1, Math.round(900 / scale))),
            }
          : {}),
      };
    }
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
      running.set(name, child);
      watch(child);
      return child;
    };
    const ready = (name: LocalApp, child: Child): Promise<void> =>
      waitForHttp(`http://127.0.0.1:${ports[name]}/health/ready`, child, readyTimeoutMs, options.signal);
    const startApp = async (name: LocalApp): Promise<void> => {
      if (appEnv[name] === undefined) throw new Error(`${name} is not configured to run`);
      if (running.has(name)) return;
      await ready(name, launch(name));
    };
    const stopApp = async (name: LocalApp): Promise<void> => {
      await stopNamed([name]);
    };

    // The gateway creates the events topic, so the consumers start once it is ready.
    await Promise.all([
      startApp('gateway'),
      waitForHttp(`http://127.0.0.1:${ports.inbox}/email`, maildev, readyTimeoutMs, options.signal),
      identityReady(),
    ]);
    checkpoint();
    if (altinn) {
      await ensureLocalSubscription(altinn, readyTimeoutMs, log);
      checkpoint();
    }
    const others = (['archive', 'email', 'slack', 'file-fetcher', 'poller', 'console'] as const).filter(
      (n) => appEnv[n] !== undefined,
    );
    await Promise.all(others.map((name) => startApp(name)));
    checkpoint();

    const local = altinn;
    control = await startControlServer(
      {
        apps: LOCAL_APPS.filter((n) => appEnv[n] !== undefined),
        stopApp: (name) => stopApp(name as LocalApp),
        startApp: (name) => startApp(name as LocalApp),
        isRunning: (name) => running.has(name),
        ...(local ? { webhookDeliveries: () => local.platform.webhookDeliveries() } : {}),
      },
      ports.control,
    );

    const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
    const state: StackState = {
      gatewayUrl,
      webhookUrl: `${gatewayUrl}${webhookPath}`,
      archiveUrl: `http://127.0.0.1:${ports.archive}`,
      consoleUrl,
      identityUrl,
      emailUrl: `http://127.0.0.1:${ports.email}`,
      ...(slackConfigured ? { slackUrl: `http://127.0.0.1:${ports.slack}` } : {}),
      ...(withAltinnApps
        ? {
            pollerUrl: `http://127.0.0.1:${ports.poller}`,
            fileFetcherUrl: `http://127.0.0.1:${ports['file-fetcher']}`,
          }
        : {}),
      filesDir,
      inboxUrl: `http://127.0.0.1:${ports.inbox}`,
      kafkaBrokers: brokers,
      controlUrl: control.url,
      altinnEnvironment: environment,
      ...(altinn ? { altinn: altinn.info } : {}),
      pid: process.pid,
    };
    if (altinn) writeSubscriptionsFile(stateDir, altinn.info);
    writeFileSync(join(stateDir, 'stack.json'), JSON.stringify(state, null, 2) + '\n');
    return {
      state,
      children,
      startedKafka: kafka?.startedByUs ?? false,
      ...(altinn ? { altinn } : {}),
      stopApp,
      startApp,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The subscription a deployment makes with `npm run subscriptions -- ensure`: our organisation's events on the
 * local resource, pushed to the gateway. Made with our own Maskinporten client (JWT grant, token exchange), then
 * waited for until the handshake validated it, as Altinn pushes nothing before.
 */
async function ensureLocalSubscription(
  altinn: LocalAltinn,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const { info } = altinn;
  const cfg = loadConfig('local', altinnConfigSchema, localAltinnEnv(info, info.client));
  const client = createAltinnClient(cfg, { defaultScopes: [ALTINN_SCOPES.eventsSubscribe] });
  const [request] = brokerSubscriptions({
    environment: 'tt02',
    resourceId: info.resourceId,
    organisationNumber: info.client.organisationNumber,
    endPoint: info.subscriptionEndpoint,
  });
  if (request === undefined) throw new Error('no subscription request for the local resource');
  const sub = await client.events.createSubscription(request);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await client.events.getSubscription(sub.id);
    if (current.validated) break;
    if (Date.now() > deadline)
      throw new Error(
        `the local Altinn's subscription #${sub.id} was not validated by the gateway's handshake`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  log(
    `Subscription #${sub.id} (${info.resourceId}, our organisation ${info.client.organisationNumber}) validated: the local Altinn pushes to the gateway.`,
  );
}

/** `<stateDir>/subscriptions.yaml`: the local subscription as code, for `npm run subscriptions:local -- plan`. */
function writeSubscriptionsFile(stateDir: string, info: LocalAltinnInfo): void {
  const text = [
    "# The local Altinn's subscription (written by npm start). Try: npm run subscriptions:local -- plan|ensure|list",
    'environment: tt02 # the local Altinn behaves as TT02; ALTINN_PLATFORM_URL and MASKINPORTEN_URL point at it',
    `organisationNumber: '${info.client.organisationNumber}'`,
    `endPoint: ${info.subscriptionEndpoint.replace(/[^/]+$/, '${WEBHOOK_TOKEN}')}`,
    'validationGraceMinutes: 1',
    'subscriptions:',
    `  - resource: ${info.resourceId}`,
    '',
  ].join('\n');
  writeFileSync(join(stateDir, 'subscriptions.yaml'), text);
}

async function choosePorts(
  preferred: Partial<Record<PortName | 'kafka', number>>,
): Promise<Record<PortName, number>> {
  const out: Partial<Record<PortName, number>> = {};
  const taken = new Set<number>();
  const names: PortName[] = [
    'gateway',
    'email',
    'slack',
    'archive',
    'poller',
    'file-fetcher',
    'altinn',
    'maskinporten',
    'control',
    'console',
    'identity',
    'smtp',
    'inbox',
  ];
  for (const key of names) {
    let port = await portOrFree(preferred[key] ?? DEFAULT_PORTS[key]);
    while (taken.has(port)) port = await portOrFree(0);
    taken.add(port);
    out[key] = port;
  }
  return out as Record<PortName, number>;
}

/** The lines `npm start` prints once everything is up. */
export function banner(state: StackState): string {
  const now = new Date();
  const from = new Date(now.getTime() - 24 * 3600_000).toISOString();
  const to = new Date(now.getTime() + 24 * 3600_000).toISOString();
  const a = state.altinn;
  return [
    '',
    'broker-events is running.',
    '',
    `  Webhook (POST CloudEvents here):  ${state.webhookUrl}`,
    `  Console:                          ${state.consoleUrl}  (sign in as viewer/viewer or operator/operator)`,
    `  Mail inbox (MailDev):             ${state.inboxUrl}`,
    `  Archive API:                      ${state.archiveUrl}/archive/events?on=received&from=${from}&to=${to}`,
    ...(state.fileFetcherUrl
      ? [
          `  Fetched files:                    ${state.filesDir}  (outcomes: ${state.fileFetcherUrl}/files/<fileTransferId>)`,
        ]
      : []),
    `  Health and metrics:               ${state.gatewayUrl}/health/ready, ${state.gatewayUrl}/metrics (${[
      `archive ${state.archiveUrl}`,
      `email ${state.emailUrl}`,
      ...(state.pollerUrl ? [`poller ${state.pollerUrl}`] : []),
      ...(state.fileFetcherUrl ? [`file-fetcher ${state.fileFetcherUrl}`] : []),
      ...(state.slackUrl ? [`slack ${state.slackUrl}`] : []),
    ].join(', ')})`,
    `  Kafka:                            ${state.kafkaBrokers}`,
    a
      ? `  Altinn:                           local (platform ${a.platformUrl}, Maskinporten ${a.maskinportenUrl}, resource ${a.resourceId}, us ${a.client.organisationNumber}; its clock runs ${a.timeScale}× faster)`
      : `  Altinn:                           ${state.altinnEnvironment} (ALTINN_ENVIRONMENT)`,
    state.slackUrl
      ? '  Slack:                            posting (SLACK_WEBHOOK_URL / SLACK_BOT_TOKEN set)'
      : '  Slack:                            not started (no SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN)',
    '',
    a
      ? '  In another terminal: npm run demo   (a sender publishes files in the local Broker; watch them be pushed, fetched, confirmed, and caught up after an outage)'
      : '  In another terminal: npm run demo   (posts the sample events and shows where they arrived)',
    ...(a
      ? [
          '                      npm run subscriptions:local -- plan|ensure|list   (subscriptions as code, against the local Altinn)',
        ]
      : []),
    '  Ctrl-C stops everything.',
    '',
  ].join('\n');
}
