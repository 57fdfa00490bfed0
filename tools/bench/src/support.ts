import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_KAFKA_VERSION } from '@broker-events/kafka-local';
import autocannon from 'autocannon';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const RESULTS_DIR = join(REPO_ROOT, 'bench/results');

export interface LoadResult {
  label: string;
  requests: number;
  non2xx: number;
  errors: number;
  durationS: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface Spawned {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function spawnProcess(cmd: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function waitForHttp(url: string, timeoutMs: number, proc?: Spawned): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not yet
    }
    if (proc && proc.child.exitCode !== null) throw new Error(`process exited:\n${proc.output()}`);
    if (Date.now() > deadline)
      throw new Error(`${url} not up after ${timeoutMs} ms\n${proc?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Drives POSTs over keep-alive connections; `body()` makes each request's body (unique ids). */
export async function drive(opts: {
  label: string;
  url: string;
  connections: number;
  durationS: number;
  rate?: number;
  body: () => string;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationS,
    overallRate: opts.rate,
    pipelining: 1,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        setupRequest: (req) => ({ ...req, body: opts.body() }),
      },
    ],
  });
  return {
    label: opts.label,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    durationS: result.duration,
    rps: Math.round((result['2xx'] / result.duration) * 10) / 10,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

export function machine(): Record<string, unknown> {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kafka: DEFAULT_KAFKA_VERSION,
    packages: packageVersions(),
  };
}

const PACKAGES = [
  'kafkajs',
  '@nestjs/core',
  '@nestjs/platform-fastify',
  'pg',
  'better-sqlite3',
  'nodemailer',
  'autocannon',
];

/** Installed versions of the packages that shape the numbers, so runs can be compared. */
export function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version?: string;
      };
      out[name] = pkg.version ?? '?';
    } catch {
      out[name] = 'missing';
    }
  }
  return out;
}

export function writeResults(name: string, data: unknown, markdown: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  writeFileSync(join(RESULTS_DIR, `${name}.md`), markdown + '\n');
  return file;
}

/** The middle value (the mean of the two middle ones for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : Math.round(((sorted[mid - 1] + sorted[mid]) / 2) * 10) / 10;
}

export function table(rows: LoadResult[]): string {
  const head =
    '| run | events/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  return [
    head,
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.rps} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} | ${r.non2xx} | ${r.errors} |`,
    ),
  ].join('\n');
}
