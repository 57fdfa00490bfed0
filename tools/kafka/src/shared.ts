import * as fs from 'node:fs';
import * as path from 'node:path';
import { liveBrokerPid, RunningKafka, startLocked, stopLocked, withBrokerLock } from './broker';
import { installKafka } from './install';
import { LocalKafkaOptions, resolveOptions, ResolvedOptions } from './options';
import { isProcessAlive, readTextIfExists } from './util';

/**
 * Who started the broker of a data dir, so that a test run only stops a broker a test run started:
 * - "cli": `kafka:start` / `cli.ts start` pinned it; test runs never stop it.
 * - "shared": a jest global setup or `cli.ts exec` started it; the last lease holder to finish stops it.
 * The file is removed whenever the broker stops or a new one starts.
 */
export type BrokerOwner = 'cli' | 'shared';

export function setOwner(r: ResolvedOptions, owner: BrokerOwner): void {
  fs.writeFileSync(r.files.owner, `${owner}\n`);
}

export function getOwner(r: ResolvedOptions): BrokerOwner | undefined {
  const owner = readTextIfExists(r.files.owner)?.trim();
  return owner === 'cli' || owner === 'shared' ? owner : undefined;
}

/**
 * Leases: one file per process (named by pid) using the broker. Two jest runs in parallel (e.g. `nx run-many
 * -t test` with --parallel > 1) share the broker on the default port, and only the last one to finish stops it.
 * Leases of dead processes are ignored, so a crashed run cannot keep the broker alive for ever.
 */
function leaseFile(r: ResolvedOptions, pid: number): string {
  return path.join(r.files.leases, String(pid));
}

export function liveLeases(r: ResolvedOptions): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(r.files.leases);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) live.push(pid);
    else fs.rmSync(path.join(r.files.leases, name), { force: true });
  }
  return live;
}

/** Starts (or reuses) the broker for a test run or `exec` and takes a lease on it. */
export async function acquireShared(opts: LocalKafkaOptions): Promise<RunningKafka> {
  const r = resolveOptions(opts);
  await installKafka(opts);
  return withBrokerLock(r, async () => {
    const running = await startLocked(r);
    if (running.startedByUs) setOwner(r, 'shared');
    liveLeases(r);
    fs.mkdirSync(r.files.leases, { recursive: true });
    fs.writeFileSync(leaseFile(r, process.pid), `${new Date().toISOString()}\n`);
    return running;
  });
}

/** Drops this process's lease; stops the broker when a test run started it and nobody else uses it. */
export async function releaseShared(opts: LocalKafkaOptions): Promise<'stopped' | 'in-use' | 'not-ours'> {
  const r = resolveOptions(opts);
  return withBrokerLock(r, async () => {
    fs.rmSync(leaseFile(r, process.pid), { force: true });
    const others = liveLeases(r);
    if (liveBrokerPid(r) === undefined) return 'stopped';
    if (others.length > 0) {
      r.log(`Leaving Kafka on ${r.brokers} running: still used by test run(s) ${others.join(', ')}.`);
      return 'in-use';
    }
    if (getOwner(r) !== 'shared') return 'not-ours';
    await stopLocked(r, 'SIGTERM');
    return 'stopped';
  });
}

/** `cli.ts start`: starts or reuses the broker and pins it, so test runs that reuse it leave it running. */
export async function startPinned(opts: LocalKafkaOptions): Promise<RunningKafka> {
  const r = resolveOptions(opts);
  await installKafka(opts);
  return withBrokerLock(r, async () => {
    const running = await startLocked(r);
    setOwner(r, 'cli');
    return running;
  });
}
