/**
 * `npm run bench:kafkajs`: what the gateway's Kafka client spends per record before anything reaches a
 * socket. It encodes produce requests (the records the gateway writes: an Altinn event with its CloudEvents
 * headers) with kafkajs as published and with the fast paths of libs/messaging/src/lib/kafkajs-tuning.ts,
 * and hashes keys with kafkajs's murmur2 and with ours. Each variant runs in its own process (a fresh JIT),
 * the two take turns, and the medians are compared. No broker needed.
 *
 * Env: BENCH_ROUNDS (default 3), BENCH_RECORDS (records per request, default 20).
 */
import { spawnSync } from 'node:child_process';
import { parseCloudEvent, toKafkaRecord } from '@broker-events/contracts';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { applyKafkajsEncoderFastPath, murmur2 } from '@broker-events/messaging';
import { REPO_ROOT, machine, median, writeResults } from './support';

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const perRequest = Number(process.env['BENCH_RECORDS'] ?? 20);

type Variant = 'kafkajs' | 'tuned';
interface Sample {
  encodeUsPerRecord: number;
  hashUsPerKey: number;
}

/** Warm up, then the mean over five passes: garbage collection is part of the cost, so no pass is dropped. */
async function measure(variant: Variant): Promise<Sample> {
  if (variant === 'tuned' && !applyKafkajsEncoderFastPath()) throw new Error('fast path refused');
  const produce = require('kafkajs/src/protocol/requests/produce/v3/request') as (args: unknown) => {
    encode(): Promise<unknown>;
  };
  const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
    key: string,
  ) => number;
  const records = Array.from({ length: perRequest }, () => {
    const parsed = parseCloudEvent(sampleEventBody());
    if (!parsed.ok) throw new Error('sample did not parse');
    return toKafkaRecord(parsed.event, parsed.canonicalType);
  });
  const encodeOnce = () =>
    produce({
      acks: -1,
      timeout: 10_000,
      transactionalId: null,
      producerId: 1,
      producerEpoch: 0,
      compression: 0,
      topicData: [
        {
          topic: records[0].topic,
          partitions: [
            {
              partition: 0,
              firstSequence: 0,
              messages: records.map((r) => ({ ...r, timestamp: Date.now() })),
            },
          ],
        },
      ],
    }).encode();
  const hash = variant === 'tuned' ? murmur2 : kafkajsMurmur2;
  const keys = records.map((r) => r.key);
  let sink = 0;
  const encodeUs = async (iterations: number): Promise<number> => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await encodeOnce();
    return Number(process.hrtime.bigint() - start) / 1e3 / (iterations * perRequest);
  };
  const hashUs = (iterations: number): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) for (const k of keys) sink ^= hash(k);
    return Number(process.hrtime.bigint() - start) / 1e3 / (iterations * keys.length);
  };
  await encodeUs(500);
  hashUs(2000);
  const passes: Sample[] = [];
  for (let i = 0; i < 5; i++)
    passes.push({ encodeUsPerRecord: await encodeUs(1000), hashUsPerKey: hashUs(10_000) });
  if (sink === 0.5) process.stdout.write('unreachable\n'); // keeps the hashes observable
  const mean = (k: keyof Sample) => passes.reduce((sum, p) => sum + p[k], 0) / passes.length;
  return { encodeUsPerRecord: mean('encodeUsPerRecord'), hashUsPerKey: mean('hashUsPerKey') };
}

async function child(variant: Variant): Promise<void> {
  process.stdout.write(JSON.stringify(await measure(variant)) + '\n');
}

function spawnVariant(variant: Variant): Sample {
  const out = spawnSync(
    process.execPath,
    [
      `${REPO_ROOT}/node_modules/.bin/tsx`,
      '--tsconfig',
      `${REPO_ROOT}/tsconfig.base.json`,
      __filename,
      '--variant',
      variant,
    ],
    { encoding: 'utf8', cwd: REPO_ROOT },
  );
  if (out.status !== 0) throw new Error(`${variant} run failed:\n${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as Sample;
}

async function main(): Promise<void> {
  const samples: Record<Variant, Sample[]> = { kafkajs: [], tuned: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const variant of ['kafkajs', 'tuned'] as const) {
      const s = spawnVariant(variant);
      samples[variant].push(s);
      process.stdout.write(
        `round ${round} ${variant}: encode ${s.encodeUsPerRecord.toFixed(2)} µs/record, murmur2 ${s.hashUsPerKey.toFixed(3)} µs/key\n`,
      );
    }
  }
  const med = (v: Variant, k: keyof Sample) => Math.round(median(samples[v].map((s) => s[k])) * 1000) / 1000;
  const summary = {
    benchmark: 'kafkajs',
    date: new Date().toISOString(),
    machine: machine(),
    settings: { rounds, recordsPerRequest: perRequest },
    samples,
    encodeUsPerRecord: {
      kafkajs: med('kafkajs', 'encodeUsPerRecord'),
      tuned: med('tuned', 'encodeUsPerRecord'),
    },
    hashUsPerKey: { kafkajs: med('kafkajs', 'hashUsPerKey'), tuned: med('tuned', 'hashUsPerKey') },
  };
  const speedup = (k: keyof Sample) => Math.round((med('kafkajs', k) / med('tuned', k)) * 10) / 10;
  const md = [
    `# kafkajs encoding benchmark (${summary.date})`,
    '',
    `Machine: ${JSON.stringify(summary.machine)}`,
    '',
    `Produce requests of ${perRequest} gateway records (an Altinn event, 11 headers each); medians of ${rounds} rounds, each variant in its own process.`,
    '',
    '| per record | kafkajs 2.2.4 | with kafkajs-tuning | speed-up |',
    '| --- | ---: | ---: | ---: |',
    `| encode a produce request, µs | ${summary.encodeUsPerRecord.kafkajs} | ${summary.encodeUsPerRecord.tuned} | ×${speedup('encodeUsPerRecord')} |`,
    `| murmur2 of the key, µs | ${summary.hashUsPerKey.kafkajs} | ${summary.hashUsPerKey.tuned} | ×${speedup('hashUsPerKey')} |`,
  ].join('\n');
  const file = writeResults('kafkajs', summary, md);
  process.stdout.write(`\n${md}\n\nwritten to ${file}\n`);
}

const variantArg = process.argv.indexOf('--variant');
(variantArg > 0 ? child(process.argv[variantArg + 1] as Variant) : main()).catch((e: unknown) => {
  process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
  process.exit(1);
});
