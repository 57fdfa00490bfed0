// deploy-check verifies the deployment files against each app's own config schema and loader, which live in
// @broker-events/app-config for that reason (apps are never imported).
import {
  WEBHOOK_PATH,
  archiveConfigSchema,
  consoleConfigSchema,
  emailConfigSchema,
  fileFetcherConfigSchema,
  gatewayConfigSchema,
  loadArchiveConfig,
  loadConsoleConfig,
  loadEmailConfig,
  loadFileFetcherConfig,
  loadGatewayConfig,
  loadPollerConfig,
  loadSlackConfig,
  pollerConfigSchema,
  slackConfigSchema,
} from '@broker-events/app-config';
import type { EnvRecord, Schema } from '@broker-events/config';
import { generateKeyPairSync } from 'node:crypto';

/**
 * One entry per deployable app: the single list every deployment check iterates over (docker/compose.yaml,
 * docker/Dockerfile, k8s/base/<name>.yaml and every overlay). Adding an app, by hand or from the generator,
 * is one entry here plus its files; the checks then say what is missing.
 *
 * The rest is derived from the code: the port from the schema (PORT), health paths from the observability
 * module (health.spec.ts), a consumer's group id and topics from its CONSUMER_NAME/CONSUMER_TOPICS and
 * libs/messaging, topic names from libs/contracts.
 */
export interface DeployedApp {
  /** Nx project = compose service = Kubernetes Deployment/Service/ConfigMap prefix = image `broker-events-<name>`. */
  readonly name: string;
  /** The app's config schema, as @broker-events/app-config exports it. */
  readonly schema: Schema;
  /** The app's own loader (schema plus cross-variable checks), as main.ts calls it; throws ConfigError. */
  readonly load: (env: EnvRecord) => unknown;
  /**
   * Optional in the schema but required in Kubernetes, where the fallback (a SQLite file inside the pod) would
   * lose data on every restart and differ between replicas.
   */
  readonly requiredInCluster?: readonly string[];
  /** HTTP path prefix reachable from the internet through the Ingress; apps without one get no Ingress. */
  readonly publicPath?: string;
  /**
   * A web UI for people: the variable holding its browser-facing base URL. The app gets an Ingress for that
   * URL's host (https, every path), and only the Ingress controller may reach it (it may trust a header the
   * controller sets).
   */
  readonly publicUrlVariable?: string;
  /** Variables that must come from a Secret key that is not optional (the app cannot do without them there). */
  readonly secretsInCluster?: readonly string[];
  /**
   * Who sets the replica count: an HPA on CPU (HTTP apps), KEDA on consumer-group lag (Kafka consumers; the
   * checks insist on it for every app with a pipeline schema), or nobody: exactly one replica (apps that keep
   * a cursor and must not run twice).
   */
  readonly scaling: 'hpa' | 'keda' | 'singleton';
  /**
   * Valid stand-ins for Secret-backed variables that docker/compose.yaml does not set, so the app's loader
   * can run on the Kubernetes environment (the real values live in the cluster's Secrets).
   */
  readonly secretSamples?: () => EnvRecord;
  /**
   * Variables naming folders whose content must outlive the container, given the app's settings: in
   * Kubernetes they must lie on a PersistentVolumeClaim, in compose on a named volume.
   */
  readonly persistentDirs?: (config: Readonly<Record<string, unknown>>) => readonly string[];
}

export const APPS: readonly DeployedApp[] = [
  {
    name: 'gateway',
    schema: gatewayConfigSchema,
    load: loadGatewayConfig,
    publicPath: WEBHOOK_PATH,
    scaling: 'hpa',
  },
  {
    name: 'archive',
    schema: archiveConfigSchema,
    load: loadArchiveConfig,
    requiredInCluster: ['ARCHIVE_DATABASE_URL'],
    scaling: 'keda',
  },
  {
    name: 'email',
    schema: emailConfigSchema,
    load: loadEmailConfig,
    requiredInCluster: ['IDEMPOTENCY_DATABASE_URL'],
    scaling: 'keda',
  },
  {
    name: 'poller',
    schema: pollerConfigSchema,
    load: loadPollerConfig,
    requiredInCluster: ['POLLER_DATABASE_URL'],
    scaling: 'singleton',
    secretSamples: () => ({ MASKINPORTEN_PRIVATE_KEY: samplePrivateKey() }),
  },
  {
    name: 'slack',
    schema: slackConfigSchema,
    load: loadSlackConfig,
    requiredInCluster: ['IDEMPOTENCY_DATABASE_URL'],
    scaling: 'keda',
  },
  {
    name: 'file-fetcher',
    schema: fileFetcherConfigSchema,
    load: loadFileFetcherConfig,
    requiredInCluster: ['FETCH_DATABASE_URL'],
    scaling: 'keda',
    secretSamples: () => ({ MASKINPORTEN_PRIVATE_KEY: samplePrivateKey() }),
    // With an S3 bucket the folder only holds a download while it is uploaded.
    persistentDirs: (config) => (config['STORAGE_S3_BUCKET'] === undefined ? ['STORAGE_DIR'] : []),
  },
  {
    name: 'console',
    schema: consoleConfigSchema,
    load: loadConsoleConfig,
    // The audit log of re-drives must outlive the pod and be one for every replica.
    requiredInCluster: ['CONSOLE_DATABASE_URL'],
    // The OpenID login (k8s/base/console.env sets the issuer and client id): the client secret and the key of
    // the session cookies, which every replica must share.
    secretsInCluster: ['OIDC_CLIENT_SECRET', 'SESSION_SECRET', 'CONSOLE_DATABASE_URL'],
    publicUrlVariable: 'CONSOLE_PUBLIC_URL',
    scaling: 'hpa',
  },
];

/** A consumer app: its schema has the pipeline settings of libs/messaging (`pipelineConfigSchema`). */
export function isConsumer(app: DeployedApp): boolean {
  return 'CONSUMER_NAME' in app.schema && 'CONSUMER_TOPICS' in app.schema;
}

export const CONSUMERS = APPS.filter(isConsumer);

/** The health and metrics endpoints of every app (libs/observability; health.spec.ts proves them). */
export const HEALTH_PATHS = { live: '/health/live', ready: '/health/ready', metrics: '/metrics' } as const;

/** What docker/Dockerfile bakes into every image (ENV), under whatever compose or Kubernetes sets. */
export const IMAGE_ENV: EnvRecord = { NODE_ENV: 'production', PORT: '8080', MALLOC_ARENA_MAX: '2' };

/** The uid of `node` in the official Node images (the Dockerfile's USER); Kubernetes runs as it. */
export const NODE_UID = 1000;

/** Variables a container may set that no app schema declares (runtime knobs of Node itself). */
export const RUNTIME_VARIABLES: readonly string[] = [
  'NODE_ENV',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'TZ',
  'UV_THREADPOOL_SIZE',
  'MALLOC_ARENA_MAX',
  'NODE_COMPILE_CACHE',
];

let privateKey: string | undefined;
/** A throw-away RSA key in PEM, generated once per run: a stand-in for the Maskinporten key Secret. */
function samplePrivateKey(): string {
  privateKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  return privateKey;
}
