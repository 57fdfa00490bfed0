import { rollingRestart, scenarioProblems } from '@broker-events/cluster-bench';
import { ensureTlsMaterial } from '@broker-events/kafka-local';
import { WEBHOOK_TOKEN, startApp } from '@broker-events/soak';
import { join } from 'node:path';
import {
  ClusterRun,
  KAFKA_VERSION,
  RATE,
  expectNothingLostOrDoubled,
  log,
  maybeRecord,
} from './support/cluster-run';

/**
 * The apps connect through the cluster's TLS + SCRAM-SHA-512 listener with the settings docs/contributing.md
 * lists; wrong settings stop them at start-up with exit 78 and the setting named. Then all three brokers are restarted one
 * at a time (as Strimzi does on every upgrade and certificate renewal) under steady load.
 */
const run = new ClusterRun(0);

beforeAll(async () => {
  await run.startCluster();
}, 240_000);

afterAll(async () => {
  await run.destroy();
}, 120_000);

describe('start-up against the TLS + SCRAM listener', () => {
  it('a wrong SCRAM password: the gateway exits 78 naming KAFKA_SASL_PASSWORD, no retry loop', async () => {
    const env = {
      ...run.cluster.clientEnv(),
      KAFKA_SASL_PASSWORD: 'not-the-password',
      WEBHOOK_TOKENS: WEBHOOK_TOKEN,
    };
    const started = Date.now();
    await expect(startApp('gateway', env, 60_000)).rejects.toThrow(
      /gateway exited with 78:[\s\S]*KAFKA_SASL_PASSWORD: the broker rejected the scram-sha-512 credentials of user "broker-events"/,
    );
    log(`wrong password: exit after ${Date.now() - started} ms`);
  }, 90_000);

  it('an untrusted broker certificate: the archive exits 78 naming KAFKA_SSL_CA_FILE', async () => {
    const env = { ...run.cluster.clientEnv(), ARCHIVE_SQLITE_PATH: join(run.tmp, 'never.sqlite') };
    delete (env as Record<string, string | undefined>)['KAFKA_SSL_CA_FILE'];
    await expect(startApp('archive', env, 60_000)).rejects.toThrow(
      /archive exited with 78:[\s\S]*KAFKA_SSL_CA_FILE: the broker's TLS certificate is not trusted by the system CAs \([A-Z_]+\)/,
    );
  }, 90_000);

  it('a CA file that did not sign the broker certificate: the email app exits 78 naming KAFKA_SSL_CA_FILE', async () => {
    // Another private CA (made the same way as the cluster's): valid PEM, but it did not sign the brokers' certificate.
    const other = (await ensureTlsMaterial(join(run.tmp, 'other-tls'))).caFile;
    const env = {
      ...run.cluster.clientEnv(),
      KAFKA_SSL_CA_FILE: other,
      IDEMPOTENCY_SQLITE_PATH: join(run.tmp, 'never-email.sqlite'),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: '2525',
      EMAIL_FROM: 'noreply@broker-events.example',
      EMAIL_ROUTES: '[{"to":["ops@example.no"]}]',
    };
    await expect(startApp('email', env, 60_000)).rejects.toThrow(
      /email exited with 78:[\s\S]*KAFKA_SSL_CA_FILE: the broker's TLS certificate is not signed by a CA in/,
    );
  }, 90_000);
});

describe('rolling restart of all three brokers under load', () => {
  it('every 2xx event archived once and mailed once, refusals are 503 with Retry-After, nothing dead-lettered', async () => {
    const sys = await run.startSystem();
    const r = await rollingRestart(sys, { rate: RATE, kafkaVersion: KAFKA_VERSION, log });
    maybeRecord(r);
    expect(scenarioProblems(r)).toEqual([]);
    expectNothingLostOrDoubled(r);
    // The apps rode the roll out: same processes, still ready.
    expect(sys.gateway.child.exitCode).toBeNull();
    expect(sys.archives[0].child.exitCode).toBeNull();
    expect(sys.email.child.exitCode).toBeNull();
    process.stderr.write(
      `[cluster-e2e] rolling restart at ${RATE}/s: ${r.accepted} 2xx, 503 share ${(r.share503 * 100).toFixed(1)} %, roll ${r.timings['roll']} s\n`,
    );
  }, 600_000);
});
