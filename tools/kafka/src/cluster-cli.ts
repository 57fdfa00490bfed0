/**
 * A local three-node KRaft cluster with a TLS + SCRAM-SHA-512 listener (no Docker).
 *
 *   npx tsx tools/kafka/src/cluster-cli.ts start|stop|kill|destroy|status|env|roll
 *   npx tsx tools/kafka/src/cluster-cli.ts stop-node|kill-node|start-node|restart-node <id>
 *
 * The root package.json has `npm run kafka:cluster -- <command>`.
 */
import { parseArgs } from 'node:util';
import { ClusterOptions, DEFAULT_CLUSTER_BASE_PORT, LocalCluster } from './cluster';
import { errorMessage } from './util';

const USAGE = `Usage: tsx tools/kafka/src/cluster-cli.ts <command> [node id] [options]

Commands:
  start              Start every node that is not running; wait until all partitions are in sync.
  stop               SIGTERM every node (data kept).
  kill               SIGKILL every node (data kept).
  destroy            SIGKILL every node and delete the cluster's data dir.
  status             Nodes, pids, and partition leaders per node.
  env                Print the app settings for the TLS + SCRAM listener (export lines).
  roll               Rolling restart: each node in turn stopped, started, and waited for until in sync.
  stop-node <id>     Controlled shutdown (SIGTERM) of one node.
  kill-node <id>     SIGKILL one node (a crash).
  start-node <id>    Start one node again on its data dir.
  restart-node <id>  stop-node, then start-node.

Options:
  --base-port <n>       Node 1's PLAINTEXT port (default ${DEFAULT_CLUSTER_BASE_PORT} or $KAFKA_CLUSTER_BASE_PORT);
                        node n uses base+10(n-1) (PLAINTEXT), +1 (controller), +2 (SASL_SSL)
  --nodes <n>           Number of nodes (default 3)
  --data-dir <dir>      Cluster data dir (default <repo>/.cache/kafka-cluster/<base port> or $KAFKA_CLUSTER_DATA_DIR)
  --kafka-version <v>   Apache Kafka version (default 4.3.1 or $KAFKA_LOCAL_VERSION)`;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'base-port': { type: 'string' },
      nodes: { type: 'string' },
      'data-dir': { type: 'string' },
      'kafka-version': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, nodeArg] = positionals;
  if (values.help || command === undefined) {
    print(USAGE);
    return values.help ? 0 : 2;
  }
  const opts: ClusterOptions = {};
  if (values['base-port'] !== undefined) opts.basePort = Number(values['base-port']);
  if (values.nodes !== undefined) opts.nodes = Number(values.nodes);
  if (values['data-dir'] !== undefined) opts.dataDir = values['data-dir'];
  const version = values['kafka-version'] ?? process.env['KAFKA_LOCAL_VERSION'];
  if (version) opts.version = version;
  const cluster = new LocalCluster(opts);
  const nodeId = (): number => {
    const id = Number(nodeArg);
    if (!Number.isInteger(id)) throw new Error(`${command} needs a node id (1..${cluster.nodes.length})`);
    cluster.node(id);
    return id;
  };
  switch (command) {
    case 'start':
      await cluster.start();
      for (const [k, v] of Object.entries(cluster.clientEnv())) print(`export ${k}=${v}`);
      return 0;
    case 'stop':
      await cluster.stop();
      return 0;
    case 'kill':
      await cluster.kill();
      return 0;
    case 'destroy':
      await cluster.destroy();
      print(`Deleted ${cluster.dataDir}`);
      return 0;
    case 'env':
      for (const [k, v] of Object.entries(cluster.clientEnv())) print(`export ${k}=${v}`);
      return 0;
    case 'status': {
      for (const n of cluster.nodes) {
        const running = await cluster.isRunning(n.id);
        print(
          `node ${n.id}: ${running ? 'running' : 'stopped'}  ${n.brokers} (PLAINTEXT)  ${n.secureBrokers} (SASL_SSL)`,
        );
      }
      try {
        const leaders = await cluster.leaderCounts();
        print(`partition leaders per node: ${[...leaders].map(([id, c]) => `${id}=${c}`).join(' ')}`);
      } catch (err) {
        print(`metadata not available: ${errorMessage(err)}`);
      }
      return 0;
    }
    case 'roll': {
      const started = Date.now();
      await cluster.roll({
        onStep: (id, step) => print(`${((Date.now() - started) / 1000).toFixed(1)}s node ${id} ${step}`),
      });
      return 0;
    }
    case 'stop-node':
      await cluster.stopNode(nodeId());
      return 0;
    case 'kill-node':
      await cluster.killNode(nodeId());
      return 0;
    case 'start-node':
      await cluster.startNode(nodeId());
      return 0;
    case 'restart-node': {
      const id = nodeId();
      await cluster.stopNode(id);
      await cluster.startNode(id);
      return 0;
    }
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`[kafka-local] ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
