import { killKafka, startKafka, stopKafka } from '@broker-events/kafka-local';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArchiveDb, archiveDbEnv } from './archive-rows';
import { type AppProcess, freePort, startApp } from './processes';

export const WEBHOOK_TOKEN = 'system-test-token-' + 'f'.repeat(32);

/** A broker of our own on free ports with its own data dir, that a test may kill and restart. */
export interface PrivateKafka {
  brokers: string;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same data dir (topics, records, offsets kept). */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

export async function startPrivateKafka(jvmArgs?: string[]): Promise<PrivateKafka> {
  const dataDir = mkdtempSync(join(tmpdir(), 'system-kafka-'));
  const opts = {
    port: await freePort(),
    controllerPort: await freePort(),
    dataDir,
    log: () => undefined,
    ...(jvmArgs ? { jvmArgs } : {}),
  };
  const { brokers } = await startKafka(opts);
  return {
    brokers,
    kill: () => killKafka(opts),
    restart: async () => {
      await startKafka(opts);
    },
    destroy: async () => {
      // Its data is thrown away, so a crash is as good as a clean stop, and quicker.
      await killKafka(opts).catch(() => stopKafka(opts));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface GatewayAndArchive {
  gateway: AppProcess;
  archive: AppProcess;
  /** The webhook URL with the token. */
  webhook: string;
  stop(): Promise<void>;
}

/**
 * The gateway and the archive consumer against `brokers`; the gateway starts first because it creates the
 * events topic. The gateway answers 503 after `PUBLISH_TIMEOUT_MS` (3 s here) so a broker outage is seen fast.
 */
export async function startGatewayAndArchive(opts: {
  brokers: string;
  archiveDb: ArchiveDb;
  gatewayEnv?: Record<string, string>;
  archiveEnv?: Record<string, string>;
}): Promise<GatewayAndArchive> {
  const gateway = await startApp('gateway', {
    KAFKA_BROKERS: opts.brokers,
    WEBHOOK_TOKENS: WEBHOOK_TOKEN,
    PUBLISH_TIMEOUT_MS: '3000',
    RETRY_AFTER_SECONDS: '1',
    LOG_LEVEL: 'warn',
    SHUTDOWN_GRACE_MS: '5000',
    ...opts.gatewayEnv,
  });
  const archive = await startApp('archive', {
    KAFKA_BROKERS: opts.brokers,
    CONSUMER_START_FROM: 'earliest',
    RETRY_TOPIC_DELAYS_MS: '1000,2000,4000,8000',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    ARCHIVE_QUERY_MAX_ROWS: '10000',
    LOG_LEVEL: 'warn',
    SHUTDOWN_GRACE_MS: '5000',
    ...archiveDbEnv(opts.archiveDb),
    ...opts.archiveEnv,
  });
  return {
    gateway,
    archive,
    webhook: `${gateway.url}/altinn/events/${WEBHOOK_TOKEN}`,
    stop: async () => {
      await Promise.all([gateway.stop(), archive.stop()]);
    },
  };
}

/**
 * The email consumer against `brokers`, mailing the events of `mailedResource` to one address through the SMTP server on
 * `smtpPort`, its processed-events store beside the archive's rows (same PostgreSQL schema, or a SQLite file
 * next to the archive's).
 */
export async function startEmail(opts: {
  brokers: string;
  smtpPort: number;
  archiveDb: ArchiveDb;
  mailedResource: string;
  env?: Record<string, string>;
}): Promise<AppProcess> {
  const store: Record<string, string> =
    opts.archiveDb.kind === 'postgres'
      ? { IDEMPOTENCY_DATABASE_URL: opts.archiveDb.url, IDEMPOTENCY_DB_SCHEMA: opts.archiveDb.schema }
      : { IDEMPOTENCY_SQLITE_PATH: `${opts.archiveDb.path}.email-processed.sqlite` };
  return startApp('email', {
    KAFKA_BROKERS: opts.brokers,
    CONSUMER_START_FROM: 'earliest',
    RETRY_TOPIC_DELAYS_MS: '1000,2000,4000,8000',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(opts.smtpPort),
    SMTP_STARTTLS: 'never',
    SMTP_POOL_MAX_CONNECTIONS: '8',
    EMAIL_FROM: 'noreply@broker-events.example',
    EMAIL_ROUTES: JSON.stringify([
      { name: 'soak', resources: [opts.mailedResource], to: ['soak@example.no'] },
    ]),
    LOG_LEVEL: 'warn',
    SHUTDOWN_GRACE_MS: '5000',
    ...store,
    ...opts.env,
  });
}
