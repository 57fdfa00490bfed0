import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, until } from '@broker-events/testing';

export const REPO_ROOT = resolve(__dirname, '../../..');

export type AppName = 'gateway' | 'archive' | 'email' | 'slack';

/** A built app (`dist/apps/<app>/main.js`) running as its own process, as it runs in production. */
export interface AppProcess {
  app: AppName;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Milliseconds from spawn to the first 200 on /health/ready. */
  startupMs: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident set size now, in MiB (Linux /proc; 0 elsewhere). */
  rssMiB(): number;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
}

export { freePort, until };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function rssMiBOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kib ? Math.round((Number(kib) / 1024) * 10) / 10 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; 0 elsewhere). */
export function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The whole machine's CPU seconds so far, busy and in all (summed over cores; Linux /proc/stat). */
export function machineCpuSeconds(): { busy: number; total: number } {
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
    const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu.split(/\s+/).slice(1).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    return { busy: busy / CLOCK_TICKS, total: (busy + idle + iowait) / CLOCK_TICKS };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** USER_HZ: 100 on every Linux we run on (the kernel's ABI for /proc, whatever CONFIG_HZ is). */
const CLOCK_TICKS = 100;

export async function isReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health/ready`)).status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts `dist/apps/<app>/main.js` with exactly `env` (plus PORT/HOST) and waits for /health/ready.
 * `nx build <app>` must have run.
 */
export async function startApp(
  app: AppName,
  env: Record<string, string>,
  timeoutMs = 45_000,
): Promise<AppProcess> {
  const main = join(REPO_ROOT, `dist/apps/${app}/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npx nx build ${app}" first`);
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [main], {
    env: { KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (!(await isReady(url))) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${app} not ready after ${timeoutMs} ms:\n${out.slice(-5000)}`);
    }
    await sleep(25);
  }
  const startupMs = Math.round(performance.now() - started);
  const pid = child.pid ?? 0;
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return {
    app,
    url,
    pid,
    child,
    startupMs,
    output: () => out,
    exited,
    rssMiB: () => rssMiBOf(pid),
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
}

/** True when a POST of an empty JSON object to `url` gets any HTTP answer (the server listens). */
export async function isReadyAt(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    return true;
  } catch {
    return false;
  }
}
