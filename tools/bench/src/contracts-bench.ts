/**
 * `npm run bench:contracts`: the cost of validation and the Kafka mapping per event, beside the baseline
 * of JSON.parse alone, measured in the same run. Writes bench/results/contracts.json and .md.
 */
import { fromKafkaRecord, parseCloudEvent, toKafkaRecord } from '@broker-events/contracts';
import { loadSample } from '@broker-events/contracts/testing';
import { machine, writeResults } from './support';

function measure(
  label: string,
  iterations: number,
  fn: () => unknown,
): { label: string; microseconds: number; opsPerSecond: number } {
  for (let i = 0; i < Math.min(iterations, 5000); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const us = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  return { label, microseconds: Math.round(us * 100) / 100, opsPerSecond: Math.round(1e6 / us) };
}

const raw = loadSample('current-published-recipient').raw;
const parsed = parseCloudEvent(JSON.parse(raw));
if (!parsed.ok) throw new Error('sample does not parse');
const record = toKafkaRecord(parsed.event, parsed.canonicalType);
const n = Number(process.env['BENCH_ITERATIONS'] ?? 100_000);

const results = [
  measure('baseline: JSON.parse', n, () => JSON.parse(raw)),
  measure('JSON.parse + parseCloudEvent', n, () => parseCloudEvent(JSON.parse(raw))),
  measure('toKafkaRecord', n, () => toKafkaRecord(parsed.event, parsed.canonicalType)),
  measure('fromKafkaRecord', n, () => fromKafkaRecord(record)),
];
const md = [
  `# Contracts benchmark (${new Date().toISOString()})`,
  '',
  `Machine: ${JSON.stringify(machine())}`,
  '',
  '| operation | µs/op | ops/s |',
  '| --- | ---: | ---: |',
  ...results.map((r) => `| ${r.label} | ${r.microseconds} | ${r.opsPerSecond} |`),
].join('\n');
writeResults(
  'contracts',
  { benchmark: 'contracts', date: new Date().toISOString(), machine: machine(), iterations: n, results },
  md,
);
process.stdout.write(md + '\n');
