/**
 * Runs a built app (`dist/apps/<app>/main.js`) as its own process, the way it runs in production, for the
 * e2e projects: free ports, readiness polling, captured output, and the exit code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

function findRepoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`nx.json not found above ${from}`);
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(__dirname);

export function appMain(app: string): string {
  return join(REPO_ROOT, 'dist/apps', app, 'main.js');
}

export interface AppProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal) once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (if still running), then the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  /** The path polled until it answers 200. Default /health/live. */
  readyPath?: string;
  /** The port readyPath is polled on, when not the app's PORT (the gateway's METRICS_PORT). */
  readyPort?: number;
  timeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function spawnApp(app: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const main = appMain(app);
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npx nx build ${app}" first`);
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env['PATH'] ?? '', KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** Starts the app on a free port (unless env.PORT is given) and waits until `readyPath` answers 200. */
export async function startAppProcess(
  app: string,
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<AppProcess> {
  const { readyPath = '/health/live', timeoutMs = 30_000, readyPort } = options;
  const port = Number(env['PORT'] ?? (await freePort()));
  const { child, output } = spawnApp(app, { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${readyPort ?? port}${readyPath}`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${app} not ready after ${timeoutMs} ms:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    child,
    output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

/** Runs the app until it exits by itself (for start-up failures) and returns its exit code and output. */
export async function runAppToExit(
  app: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnApp(app, env);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { code, output: output() };
}

/**
 * Polls `check` (every `everyMs`) until it holds, or fails after `timeoutMs` naming `what`. The one polling
 * helper of the tests and tools: a failure says what never happened, not just that time ran out. The default
 * stays under jest's 30 s test timeout, so a test that waits in vain reports this message, not jest's bare
 * "Exceeded timeout"; pass a longer `timeoutMs` (and test timeout) for waits that need it.
 */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
