import * as path from 'node:path';
import { findRepoRoot } from './util';

/** Kafka 4.3.1: the default of Strimzi 1.2 (which supports 4.2.x/4.3.x), so tests run what production runs. */
export const DEFAULT_KAFKA_VERSION = '4.3.1';
export const DEFAULT_PORT = 19092;
export const DEFAULT_READY_TIMEOUT_MS = 90_000;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;
export const LISTEN_HOST = '127.0.0.1';

export interface LocalKafkaOptions {
  /** Client (PLAINTEXT) port on 127.0.0.1. Default 19092. */
  port?: number;
  /** KRaft controller port on 127.0.0.1. Default port + 1. */
  controllerPort?: number;
  /** Broker state (config, KRaft logs, pid file, broker.log). Default <repo>/.cache/kafka-data/<port>. */
  dataDir?: string;
  /** Apache Kafka version (org.apache.kafka:kafka_2.13 on Maven Central). Default 4.3.1. */
  version?: string;
  /** Progress/diagnostic sink. Default: stderr with a "[kafka-local]" prefix. */
  log?: (line: string) => void;
  /** How long startKafka waits for the broker to answer an admin client. Default 90 000 ms. */
  readyTimeoutMs?: number;
  /** How long stopKafka waits after SIGTERM before SIGKILL. Default 30 000 ms. */
  stopTimeoutMs?: number;
  /** Where the jars go. Default <repo>/.cache/kafka (jars in <cacheDir>/<version>/libs). */
  cacheDir?: string;
  /** Extra server.properties entries; they win over the defaults. Applied when a broker is (re)started. */
  serverProperties?: Record<string, string | number | boolean>;
  /** Extra JVM flags, appended after the defaults (so e.g. -XX:TieredStopAtLevel=4 or -Xmx1g win). */
  jvmArgs?: string[];
  /** Root log level of the broker's log4j2 config. Default INFO. */
  logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Java executable. Default $JAVA_HOME/bin/java, else `java` from PATH. */
  javaBin?: string;
  /** KRaft cluster id used when the data dir is formatted. Default: a new random one. Nodes of one cluster share it. */
  clusterId?: string;
  /** Extra `StorageTool format` arguments, e.g. `['--add-scram', 'SCRAM-SHA-512=[name=app,password=…]']`. */
  formatArgs?: string[];
}

export interface ResolvedOptions {
  repoRoot: string;
  port: number;
  controllerPort: number;
  host: string;
  brokers: string;
  dataDir: string;
  version: string;
  log: (line: string) => void;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  cacheDir: string;
  versionDir: string;
  libsDir: string;
  serverProperties: Record<string, string | number | boolean>;
  jvmArgs: string[];
  logLevel: string;
  javaBin: string;
  clusterId?: string;
  formatArgs: string[];
  files: {
    serverProperties: string;
    log4j2: string;
    pid: string;
    log: string;
    lock: string;
    owner: string;
    leases: string;
    cdsTraining: string;
    kraftLogDir: string;
    metaProperties: string;
  };
}

export function defaultLog(line: string): void {
  process.stderr.write(`[kafka-local] ${line}\n`);
}

function checkPort(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new Error(`${name} must be an integer between 1 and 65535, got ${value}`);
  }
  return value;
}

export function resolveOptions(opts: LocalKafkaOptions = {}): ResolvedOptions {
  const repoRoot = findRepoRoot();
  const port = checkPort('port', opts.port ?? DEFAULT_PORT);
  const controllerPort = checkPort('controllerPort', opts.controllerPort ?? port + 1);
  if (controllerPort === port) throw new Error('controllerPort must differ from port');
  const version = opts.version ?? DEFAULT_KAFKA_VERSION;
  if (!/^[0-9A-Za-z.\-_]+$/.test(version)) throw new Error(`Invalid Kafka version "${version}"`);
  const dataDir = path.resolve(opts.dataDir ?? path.join(repoRoot, '.cache', 'kafka-data', String(port)));
  const cacheDir = path.resolve(opts.cacheDir ?? path.join(repoRoot, '.cache', 'kafka'));
  const versionDir = path.join(cacheDir, version);
  const kraftLogDir = path.join(dataDir, 'kraft-combined-logs');
  const javaHome = process.env['JAVA_HOME'];
  return {
    repoRoot,
    port,
    controllerPort,
    host: LISTEN_HOST,
    brokers: `${LISTEN_HOST}:${port}`,
    dataDir,
    version,
    log: opts.log ?? defaultLog,
    readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    stopTimeoutMs: opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    cacheDir,
    versionDir,
    libsDir: path.join(versionDir, 'libs'),
    serverProperties: opts.serverProperties ?? {},
    jvmArgs: opts.jvmArgs ?? [],
    logLevel: opts.logLevel ?? 'INFO',
    javaBin: opts.javaBin ?? (javaHome ? path.join(javaHome, 'bin', 'java') : 'java'),
    clusterId: opts.clusterId,
    formatArgs: opts.formatArgs ?? [],
    files: {
      serverProperties: path.join(dataDir, 'server.properties'),
      log4j2: path.join(dataDir, 'log4j2.properties'),
      pid: path.join(dataDir, 'kafka.pid'),
      log: path.join(dataDir, 'broker.log'),
      lock: path.join(dataDir, '.lock'),
      owner: path.join(dataDir, 'owner'),
      leases: path.join(dataDir, 'leases'),
      cdsTraining: path.join(dataDir, 'cds-training'),
      kraftLogDir,
      metaProperties: path.join(kraftLogDir, 'meta.properties'),
    },
  };
}

/** Options from KAFKA_LOCAL_PORT / KAFKA_LOCAL_DATA_DIR / KAFKA_LOCAL_VERSION (used by the CLI and jest setup). */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalKafkaOptions {
  const opts: LocalKafkaOptions = {};
  const port = env['KAFKA_LOCAL_PORT'];
  if (port !== undefined && port !== '') {
    const parsed = Number(port);
    if (!Number.isInteger(parsed)) throw new Error(`KAFKA_LOCAL_PORT must be an integer, got "${port}"`);
    opts.port = parsed;
  }
  if (env['KAFKA_LOCAL_DATA_DIR']) opts.dataDir = env['KAFKA_LOCAL_DATA_DIR'];
  if (env['KAFKA_LOCAL_VERSION']) opts.version = env['KAFKA_LOCAL_VERSION'];
  return opts;
}

/** KAFKA_BROKERS when set to something non-blank: then a broker is provided and nothing is started. */
export function externalBrokers(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env['KAFKA_BROKERS']?.trim();
  return value ? value : undefined;
}
