/**
 * Local Apache Kafka broker for development and tests (no Docker).
 *
 *   npx tsx tools/kafka/src/cli.ts start|stop|status|install|kill [--port 19092] [--data-dir DIR]
 *   npx tsx tools/kafka/src/cli.ts exec [--port N] -- <command...>
 *
 * The root package.json has `npm run kafka:start|kafka:stop|kafka:status`.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { parseArgs } from 'node:util';
import { kafkaStatus, killKafka, stopKafka } from './broker';
import { installKafka } from './install';
import {
  DEFAULT_KAFKA_VERSION,
  DEFAULT_PORT,
  externalBrokers,
  LocalKafkaOptions,
  optionsFromEnv,
} from './options';
import { acquireShared, releaseShared, startPinned } from './shared';
import { errorMessage } from './util';

const USAGE = `Usage: tsx tools/kafka/src/cli.ts <command> [options]

Commands:
  start              Start the local broker (or reuse the running one) and print its address.
  stop               Stop it (SIGTERM, SIGKILL after a timeout). Data is kept for the next start.
  status             Show whether it runs.
  install            Only download the Kafka jars (Maven Central, first run only).
  kill               SIGKILL it (crash simulation).
  exec -- <cmd...>   Run <cmd> with KAFKA_BROKERS set; starts a broker first if none runs and stops it
                     afterwards if exec started it. Exits with the command's exit code.

Options:
  --port <n>             Client port on 127.0.0.1 (default ${DEFAULT_PORT} or $KAFKA_LOCAL_PORT; controller = port+1)
  --data-dir <dir>       Broker data dir (default <repo>/.cache/kafka-data/<port> or $KAFKA_LOCAL_DATA_DIR)
  --kafka-version <v>    Apache Kafka version (default ${DEFAULT_KAFKA_VERSION} or $KAFKA_LOCAL_VERSION)
  --timeout <seconds>    Readiness timeout for start/exec (default 90)
  --json                 status: print JSON

If KAFKA_BROKERS is set, start and exec use that broker and start nothing.`;

interface ParsedCli {
  command: string | undefined;
  opts: LocalKafkaOptions;
  json: boolean;
  help: boolean;
  commandArgs: string[];
}

function parseCli(argv: string[]): ParsedCli {
  const dashDash = argv.indexOf('--');
  const own = dashDash >= 0 ? argv.slice(0, dashDash) : argv;
  const after = dashDash >= 0 ? argv.slice(dashDash + 1) : [];
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'kafka-version': { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const opts = optionsFromEnv();
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port)) throw new Error(`--port must be an integer, got "${values.port}"`);
    opts.port = port;
  }
  if (values['data-dir'] !== undefined) opts.dataDir = values['data-dir'];
  if (values['kafka-version'] !== undefined) opts.version = values['kafka-version'];
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!(seconds > 0))
      throw new Error(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
    opts.readyTimeoutMs = seconds * 1000;
  }
  const [command, ...rest] = positionals;
  return {
    command,
    opts,
    json: values.json === true,
    help: values.help === true,
    commandArgs: [...rest, ...after],
  };
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function runCommand(cmd: string[], brokers: string): Promise<number> {
  const [file, ...args] = cmd;
  const child = spawn(file, args, {
    stdio: 'inherit',
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers,
      KAFKAJS_NO_PARTITIONER_WARNING: process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ?? '1',
    },
  });
  // Ctrl-C reaches the child through the terminal's process group; we only wait for it to finish so the
  // broker is still stopped afterwards. SIGTERM (e.g. from CI) is passed on.
  const onSigint = (): void => undefined;
  const onSigterm = (): void => {
    child.kill('SIGTERM');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    return await new Promise<number>((resolve) => {
      child.once('error', (err) => {
        process.stderr.write(`[kafka-local] could not run ${file}: ${err.message}\n`);
        resolve(127);
      });
      child.once('exit', (code, signal) => {
        if (code !== null) resolve(code);
        else resolve(128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
      });
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

async function execCommand(parsed: ParsedCli): Promise<number> {
  if (parsed.commandArgs.length === 0) throw new Error('exec needs a command: exec -- <cmd...>');
  const external = externalBrokers();
  if (external !== undefined) {
    process.stderr.write(
      `[kafka-local] KAFKA_BROKERS=${external} is set; using it and starting no broker.\n`,
    );
    return runCommand(parsed.commandArgs, external);
  }
  const running = await acquireShared(parsed.opts);
  process.stderr.write(`[kafka-local] KAFKA_BROKERS=${running.brokers}\n`);
  let code = 1;
  try {
    code = await runCommand(parsed.commandArgs, running.brokers);
  } finally {
    await releaseShared(parsed.opts);
  }
  return code;
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCli(argv);
  if (parsed.help || parsed.command === undefined) {
    print(USAGE);
    return parsed.help ? 0 : 2;
  }
  const { opts } = parsed;
  switch (parsed.command) {
    case 'install': {
      const libs = await installKafka(opts);
      print(`Kafka ${opts.version ?? DEFAULT_KAFKA_VERSION} jars: ${libs}`);
      return 0;
    }
    case 'start': {
      const external = externalBrokers();
      if (external !== undefined) {
        print(`KAFKA_BROKERS=${external} is already set; not starting a local broker.`);
        return 0;
      }
      const running = await startPinned(opts);
      print(
        running.startedByUs
          ? `Kafka is ready: ${running.brokers} (pid ${running.pid})`
          : `Kafka was already running: ${running.brokers} (pid ${running.pid})`,
      );
      print(`export KAFKA_BROKERS=${running.brokers}`);
      return 0;
    }
    case 'stop': {
      const before = await kafkaStatus(opts);
      await stopKafka(opts);
      print(
        before.running
          ? `Stopped Kafka on ${before.brokers}.`
          : `Kafka on ${before.brokers} was not running.`,
      );
      return 0;
    }
    case 'kill': {
      const before = await kafkaStatus(opts);
      await killKafka(opts);
      print(
        before.running
          ? `Killed Kafka on ${before.brokers} (pid ${before.pid}).`
          : `Kafka on ${before.brokers} was not running.`,
      );
      return 0;
    }
    case 'status': {
      const status = await kafkaStatus(opts);
      const external = externalBrokers();
      if (parsed.json) {
        print(JSON.stringify({ ...status, externalBrokers: external ?? null }));
      } else {
        if (status.running) {
          print(
            `Kafka is running on ${status.brokers} (pid ${status.pid}${status.listening ? '' : ', port not answering yet'}), data ${status.dataDir}`,
          );
        } else {
          print(`Kafka is not running on ${status.brokers} (data ${status.dataDir})`);
        }
        if (external !== undefined)
          print(`KAFKA_BROKERS=${external} is set in this environment (tests will use it).`);
      }
      return 0;
    }
    case 'exec':
      return execCommand(parsed);
    default:
      process.stderr.write(`Unknown command "${parsed.command}".\n\n${USAGE}\n`);
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
