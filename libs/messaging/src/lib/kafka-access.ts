import { ConfigError, type ConfigProblem } from '@broker-events/config';
import { Kafka } from 'kafkajs';
import { type KafkaConnectionConfig, kafkaClientConfig } from './kafka-config';

/** Node's codes for a server certificate the client does not trust. */
const UNTRUSTED_CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

export type KafkaAccess = { reachable: true; broker: string } | { reachable: false; errors: string[] };

/** The error and the errors it wraps (kafkajs keeps them in `originalError`, Node in `cause`). */
function chain(error: unknown): { name?: string; code?: string; message?: string }[] {
  const out: { name?: string; code?: string; message?: string }[] = [];
  let e: unknown = error;
  for (let i = 0; i < 6 && e && typeof e === 'object'; i++) {
    const rec = e as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
      originalError?: unknown;
      cause?: unknown;
    };
    out.push({
      name: typeof rec.name === 'string' ? rec.name : undefined,
      code: typeof rec.code === 'string' ? rec.code : undefined,
      message: typeof rec.message === 'string' ? rec.message : undefined,
    });
    e = rec.originalError ?? rec.cause;
  }
  return out;
}

/** A problem naming the setting to fix, or undefined when the error is no configuration mistake. */
export function kafkaAccessProblem(cfg: KafkaConnectionConfig, error: unknown): ConfigProblem | undefined {
  const links = chain(error);
  const sasl = links.find(
    (l) =>
      l.name === 'KafkaJSSASLAuthenticationError' || /SASL .*authentication failed/i.test(l.message ?? ''),
  );
  if (sasl) {
    return {
      variable: 'KAFKA_SASL_PASSWORD',
      reason: `the broker rejected the ${cfg.KAFKA_SASL_MECHANISM ?? 'SASL'} credentials of user "${cfg.KAFKA_SASL_USERNAME ?? ''}" (check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD): ${sasl.message ?? ''}`,
    };
  }
  const cert = links.find((l) => l.code !== undefined && UNTRUSTED_CERT_CODES.has(l.code));
  if (cert) {
    return {
      variable: 'KAFKA_SSL_CA_FILE',
      reason: cfg.KAFKA_SSL_CA_FILE
        ? `the broker's TLS certificate is not signed by a CA in ${cfg.KAFKA_SSL_CA_FILE} (${cert.code})`
        : `the broker's TLS certificate is not trusted by the system CAs (${cert.code}); set KAFKA_SSL_CA_FILE to the CA that signed it`,
    };
  }
  const altname = links.find((l) => l.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
  if (altname) {
    return {
      variable: 'KAFKA_BROKERS',
      reason: `a broker's TLS certificate does not name the host it was reached at: ${altname.message ?? ''}`,
    };
  }
  return undefined;
}

/**
 * Start-up check of the Kafka settings: connects to each bootstrap broker in turn (no retries) until one
 * answers. A rejected password or an untrusted certificate throws a ConfigError naming the setting (the
 * app then exits 78 instead of retrying forever). A broker that is down or slow is not a configuration
 * error: when none answers the result says so and the app starts not-ready, as before.
 */
export async function checkKafkaAccess(
  cfg: KafkaConnectionConfig,
  app: string,
  clientId: string,
): Promise<KafkaAccess> {
  const errors: string[] = [];
  const deadlineMs = cfg.KAFKA_CONNECTION_TIMEOUT_MS + cfg.KAFKA_REQUEST_TIMEOUT_MS;
  for (const broker of cfg.KAFKA_BROKERS) {
    const kafka = new Kafka({
      ...kafkaClientConfig(cfg, clientId),
      brokers: [broker],
      retry: { retries: 0 },
    });
    const admin = kafka.admin({ retry: { retries: 0 } });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        admin.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
        }),
      ]);
      return { reachable: true, broker };
    } catch (error) {
      const problem = kafkaAccessProblem(cfg, error);
      if (problem) throw new ConfigError(app, [problem]);
      errors.push(`${broker}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      if (timer) clearTimeout(timer);
      await admin.disconnect().catch(() => undefined);
    }
  }
  return { reachable: false, errors };
}

/**
 * Runs {@link checkKafkaAccess} in the background until a broker has answered once: start-up is not delayed
 * (a slow or absent broker leaves the app not-ready, as before), but a rejected password or an untrusted
 * certificate, whenever Kafka first answers, calls `onProblem` (main.ts: print the message, exit 78) instead
 * of leaving the app in kafkajs's retry loop. Returns a function that stops the watch.
 */
export function watchKafkaAccess(
  cfg: KafkaConnectionConfig,
  app: string,
  clientId: string,
  onProblem: (error: ConfigError) => void,
  everyMs = 5_000,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = (): void => {
    checkKafkaAccess(cfg, app, clientId).then(
      (access) => {
        if (stopped || access.reachable) return;
        timer = setTimeout(attempt, everyMs);
        timer.unref();
      },
      (error: unknown) => {
        if (stopped) return;
        if (error instanceof ConfigError) onProblem(error);
        else {
          timer = setTimeout(attempt, everyMs);
          timer.unref();
        }
      },
    );
  };
  attempt();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** What main.ts does with a Kafka access problem: the message (naming the setting) on stderr, exit 78. */
export function exitOnKafkaAccessProblem(error: ConfigError): never {
  process.stderr.write(error.message + '\n');
  process.exit(78); // EX_CONFIG
}
