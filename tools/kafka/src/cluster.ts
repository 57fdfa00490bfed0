import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaStatus, killKafka, newClusterId, startKafka, stopKafka } from './broker';
import { installKafka } from './install';
import { defaultLog, LocalKafkaOptions, LISTEN_HOST } from './options';
import { errorMessage, findRepoRoot, sleep } from './util';
import { ensureTlsMaterial } from './tls';

/** Node n (1-based) listens on basePort+10(n-1) (PLAINTEXT), +1 (CONTROLLER), +2 (SASL_SSL). */
export const DEFAULT_CLUSTER_BASE_PORT = 19192;
export const SCRAM_MECHANISM = 'SCRAM-SHA-512';

export interface ClusterOptions {
  /** Ports of node 1; node n adds 10·(n-1). Default 19192 or $KAFKA_CLUSTER_BASE_PORT. */
  basePort?: number;
  /** Number of nodes (controller+broker each). Default 3. */
  nodes?: number;
  /** Cluster state: one data dir per node, the TLS material, the cluster id and the SCRAM users. */
  dataDir?: string;
  version?: string;
  log?: (line: string) => void;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  /** Extra broker settings for every node (win over the cluster defaults). */
  serverProperties?: Record<string, string | number | boolean>;
  /** Extra JVM flags for every node (after the cluster's -Xms128m -Xmx384m). */
  jvmArgs?: string[];
}

export interface ClusterNode {
  id: number;
  /** PLAINTEXT (inter-broker and tooling) address. */
  brokers: string;
  /** SASL_SSL (TLS + SCRAM-SHA-512) address: the one apps use. */
  secureBrokers: string;
  controllerPort: number;
  dataDir: string;
}

export interface ScramUser {
  username: string;
  password: string;
}

export interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/**
 * A local multi-node KRaft cluster (combined controller+broker nodes), TLS + SCRAM-SHA-512 on the client
 * listener, replication factor 3 and min.insync.replicas 2 by default, as Strimzi runs it.
 */
