/**
 * npm run soak: holds SOAK_RATE events/s (default 50) for SOAK_MINUTES (default 10) against the built gateway,
 * archive and (SOAK_EMAIL=1, the default) email consumer on a private broker, then reports loss and duplicates
 * by counting archive rows and mails per event id. Every SOAK_MAIL_EVERY-th event (default 10) is of a resource
 * the email rule mails, as users route mail to the events they care about. Before the soak, the bare node:http + kafkajs baseline server
 * is held at the same rate on the same broker for SOAK_BASELINE_SECONDS (default 60; 0 = skip), so the
 * gateway's latency is read beside a baseline from the same run.
 * SOAK_DATABASE_URL: archive (and the email's processed-events store) in PostgreSQL, a schema of its own,
 * dropped afterwards; unset: SQLite.
 * SOAK_CONSUMER_NICE (default 0): CPU niceness of the archive and email processes, e.g. 10 to give the gateway
 * the CPU first, as its larger CPU request does in Kubernetes. SOAK_CONSUMER_ENV: a JSON object of extra
 * variables for both consumers (e.g. '{"KAFKA_FETCH_MIN_BYTES":"65536"}'). Both are printed in the report.
 * Writes bench/results/soak-<rate>x<minutes>m.json and .md. Exits 1 when anything was lost, duplicated, never
 * accepted or left stuck.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArchiveDb, dropSchema } from './archive-rows';
import { type BaselineResult, baselineLoad } from './baseline';
import { keepIdListsShort } from './accounting';
import { REPO_ROOT } from './processes';
import { type SoakReport, runSoak, soakProblems } from './soak';
import { startPrivateKafka } from './system';

async function main(): Promise<void> {
  const minutes = Number(process.env['SOAK_MINUTES'] ?? '10');
  const rate = Number(process.env['SOAK_RATE'] ?? '50');
  const email = (process.env['SOAK_EMAIL'] ?? '1') !== '0';
  const mailEvery = Number(process.env['SOAK_MAIL_EVERY'] ?? '10');
  const baselineSeconds = Number(process.env['SOAK_BASELINE_SECONDS'] ?? '60');
  if (!(minutes > 0) || !(rate > 0) || !(baselineSeconds >= 0) || !(mailEvery >= 1))
    throw new Error('SOAK_MINUTES and SOAK_RATE must be positive numbers, SOAK_BASELINE_SECONDS 0 or more');
  const consumerNice = Number(process.env['SOAK_CONSUMER_NICE'] ?? '0');
  const consumerEnv = parseConsumerEnv(process.env['SOAK_CONSUMER_ENV']);
  if (!Number.isInteger(consumerNice) || consumerNice < 0 || consumerNice > 19)
    throw new Error('SOAK_CONSUMER_NICE must be a whole number from 0 to 19');
  const dbUrl = process.env['SOAK_DATABASE_URL'];
  const tmp = mkdtempSync(join(tmpdir(), 'soak-'));
  const schema = `soak_${randomBytes(4).toString('hex')}`;
  const archiveDb: ArchiveDb = dbUrl
    ? { kind: 'postgres', url: dbUrl, schema }
    : { kind: 'sqlite', path: join(tmp, 'archive.sqlite') };
  const log = (line: string): void => console.log(`[soak ${new Date().toISOString()}] ${line}`);
  log(
    `${rate} events/s for ${minutes} min, archive in ${archiveDb.kind}, email ${email ? `on (1 in ${mailEvery})` : 'off'}`,
  );
  const loadBefore = loadavg();
  const own = process.env['SOAK_KAFKA_BROKERS'] ? undefined : await startPrivateKafka();
  const brokers = process.env['SOAK_KAFKA_BROKERS'] ?? own?.brokers ?? '';
  try {
    let baseline: BaselineResult | undefined;
    if (baselineSeconds > 0) {
      log(`baseline: bare node:http + kafkajs server at ${rate}/s for ${baselineSeconds} s`);
      baseline = await baselineLoad(brokers, rate, baselineSeconds * 1000);
      log(`baseline p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`);
    }
    const report = await runSoak({
      durationMs: minutes * 60_000,
      rate,
      archiveDb,
      ...(email ? { email: { mailEvery } } : {}),
      brokers,
      consumers: { env: consumerEnv, nice: consumerNice },
      log,
    });
    const problems = soakProblems(report);
    const name = `soak-${rate}x${minutes}m`;
    const md = renderSoak(report, {
      minutes,
      mailEvery,
      archiveDb,
      baseline,
      consumers: { env: consumerEnv, nice: consumerNice },
      problems,
      load: [loadBefore, loadavg()],
    });
    const dir = join(REPO_ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `${name}.json`),
      JSON.stringify(
        { at: new Date().toISOString(), cores: cpus().length, node: process.version, baseline, ...report },
        keepIdListsShort,
        2,
      ) + '\n',
    );
    writeFileSync(join(dir, `${name}.md`), md + '\n');
    console.log(md);
    process.exitCode = problems.length === 0 ? 0 : 1;
  } finally {
    await own?.destroy();
    if (dbUrl) await dropSchema(dbUrl, schema);
    rmSync(tmp, { recursive: true, force: true });
  }
}

function renderSoak(
  report: SoakReport,
  o: {
    minutes: number;
    mailEvery: number;
    archiveDb: ArchiveDb;
    baseline?: BaselineResult;
    consumers: { env: Record<string, string>; nice: number };
    problems: string[];
    load: [number[], number[]];
  },
): string {
  const c = report.reconciliation;
  const m = report.mail?.reconciliation;
  const apps = Object.keys(report.rssMaxMiB);
  const { nice } = o.consumers;
  const env = Object.keys(o.consumers.env).length ? JSON.stringify(o.consumers.env) : undefined;
  const tuning = `${nice ? ` SOAK_CONSUMER_NICE=${nice}` : ''}${env ? ` SOAK_CONSUMER_ENV='${env}'` : ''}`;
  const consumerTerms = [
    nice
      ? `at CPU niceness ${nice} (the gateway at 0: it gets the CPU first when the machine is busy, as with a larger CPU request in Kubernetes)`
      : '',
    env ? `with ${env}` : '',
  ].filter(Boolean);
  const consumersLine = consumerTerms.length
    ? `Consumers (archive, email) ${consumerTerms.join(', ')}.`
    : 'Every process at the same CPU priority, consumers with their default settings.';
  return [
    `# Soak: ${report.rate} events/s for ${o.minutes} min`,
    '',
    `${report.rate} events/s for ${o.minutes} min, archive in ${o.archiveDb.kind}, email ${m ? `on (every ${o.mailEvery === 1 ? '' : `${o.mailEvery}th `}event mailed, by a routing rule on its resource)` : 'off'}, ${cpus().length} cores, Node ${process.version}. ` +
      `Load average before / after: ${o.load[0][0].toFixed(2)} / ${o.load[1][0].toFixed(2)}. Rerun: \`SOAK_RATE=${report.rate} SOAK_MINUTES=${o.minutes}${o.archiveDb.kind === 'postgres' ? ' SOAK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test' : ''}${tuning} npm run soak\`.`,
    '',
    consumersLine,
    '',
    '| sent | accepted (2xx) | lost | archived twice | mailed | mailed twice | never mailed | never accepted | dead-lettered |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${c.sent} | ${c.accepted} | ${c.lost.length} | ${c.duplicated.length} | ${m ? m.accepted - m.lost.length : '–'} | ${m ? m.duplicated.length : '–'} | ${m ? m.lost.length : '–'} | ${c.neverAccepted} | ${report.settlement.deadLettered + (report.mail?.settlement.deadLettered ?? 0)} |`,
    '',
    '| gateway latency (2xx answers) | p50 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: |',
    `| gateway, ${report.durationS} s | ${report.gatewayLatencyMs.p50} | ${report.gatewayLatencyMs.p99} | ${report.gatewayLatencyMs.max} |`,
    o.baseline
      ? `| baseline (bare node:http + kafkajs, same rate and broker, ${o.baseline.durationS} s before) | ${o.baseline.p50} | ${o.baseline.p99} | |`
      : '| baseline | not run | | |',
    '',
    '| app | RSS max MiB | RSS peak per minute of load, MiB (first → last) |',
    '| --- | ---: | --- |',
    ...apps.map((a) => `| ${a} | ${report.rssMaxMiB[a]} | ${trend(report.rssByMinuteMiB[a] ?? [])} |`),
    '',
    ...cpuTable(report),
    o.problems.length === 0
      ? 'Nothing lost, nothing duplicated, nothing stuck.'
      : o.problems.map((p) => `- ${p}`).join('\n'),
  ].join('\n');
}

/** "140 → 142 (30 minutes)": the first and last minute's peak, so growth over a long run stands out. */
/** Where the machine's CPU went during the load: the figure behind the gateway's tail latency. */
function cpuTable(report: SoakReport): string[] {
  const cpu = report.cpuSeconds;
  if (!cpu || cpu.total <= 0) return [];
  const events = report.load.attempted;
  const wall = cpu.total / cpus().length;
  const row = (name: string, s: number) =>
    `| ${name} | ${s} | ${(s / wall).toFixed(2)} | ${events > 0 ? ((s * 1000) / events).toFixed(3) : '–'} |`;
  return [
    `| CPU during the load (${cpus().length} cores) | CPU s | cores (average) | ms per event |`,
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(cpu.apps).map(([app, s]) => row(app, s)),
    row('load generator', cpu.loadGenerator),
    row('everything else (Kafka broker, PostgreSQL, …)', cpu.rest),
    row('machine, busy', cpu.busy),
    '',
  ];
}

function trend(peaks: readonly number[]): string {
  if (peaks.length === 0) return 'not sampled';
  return `${peaks[0]} → ${peaks[peaks.length - 1]} (${peaks.length} minute${peaks.length === 1 ? '' : 's'})`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/** SOAK_CONSUMER_ENV: a JSON object of string values, or unset. */
function parseConsumerEnv(text: string | undefined): Record<string, string> {
  if (!text) return {};
  const value: unknown = JSON.parse(text);
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === 'string')
  )
    throw new Error('SOAK_CONSUMER_ENV must be a JSON object of strings, e.g. {"KAFKA_FETCH_MIN_BYTES":"65536"}');
  return value as Record<string, string>;
}
