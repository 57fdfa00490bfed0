import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@broker-events/soak';
import { type ScenarioResult, scenarioProblems } from './scenarios';

const DIR = join(REPO_ROOT, 'bench/results');
const JSON_FILE = join(DIR, 'cluster.json');
const MD_FILE = join(DIR, 'cluster.md');

interface Stored extends ScenarioResult {
  at: string;
  cores: number;
  node: string;
}

const TITLES: Record<ScenarioResult['scenario'], string> = {
  'rolling-restart': 'Rolling restart of all three brokers',
  'leader-kill': 'SIGKILL of the broker leading most partitions',
  'two-down': 'Two of three brokers down (min.insync.replicas=2)',
  'group-churn': 'Consumer group churn (one archive replica killed, one started)',
};

/** Keeps the newest result per scenario and Kafka version in cluster.json and rewrites cluster.md from it. */
export function recordResult(r: ScenarioResult): void {
  mkdirSync(DIR, { recursive: true });
  const all: Stored[] = existsSync(JSON_FILE)
    ? (JSON.parse(readFileSync(JSON_FILE, 'utf8')) as Stored[])
    : [];
  const kept = all.filter((x) => !(x.scenario === r.scenario && x.kafkaVersion === r.kafkaVersion));
  kept.push({ at: new Date().toISOString(), cores: cpus().length, node: process.version, ...r });
  const order = Object.keys(TITLES);
  kept.sort(
    (a, b) =>
      order.indexOf(a.scenario) - order.indexOf(b.scenario) || a.kafkaVersion.localeCompare(b.kafkaVersion),
  );
  writeFileSync(JSON_FILE, JSON.stringify(kept, null, 2) + '\n');
  writeFileSync(MD_FILE, markdown(kept));
}

function markdown(results: Stored[]): string {
  const lines = [
    '# Three-broker cluster under faults',
    '',
    'Written by `npm run bench:cluster -- <scenario>` (tools/cluster-bench). Three KRaft nodes (controller+broker) on',
    'one machine, topics RF 3 / `min.insync.replicas=2`, the gateway, archive and email apps connected through the',
    'TLS + SCRAM-SHA-512 listener. Load: new events at a fixed rate (open model). Refused events are sent again',
    'afterwards as Altinn does; then rows in the archive and mails at the SMTP server are counted per event id.',
    'Times in seconds. "lost" = answered 2xx but not archived / not mailed; "dup" = archived / mailed more than once.',
    '',
    '| scenario | Kafka | rate/s | load s | sent | 2xx | 503 | 503 share | no answer | archive lost | archive dup | mail lost | mail dup | DLQ | max lag | verdict |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    const problems = scenarioProblems(r);
    lines.push(
      `| ${r.scenario} | ${r.kafkaVersion} | ${r.rate} | ${r.loadSeconds.toFixed(0)} | ${r.sent} | ${r.accepted} | ${r.answers['503'] ?? 0} | ${(r.share503 * 100).toFixed(1)} % | ${r.answers['error'] ?? 0} | ${r.archiveLost} | ${r.archiveDuplicated} | ${r.mailLost} | ${r.mailDuplicated} | ${r.deadLettered} | ${r.maxLag} | ${problems.length === 0 ? 'ok' : problems.join('; ')} |`,
    );
  }
  lines.push('');
  for (const r of results) {
    lines.push(`## ${TITLES[r.scenario]} (Kafka ${r.kafkaVersion})`, '');
    lines.push(
      `Run ${r.at}, ${r.cores} cores, Node ${r.node}. Answers: ${Object.entries(r.answers)
        .map(([k, v]) => `${k}×${v}`)
        .join(', ')}.`,
      '',
    );
    lines.push('| time | s |', '| --- | ---: |');
    for (const [k, v] of Object.entries(r.timings)) lines.push(`| ${k} | ${v} |`);
    if (Object.keys(r.facts).length > 0) {
      lines.push('', '| fact | value |', '| --- | ---: |');
      for (const [k, v] of Object.entries(r.facts)) lines.push(`| ${k} | ${String(v)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