export class LocalCluster {
  readonly nodes: ClusterNode[];
  readonly dataDir: string;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: ClusterOptions = {}) {
    const basePort = opts.basePort ?? envBasePort() ?? DEFAULT_CLUSTER_BASE_PORT;
    const count = opts.nodes ?? 3;
    if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error('nodes must be 1..9');
    this.dataDir = path.resolve(
      opts.dataDir ??
        process.env['KAFKA_CLUSTER_DATA_DIR'] ??
        path.join(findRepoRoot(), '.cache', 'kafka-cluster', String(basePort)),
    );
    this.log = opts.log ?? defaultLog;
    this.nodes = Array.from({ length: count }, (_, i) => {
      const port = basePort + 10 * i;
      return {
        id: i + 1,
        brokers: `${LISTEN_HOST}:${port}`,
        secureBrokers: `${LISTEN_HOST}:${port + 2}`,
        controllerPort: port + 1,
        dataDir: path.join(this.dataDir, `node-${i + 1}`),
      };
    });
  }

  /** PLAINTEXT bootstrap list (all nodes). */
  get brokers(): string {
    return this.nodes.map((n) => n.brokers).join(',');
  }

  /** SASL_SSL bootstrap list (all nodes). */
  get secureBrokers(): string {
    return this.nodes.map((n) => n.secureBrokers).join(',');
  }

  get caFile(): string {
    return path.join(this.dataDir, 'tls', 'ca.pem');
  }

  /** The SCRAM user apps connect as (created at format time with `StorageTool format --add-scram`). */
  get user(): ScramUser {
    const file = path.join(this.dataDir, 'scram-user.json');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(this.dataDir, { recursive: true });
      const user = { username: 'broker-events', password: randomBytes(18).toString('base64url') };
      fs.writeFileSync(file, JSON.stringify(user), { mode: 0o600 });
    }
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ScramUser;
  }

  /** The environment an app needs to connect through the TLS + SCRAM listener. */
  clientEnv(): Record<string, string> {
    return {
      KAFKA_BROKERS: this.secureBrokers,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: this.caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: this.user.username,
      KAFKA_SASL_PASSWORD: this.user.password,
    };
  }

  private clusterId(): string {
    const file = path.join(this.dataDir, 'cluster-id');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(this.dataDir, { recursive: true });
      fs.writeFileSync(file, `${newClusterId()}\n`);
    }
    return fs.readFileSync(file, 'utf8').trim();
  }

  private nodeOptions(node: ClusterNode, keystore: { file: string; password: string }): LocalKafkaOptions {
    const port = Number(node.brokers.split(':')[1]);
    const securePort = port + 2;
    const user = this.user;
    const voters = this.nodes.map((n) => `${n.id}@${LISTEN_HOST}:${n.controllerPort}`).join(',');
    const rf = Math.min(3, this.nodes.length);
    const minIsr = Math.min(2, rf);
    return {
      port,
      controllerPort: node.controllerPort,
      dataDir: node.dataDir,
      version: this.opts.version,
      log: (line) => this.log(`node ${node.id}: ${line}`),
      readyTimeoutMs: this.opts.readyTimeoutMs ?? 180_000,
      stopTimeoutMs: this.opts.stopTimeoutMs,
      clusterId: this.clusterId(),
      // Kafka's own tool creates the SCRAM credentials in the metadata log when the node is formatted.
      formatArgs: ['--add-scram', `${SCRAM_MECHANISM}=[name=${user.username},password=${user.password}]`],
      // Three JVMs on a 2-core machine: small heaps, serial GC and C1 (from the single-node defaults).
      jvmArgs: ['-Xms128m', '-Xmx384m', ...(this.opts.jvmArgs ?? [])],
      serverProperties: {
        'node.id': node.id,
        'controller.quorum.voters': voters,
        listeners: `PLAINTEXT://${LISTEN_HOST}:${port},CONTROLLER://${LISTEN_HOST}:${node.controllerPort},SECURE://${LISTEN_HOST}:${securePort}`,
        'advertised.listeners': `PLAINTEXT://${LISTEN_HOST}:${port},SECURE://${LISTEN_HOST}:${securePort}`,
        'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SECURE:SASL_SSL',
        'sasl.enabled.mechanisms': SCRAM_MECHANISM,
        'listener.name.secure.scram-sha-512.sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': keystore.file,
        'ssl.keystore.password': keystore.password,
        'ssl.key.password': keystore.password,
        'num.partitions': 6,
        'default.replication.factor': rf,
        'min.insync.replicas': minIsr,
        'offsets.topic.replication.factor': rf,
        'offsets.topic.num.partitions': 3,
        'transaction.state.log.replication.factor': rf,
        'transaction.state.log.min.isr': minIsr,
        'transaction.state.log.num.partitions': 3,
        'share.coordinator.state.topic.replication.factor': rf,
        'share.coordinator.state.topic.min.isr': minIsr,
        'unclean.leader.election.enable': false,
        'num.network.threads': 2,
        'num.io.threads': 2,
        'background.threads': 2,
        ...this.opts.serverProperties,
      },
    };
  }

  private async optionsFor(id: number): Promise<LocalKafkaOptions> {
    const node = this.node(id);
    const tls = await ensureTlsMaterial(path.join(this.dataDir, 'tls'), javaBin());
    return this.nodeOptions(node, { file: tls.keystoreFile, password: tls.keystorePassword });
  }

  node(id: number): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`No node ${id} (the cluster has nodes 1..${this.nodes.length})`);
    return node;
  }

  /**
   * Starts every node that is not running (all at once: a node is only ready once a controller quorum
   * exists) and waits until each answers and every partition is fully replicated.
   */
  async start(): Promise<void> {
    const started = Date.now();
    await installKafka({ version: this.opts.version, log: this.log });
    await ensureTlsMaterial(path.join(this.dataDir, 'tls'), javaBin());
    await Promise.all(this.nodes.map(async (n) => startKafka(await this.optionsFor(n.id))));
    await this.waitInSync();
    this.log(
      `Cluster of ${this.nodes.length} ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ` +
        `${this.brokers} (PLAINTEXT), ${this.secureBrokers} (SASL_SSL, ${SCRAM_MECHANISM}).`,
    );
  }

  /** Starts one node (again) on its data dir and waits until it answers. */
  async startNode(id: number): Promise<void> {
    await startKafka(await this.optionsFor(id));
  }

  /** SIGTERM: a controlled shutdown (leaders move away first), SIGKILL after the stop timeout. */
  async stopNode(id: number): Promise<void> {
    await stopKafka(await this.optionsFor(id));
  }

  /** SIGKILL: a crash. */
  async killNode(id: number): Promise<void> {
    await killKafka(await this.optionsFor(id));
  }

  async isRunning(id: number): Promise<boolean> {
    return (await kafkaStatus(await this.optionsFor(id))).running;
  }

  /**
   * A rolling restart as Strimzi does it: one node at a time, stop (controlled shutdown), start, and wait
   * until every partition is back in sync before the next node. `onNode` sees each step.
   */
  async roll(
    opts: {
      inSyncTimeoutMs?: number;
      onStep?: (id: number, step: 'stopping' | 'started' | 'in-sync') => void;
    } = {},
  ): Promise<void> {
    for (const n of this.nodes) {
      opts.onStep?.(n.id, 'stopping');
      await this.stopNode(n.id);
      await this.startNode(n.id);
      opts.onStep?.(n.id, 'started');
      await this.waitInSync(opts.inSyncTimeoutMs);
      opts.onStep?.(n.id, 'in-sync');
    }
  }

  /** Every partition of every topic (internal ones included) with its leader, replicas and ISR. */
  async partitions(bootstrap?: string): Promise<PartitionState[]> {
    const kafka = new Kafka({
      clientId: 'kafka-local-cluster',
      brokers: (bootstrap ?? this.brokers).split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata();
      return topics.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.name,
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
        })),
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Partitions led by each node id (nodes leading none included with 0). */
  async leaderCounts(topic?: string): Promise<Map<number, number>> {
    const counts = new Map<number, number>(this.nodes.map((n) => [n.id, 0]));
    for (const p of await this.partitions()) {
      if (topic !== undefined && p.topic !== topic) continue;
      counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
    }
    return counts;
  }

  /** Waits until every partition has all its replicas in the ISR and a live leader. */
  async waitInSync(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      try {
        const parts = await this.partitions();
        const behind = parts.filter((p) => p.leader < 0 || p.isr.length < p.replicas.length);
        if (behind.length === 0) return;
        last = `${behind.length} partition(s) under-replicated, e.g. ${behind[0].topic}-${behind[0].partition} isr ${behind[0].isr.join(',')} of ${behind[0].replicas.join(',')}`;
      } catch (err) {
        last = errorMessage(err);
      }
      if (Date.now() > deadline) {
        throw new Error(`Cluster not in sync within ${Math.round(timeoutMs / 1000)}s: ${last}`);
      }
      await sleep(250);
    }
  }

  /** SIGTERM every node (data kept). */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stopNode(n.id)));
  }

  /** SIGKILL every node (data kept). */
  async kill(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.killNode(n.id)));
  }

  /** SIGKILL every node and delete the cluster's data dir. */
  async destroy(): Promise<void> {
    await this.kill().catch(() => undefined);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function javaBin(): string {
  const javaHome = process.env['JAVA_HOME'];
  return javaHome ? path.join(javaHome, 'bin', 'java') : 'java';
}

function envBasePort(): number | undefined {
  const v = process.env['KAFKA_CLUSTER_BASE_PORT'];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65_500)
    throw new Error(`KAFKA_CLUSTER_BASE_PORT must be a port, got "${v}"`);
  return n;
}

/** Starts (or reuses) a local cluster and resolves once it is in sync. */
export async function startCluster(opts: ClusterOptions = {}): Promise<LocalCluster> {
  const cluster = new LocalCluster(opts);
  await cluster.start();
  return cluster;
}
