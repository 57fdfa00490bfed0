import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleClient, startIdentityProviderProcess } from '@broker-events/local';
import {
  type AppProcess,
  REPO_ROOT,
  dropPostgresSchema,
  freePort,
  startAppProcess,
} from '@broker-events/testing';
import { SmtpSink } from './smtp-sink';

export const PG = process.env['CONSOLE_E2E_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOKEN = 'console-e2e-webhook-token-0123456789abcdef';

/** A stand-in poller: its readiness and metrics say one resource has not moved for a day. */
async function stalledPoller(resource: string): Promise<Server> {
  const since = Math.floor(Date.now() / 1000) - 86400;
  const server = createServer((req, res) => {
    if (req.url === '/health/ready') {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'not ready', checks: { progress: false } }));
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        [
          `poller_stalled{resource="${resource}",service="poller"} 1`,
          `poller_cursor_moved_timestamp_seconds{resource="${resource}",service="poller"} ${since}`,
          `poller_last_success_timestamp_seconds{resource="${resource}",service="poller"} ${since + 60}`,
        ].join('\n') + '\n',
      );
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

/**
 * Everything the console tests drive, as real processes: the gateway, the archive and the email consumer (its own
 * consumer names and PostgreSQL schemas per run), an SMTP server that can refuse mail, a stalled stand-in poller,
 * the local OpenID provider, and the console itself.
 */
export class ConsoleSystem {
  readonly run = randomBytes(3).toString('hex');
  /** Our own resource: the email consumer routes only its events, so other tests' events on the shared topic pass by. */
  readonly resource = `urn:altinn:resource:console-e2e-${this.run}`;
  readonly emailConsumer = `email-ce2e-${this.run}`;
  readonly archiveConsumer = `archive-ce2e-${this.run}`;
  readonly smtp = new SmtpSink();
  readonly tmp = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  private readonly schemas = [`console_e2e_archive_${this.run}`, `console_e2e_audit_${this.run}`];
  private readonly processes: AppProcess[] = [];
  private poller?: Server;
  private idp?: { stop(): Promise<void> };
  gateway!: AppProcess;
  archive!: AppProcess;
  console!: AppProcess;
  consoleUrl = '';
  issuer = '';

  constructor(private readonly brokers: string) {}

  async start(): Promise<void> {
    await this.smtp.up();
    this.poller = await stalledPoller(this.resource);
    const consolePort = await freePort();
    this.consoleUrl = `http://127.0.0.1:${consolePort}`;
    const idpPort = await freePort();
    const secret = randomBytes(16).toString('hex');
    const idp = await startIdentityProviderProcess(REPO_ROOT, {
      port: idpPort,
      clients: [consoleClient(this.consoleUrl, secret)],
    });
    this.idp = idp;
    this.issuer = idp.issuer;
    const kafka = { KAFKA_BROKERS: this.brokers, LOG_LEVEL: 'warn' };
    const consumer = {
      ...kafka,
      CONSUMER_START_FROM: 'earliest',
      RETRY_IN_PLACE_ATTEMPTS: '1',
      RETRY_INITIAL_BACKOFF_MS: '50',
      RETRY_TOPIC_DELAYS_MS: '500',
      SHUTDOWN_GRACE_MS: '5000',
    };
    this.gateway = await this.start_('gateway', { ...kafka, WEBHOOK_TOKENS: TOKEN });
    [this.archive] = await Promise.all([
      this.start_('archive', {
        ...consumer,
        CONSUMER_NAME: this.archiveConsumer,
        ARCHIVE_DATABASE_URL: PG,
        ARCHIVE_DB_SCHEMA: this.schemas[0] ?? '',
      }),
      this.start_('email', {
        ...consumer,
        CONSUMER_NAME: this.emailConsumer,
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(this.smtp.port),
        SMTP_STARTTLS: 'never',
        SMTP_TIMEOUT_MS: '3000',
        EMAIL_FROM: 'noreply@broker-events.example',
        EMAIL_ROUTES: JSON.stringify([{ name: 'ops', resources: [this.resource], to: ['ops@example.no'] }]),
        IDEMPOTENCY_SQLITE_PATH: join(this.tmp, 'email.sqlite'),
      }),
    ]);
    this.console = await this.startConsole(consolePort, this.archiveUrl, {
      OIDC_ISSUER: this.issuer,
      OIDC_CLIENT_ID: consoleClient(this.consoleUrl, secret).clientId,
      OIDC_CLIENT_SECRET: secret,
    });
  }

  /** A console on `port` (another one, e.g. behind a trusted proxy, with `extra`). */
  async startConsole(port: number, archiveUrl: string, extra: Record<string, string>): Promise<AppProcess> {
    const pollerPort = (this.poller?.address() as AddressInfo).port;
    return this.start_(
      'console',
      {
        KAFKA_BROKERS: this.brokers,
        LOG_LEVEL: 'warn',
        PORT: String(port),
        ARCHIVE_URL: archiveUrl,
        POLLER_URL: `http://127.0.0.1:${pollerPort}`,
        CONSOLE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        CONSOLE_COOKIE_SECURE: 'false',
        SESSION_SECRET: randomBytes(24).toString('hex'),
        CONSOLE_CONSUMERS: `${this.emailConsumer},${this.archiveConsumer}`,
        CONSOLE_DATABASE_URL: PG,
        CONSOLE_DB_SCHEMA: this.schemas[1] ?? '',
        CONSOLE_LIVE_POLL_MS: '300',
        ...extra,
      },
      '/health/ready',
    );
  }

  get archiveUrl(): string {
    return this.archive.url;
  }

  private async start_(
    app: string,
    env: Record<string, string>,
    readyPath = '/health/ready',
  ): Promise<AppProcess> {
    const p = await startAppProcess(app, env, { readyPath, timeoutMs: 60_000 });
    this.processes.push(p);
    return p;
  }

  /** Posts one event to the gateway's webhook, as Altinn would. */
  async post(event: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${this.gateway.url}/altinn/events/${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(event),
    });
    if (res.status >= 300) throw new Error(`the gateway answered ${res.status}: ${await res.text()}`);
  }

  /** Posts a body that is no valid event (it ends on the quarantine topic). */
  async postInvalid(body: string): Promise<number> {
    const res = await fetch(`${this.gateway.url}/altinn/events/${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  }

  output(): string {
    return this.processes.map((p) => p.output().slice(-3000)).join('\n---\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    await this.idp?.stop();
    await this.smtp.down();
    const poller = this.poller;
    if (poller) await new Promise<void>((r) => poller.close(() => r()));
    for (const s of this.schemas) await dropPostgresSchema(PG, s).catch(() => undefined);
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
