import { loadConfig } from '@broker-events/config';
import { CONSUMER_NAME_PATTERN, HEADERS } from '@broker-events/contracts';
import {
  type DeadLetter,
  DeadLetterAdmin,
  createKafka,
  kafkaConfigProblems,
  kafkaConfigSchema,
} from '@broker-events/messaging';

export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = `Usage: npm run dlq -- <command> --consumer <name> [options]

Commands
  list                          one line per dead letter (oldest first)
  inspect <partition>:<offset>  everything about one dead letter: metadata, headers, key, value
  redrive <partition>:<offset>… re-publish these dead letters (see --to)
  redrive --all                 re-publish every dead letter of the consumer

Options
  --consumer <name>   the consumer (email, slack, archive, …): reads altinn.broker.dlq.v1.<name>
  --to original|retry redrive target: the original topic (default; every consumer of it sees the event again
                      and skips it if it already delivered it) or the consumer's own retry topic (only this
                      consumer sees it, due at once)
  --limit <n>         list at most n (default 1000)
  --json              machine-readable output (list, inspect)

Kafka settings come from the environment (KAFKA_BROKERS, KAFKA_SSL, KAFKA_SASL_*), as for the apps.`;

interface Args {
  command?: string;
  consumer?: string;
  to: 'original' | 'retry';
  limit: number;
  json: boolean;
  all: boolean;
  positions: { partition: number; offset: string }[];
  problems: string[];
}

export function parseArgs(argv: string[]): Args {
  const args: Args = { to: 'original', limit: 1000, json: false, all: false, positions: [], problems: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string | undefined => {
      const v = argv[++i];
      if (v === undefined) args.problems.push(`${a} needs a value`);
      return v;
    };
    if (a === '--consumer') args.consumer = value();
    else if (a === '--to') {
      const v = value();
      if (v === 'original' || v === 'retry') args.to = v;
      else args.problems.push('--to must be original or retry');
    } else if (a === '--limit') {
      const v = value() ?? '';
      if (/^\d+$/.test(v) && Number(v) > 0) args.limit = Number(v);
      else args.problems.push('--limit must be a positive whole number');
    } else if (a === '--json') args.json = true;
    else if (a === '--all') args.all = true;
    else if (a === '--help' || a === '-h') args.command = 'help';
    else if (a.startsWith('--')) args.problems.push(`unknown option ${a}`);
    else if (args.command === undefined) args.command = a;
    else {
      const m = /^(\d+):(\d+)$/.exec(a);
      if (m) args.positions.push({ partition: Number(m[1]), offset: m[2] });
      else args.problems.push(`"${a}" is not <partition>:<offset>`);
    }
  }
  if (args.command !== 'help') {
    if (!args.consumer) args.problems.push('--consumer is required');
    else if (!CONSUMER_NAME_PATTERN.test(args.consumer))
      args.problems.push(`--consumer "${args.consumer}" is not a consumer name`);
  }
  return args;
}

function summary(d: DeadLetter): string {
  return [
    `${d.partition}:${d.offset}`,
    d.failure ?? '?',
    `attempts=${d.attempts ?? '?'}`,
    `first=${d.firstFailedAt ?? '?'}`,
    `last=${d.lastFailedAt ?? '?'}`,
    `from=${d.originalTopic ?? '?'}/${d.originalPartition ?? '?'}/${d.originalOffset ?? '?'}`,
    `type=${d.headers[HEADERS.type] ?? '?'}`,
    `id=${d.headers[HEADERS.id] ?? '?'}`,
    ...(d.redriveCount > 0 ? [`redriven=${d.redriveCount}`] : []),
    `error=${JSON.stringify(d.error ?? '')}`,
  ].join('  ');
}

function asJson(d: DeadLetter): Record<string, unknown> {
  const text = d.value.toString('utf8');
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // not JSON: show the text
  }
  const { value: _raw, ...rest } = d;
  return { ...rest, value };
}

/** The operator command. Returns the exit code. */
export async function runDlqCli(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === 'help' || args.command === undefined) {
    io.out(USAGE);
    return args.command === 'help' ? 0 : 2;
  }
  if (!['list', 'inspect', 'redrive'].includes(args.command))
    args.problems.push(`unknown command "${args.command}"`);
  if (args.command === 'inspect' && args.positions.length !== 1)
    args.problems.push('inspect takes one <partition>:<offset>');
  if (args.command === 'redrive' && args.positions.length === 0 && !args.all)
    args.problems.push('redrive takes <partition>:<offset>… or --all');
  if (args.command === 'redrive' && args.positions.length > 0 && args.all)
    args.problems.push('give positions or --all, not both');
  if (args.problems.length > 0 || !args.consumer) {
    for (const p of args.problems) io.err(`dlq: ${p}`);
    io.err('Run with --help for usage.');
    return 2;
  }
  const config = loadConfig('dlq', kafkaConfigSchema, io.env);
  const problems = kafkaConfigProblems(config);
  if (problems.length > 0) {
    for (const p of problems) io.err(`dlq: ${p.variable} ${p.reason}`);
    return 2;
  }
  const admin = new DeadLetterAdmin(createKafka(config, 'dlq-cli'), args.consumer);
  switch (args.command) {
    case 'list': {
      const letters = await admin.list(args.limit);
      if (args.json) io.out(JSON.stringify(letters.map(asJson), null, 2));
      else {
        io.out(`${letters.length} dead letter(s) in ${admin.topic}`);
        for (const d of letters) io.out(summary(d));
      }
      return 0;
    }
    case 'inspect': {
      const [at] = args.positions;
      const d = await admin.inspect(at.partition, at.offset);
      if (!d) {
        io.err(`dlq: no dead letter at ${admin.topic} ${at.partition}:${at.offset}`);
        return 1;
      }
      io.out(JSON.stringify(asJson(d), null, 2));
      return 0;
    }
    default: {
      const done = await admin.redrive(args.all ? 'all' : args.positions, args.to);
      for (const r of done) io.out(`re-driven ${r.partition}:${r.offset} → ${r.to}`);
      io.out(`${done.length} dead letter(s) re-driven`);
      return 0;
    }
  }
}
