import { loadConfig } from '@broker-events/config';
import { LocalCluster } from '@broker-events/kafka-local';
import { createKafka, kafkaConfigSchema } from '@broker-events/messaging';
import {
  type AppProcess,
  type ArchiveDb,
  type Kafka,
  WEBHOOK_TOKEN,
  archiveDbEnv,
  settlement,
  startApp,
} from '@broker-events/soak';
import { join } from 'node:path';
import { MailSink } from './mail-sink';

/** The gateway, the archive and the email consumer, all connected through the cluster's TLS + SCRAM listener. */
export interface ClusterSystem {
  cluster: LocalCluster;
  gateway: AppProcess;
  archives: AppProcess[];
  email: AppProcess;
  mail: MailSink;
  archiveDb: ArchiveDb;
  /** Admin/lag client, also over TLS + SCRAM. */
  admin: Kafka;
  webhook: string;
  /** Starts one more archive replica (same consumer group). */
  addArchive(): Promise<AppProcess>;
  /** Source + retry lag of the archive and the email consumer groups. */
  lag(): Promise<{ archive: number; email: number; deadLettered: number }>;
  stop(): Promise<void>;
}

/** A client for tools and checks, with the same settings the apps get. */
export function clusterClient(cluster: LocalCluster, clientId: string): Kafka {
  return createKafka(loadConfig(clientId, kafkaConfigSchema, cluster.clientEnv()), clientId);
}

const QUIET = { LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '10000' };

/** Consumer settings for a cluster that loses brokers: short sessions, topics at RF 3. */
function consumerEnv(cluster: LocalCluster): Record<string, string> {
  return {
    ...cluster.clientEnv(),
    ...QUIET,
    CONSUMER_START_FROM: 'earliest',
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    KAFKA_TOPIC_REPLICATION_FACTOR: '3',
    RETRY_TOPIC_DELAYS_MS: '1000,2000,4000,8000',
  };
}

export async function startClusterSystem(opts: {
  cluster: LocalCluster;
  archiveDb: ArchiveDb;
  tmpDir: string;
  archiveReplicas?: number;
}): Promise<ClusterSystem> {
  const { cluster } = opts;
  const mail = new MailSink();
  await mail.up();
  const started: AppProcess[] = [];
  try {
    const gateway = await startApp('gateway', {
      ...cluster.clientEnv(),
      ...QUIET,
      WEBHOOK_TOKENS: WEBHOOK_TOKEN,
      PUBLISH_TIMEOUT_MS: '5000',
      RETRY_AFTER_SECONDS: '1',
      KAFKA_TOPIC_PARTITIONS: '6',
      KAFKA_TOPIC_REPLICATION_FACTOR: '3',
    });
    started.push(gateway);
    const archiveEnv = {
      ...consumerEnv(cluster),
      ...archiveDbEnv(opts.archiveDb),
      ARCHIVE_QUERY_MAX_ROWS: '10000',
    };
    const addArchive = async (): Promise<AppProcess> => {
      const p = await startApp('archive', archiveEnv, 90_000);
      started.push(p);
      return p;
    };
    const archives: AppProcess[] = [];
    for (let i = 0; i < (opts.archiveReplicas ?? 1); i++) archives.push(await addArchive());
    const email = await startApp(
      'email',
      {
        ...consumerEnv(cluster),
        // PostgreSQL, as in production (several replicas share it); a SQLite file's synchronous writes stall
        // the event loop on a busy disk and cap mail throughput at ~25/s here.
        ...(opts.archiveDb.kind === 'postgres'
          ? { IDEMPOTENCY_DATABASE_URL: opts.archiveDb.url, IDEMPOTENCY_DB_SCHEMA: opts.archiveDb.schema }
          : { IDEMPOTENCY_SQLITE_PATH: join(opts.tmpDir, 'email-idempotency.sqlite') }),
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(mail.port),
        SMTP_STARTTLS: 'never',
        SMTP_TIMEOUT_MS: '15000',
        // The defaults (one record per partition, two partitions, three SMTP connections) mail ~20/s on this
        // machine: an operator running 200-500 events/s raises them, and so do we.
        CONSUMER_CONCURRENCY: '16',
        CONSUMER_PARTITIONS_CONCURRENTLY: '6',
        SMTP_POOL_MAX_CONNECTIONS: '12',
        EMAIL_FROM: 'noreply@broker-events.example',
        // One rule without match fields: every event is mailed to one address, so mails per event = 1.
        EMAIL_ROUTES: JSON.stringify([{ name: 'all', to: ['ops@example.no'] }]),
      },
      90_000,
    );
    started.push(email);
    const admin = clusterClient(cluster, 'cluster-bench');
    return {
      cluster,
      gateway,
      archives,
      email,
      mail,
      archiveDb: opts.archiveDb,
      admin,
      webhook: `${gateway.url}/altinn/events/${WEBHOOK_TOKEN}`,
      addArchive,
      lag: async () => {
        const [a, e] = await Promise.all([settlement(admin, 'archive'), settlement(admin, 'email')]);
        return {
          archive: a.sourceLag + a.retryLag,
          email: e.sourceLag + e.retryLag,
          deadLettered: a.deadLettered + e.deadLettered,
        };
      },
      stop: async () => {
        await Promise.all(started.map((p) => p.stop()));
        await mail.down();
      },
    };
  } catch (err) {
    await Promise.all(started.map((p) => p.kill()));
    await mail.down();
    throw err;
  }
}
