import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import { createInterface } from 'node:readline';

export type Env = Readonly<Record<string, string | undefined>>;

/** A child process of the local stack, with its output turned into lines for the stack's log. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

/**
 * Starts a child in its own process group, so a Ctrl-C in the terminal reaches only the stack, which then stops
 * the children in order (gateway first, Kafka last).
 */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Env; onLine: (name: string, line: string, stream: 'out' | 'err') => void },
): Child {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: definedOnly(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.stdout)
    createInterface({ input: child.stdout }).on('line', (l) => options.onLine(name, l, 'out'));
  if (child.stderr)
    createInterface({ input: child.stderr }).on('line', (l) => options.onLine(name, l, 'err'));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 0));
    child.once('error', () => resolve(1));
  });
  return { name, process: child, exited };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopChild(child: Child, graceMs: number): Promise<number | NodeJS.Signals> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return child.exited;
  signal(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      signal(child, 'SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([child.exited, killed]);
  clearTimeout(timer);
  return child.exited;
}

function signal(child: Child, sig: NodeJS.Signals): void {
  const pid = child.process.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig); // the whole group: npm/nx wrappers and what they started
  } catch {
    try {
      child.process.kill(sig);
    } catch {
      // already gone
    }
  }
}

/** Runs a command to completion, its output to `onLine`; rejects on a non-zero exit. */
export async function run(
  name: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Env; onLine: (name: string, line: string, stream: 'out' | 'err') => void },
): Promise<void> {
  const child = startChild(name, command, args, options);
  const code = await child.exited;
  if (code !== 0) throw new Error(`${name} failed (${String(code)}): ${command} ${args.join(' ')}`);
}

/** `preferred` when it is free on 127.0.0.1, otherwise (or for 0) a free port chosen by the OS. */
export async function portOrFree(preferred: number): Promise<number> {
  if (preferred !== 0 && (await canListen(preferred))) return preferred;
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Polls `url` until it answers 2xx, the child exits, or `timeoutMs` passes. */
export async function waitForHttp(
  url: string,
  child: Child | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exit: number | NodeJS.Signals | undefined;
  void child?.exited.then((code) => (exit = code));
  for (;;) {
    if (exit !== undefined)
      throw new Error(`${child?.name ?? url} exited (${String(exit)}) before it was ready`);
    if (signal?.aborted) throw new Error('interrupted while starting');
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} was not ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function definedOnly(env: Env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
