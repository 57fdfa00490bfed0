/**
 * npm run soak: holds SOAK_RATE events/s (default 50) for SOAK_MINUTES (default 10) against the built gateway
 * and archive on a private broker, then reports loss and duplicates by counting archive rows per event id.
 * SOAK_DATABASE_URL: archive in PostgreSQL (a schema of its own, dropped afterwards); unset: SQLite.
 * Exits 1 when anything was lost, duplicated, never accepted or left stuck.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArchiveDb, dropSchema } from './archive-rows';
import { REPO_ROOT } from './processes';
import { runSoak, soakProblems } from './soak';

async function main(): Promise<void> {
  const minutes = Number(process.env['SOAK_MINUTES'] ?? '10');
  const rate = Number(process.env['SOAK_RATE'] ?? '50');
  if (!(minutes > 0) || !(rate > 0)) throw new Error('SOAK_MINUTES and SOAK_RATE must be positive numbers');
  const dbUrl = process.env['SOAK_DATABASE_URL'];
  const tmp = mkdtempSync(join(tmpdir(), 'soak-'));
  const schema = `soak_${randomBytes(4).toString('hex')}`;
  const archiveDb: ArchiveDb = dbUrl
    ? { kind: 'postgres', url: dbUrl, schema }
    : { kind: 'sqlite', path: join(tmp, 'archive.sqlite') };
  const log = (line: string): void => console.log(`[soak ${new Date().toISOString()}] ${line}`);
  log(`${rate} events/s for ${minutes} min, archive in ${archiveDb.kind}`);
  try {
    const report = await runSoak({
      durationMs: minutes * 60_000,
      rate,
      archiveDb,
      brokers: process.env['SOAK_KAFKA_BROKERS'],
      log,
    });
    const problems = soakProblems(report);
    const c = report.reconciliation;
    const md = [
      '# Soak',
      '',
      `${rate} events/s for ${minutes} min, archive in ${archiveDb.kind}, ${cpus().length} cores, Node ${process.version}.`,
      '',
      '| sent | accepted (2xx) | lost | archived twice | never accepted | dead-lettered | gateway p50 ms | gateway p99 ms | gateway RSS max MiB | archive RSS max MiB |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${c.sent} | ${c.accepted} | ${c.lost.length} | ${c.duplicated.length} | ${c.neverAccepted} | ${report.settlement.deadLettered} | ${report.gatewayLatencyMs.p50} | ${report.gatewayLatencyMs.p99} | ${report.rssMaxMiB.gateway} | ${report.rssMaxMiB.archive} |`,
      '',
      `RSS peak per minute of load, MiB (first → last): gateway ${trend(report.rssByMinuteMiB.gateway)}, archive ${trend(report.rssByMinuteMiB.archive)}.`,
      '',
      problems.length === 0
        ? 'Nothing lost, nothing duplicated, nothing stuck.'
        : problems.map((p) => `- ${p}`).join('\n'),
    ].join('\n');
    const dir = join(REPO_ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'soak.json'),
      JSON.stringify(
        { at: new Date().toISOString(), cores: cpus().length, node: process.version, ...report },
        null,
        2,
      ) + '\n',
    );
    writeFileSync(join(dir, 'soak.md'), md + '\n');
    console.log(md);
    process.exitCode = problems.length === 0 ? 0 : 1;
  } finally {
    if (dbUrl) await dropSchema(dbUrl, schema);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** "140 → 142 (30 minutes)": the first and last minute's peak, so growth over a long run stands out. */
function trend(peaks: readonly number[]): string {
  if (peaks.length === 0) return 'not sampled';
  return `${peaks[0]} → ${peaks[peaks.length - 1]} (${peaks.length} minute${peaks.length === 1 ? '' : 's'})`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
