import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configuredPort, writeConfigFiles } from './config-files';
import { installKafka } from './install';
import { LocalKafkaOptions, resolveOptions, ResolvedOptions } from './options';
import { probeBroker } from './ready';
import {
  errorMessage,
  isPortFree,
  isPortOpen,
  isProcessAlive,
  processCommandLine,
  readTextIfExists,
  signalProcessTree,
  sleep,
  tailFile,
  waitForProcessExit,
  withFileLock,
} from './util';

export { installKafka } from './install';
export type { LocalKafkaOptions } from './options';

export interface RunningKafka {
  /** Bootstrap address for clients, e.g. "127.0.0.1:19092". */
  brokers: string;
  pid: number;
  /** False when an already running broker (started earlier from the same data dir) was reused. */
  startedByUs: boolean;
}

export interface KafkaStatus {
  running: boolean;
  pid?: number;
  brokers: string;
  /** Only when running: whether the client port accepts TCP connections right now. */
  listening?: boolean;
  dataDir: string;
}

const FORMAT_TIMEOUT_MS = 120_000;
const KILL_WAIT_MS = 15_000;
const MAIN_CLASS = 'kafka.Kafka';

/**
 * Starts a single-node KRaft broker (detached, own process group) and resolves once a kafkajs admin client
 * can list, create and delete topics. Installs the jars and formats the data dir first when needed.
 * Reuses the broker if one started from the same data dir is already running (startedByUs=false).
 */
export async function startKafka(opts: LocalKafkaOptions = {}): Promise<RunningKafka> {
  const r = resolveOptions(opts);
  await installKafka(opts);
  return withBrokerLock(r, () => startLocked(r));
}

/** SIGTERM (controlled shutdown), then SIGKILL after stopTimeoutMs. Does nothing when not running. */
export async function stopKafka(opts: LocalKafkaOptions = {}): Promise<void> {
  const r = resolveOptions(opts);
  await withBrokerLock(r, () => stopLocked(r, 'SIGTERM'));
}

/** SIGKILL, no shutdown hooks: a crash, for fault-injection tests. Does nothing when not running. */
export async function killKafka(opts: LocalKafkaOptions = {}): Promise<void> {
  const r = resolveOptions(opts);
  await withBrokerLock(r, () => stopLocked(r, 'SIGKILL'));
}

export async function kafkaStatus(opts: LocalKafkaOptions = {}): Promise<KafkaStatus> {
  const r = resolveOptions(opts);
  const pid = liveBrokerPid(r);
  if (pid === undefined) return { running: false, brokers: r.brokers, dataDir: r.dataDir };
  const listening = await isPortOpen(r.host, r.port);
  return { running: true, pid, brokers: r.brokers, listening, dataDir: r.dataDir };
}

// ---------------------------------------------------------------------------------------------------------
// Internals (also used by the jest global setup/teardown, which must hold the lock across several steps).

const PORT_WAIT_MS = 10_000;

/**
 * A Kafka cluster id: 16 random bytes in base64url (22 characters). One in 64 of those starts with `-`,
 * which StorageTool's argument parser takes for an option; such ids are drawn again.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function portFreeWithin(host: string, port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await isPortFree(host, port)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function withBrokerLock<T>(r: ResolvedOptions, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(r.dataDir, { recursive: true });
  return withFileLock(r.files.lock, r.readyTimeoutMs + r.stopTimeoutMs + FORMAT_TIMEOUT_MS, fn, (owner) =>
    r.log(`Waiting for process ${owner}, which is starting or stopping the broker in ${r.dataDir}...`),
  );
}

/** The pid from the pid file if that process is alive and is a broker of this data dir. */
export function liveBrokerPid(r: ResolvedOptions): number | undefined {
  const pid = Number.parseInt(readTextIfExists(r.files.pid) ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return undefined;
  const cmdline = processCommandLine(pid);
  // Without /proc (macOS) trust the pid file; on Linux guard against a recycled pid.
  if (
    cmdline !== undefined &&
    !(cmdline.includes(MAIN_CLASS) && cmdline.includes(r.files.serverProperties))
  ) {
    return undefined;
  }
  return pid;
}

export async function startLocked(r: ResolvedOptions): Promise<RunningKafka> {
  const existing = liveBrokerPid(r);
  if (existing !== undefined) {
    const runningPort = configuredPort(r);
    if (runningPort !== undefined && runningPort !== r.port) {
      throw new Error(
        `A broker from ${r.dataDir} is already running on port ${runningPort} (pid ${existing}), not ${r.port}. ` +
          'Stop it first or use another data dir.',
      );
    }
    const since = Date.now();
    await waitUntilReady(r, existing, since);
    r.log(
      `Reusing the running Kafka broker (pid ${existing}) on ${r.brokers} (checked in ${Date.now() - since} ms).`,
    );
    return { brokers: r.brokers, pid: existing, startedByUs: false };
  }
  fs.rmSync(r.files.pid, { force: true });
  fs.rmSync(r.files.owner, { force: true });
  discardCdsTraining(r);

  for (const port of [r.port, r.controllerPort]) {
    // A port can be briefly held after a broker was killed, or by a short-lived client socket that the
    // kernel gave that number: wait a little before calling it taken.
    if (!(await portFreeWithin(r.host, port, PORT_WAIT_MS))) {
      throw new Error(
        `Port ${r.host}:${port} is in use by another process (not a broker started from ${r.dataDir}). ` +
          'Choose another port (--port / KAFKA_LOCAL_PORT), stop that process, or set KAFKA_BROKERS to use an existing broker.',
      );
    }
  }

  const started = Date.now();
  writeConfigFiles(r);
  rotateLog(r);
  await formatIfNeeded(r);
  const child = await spawnBroker(r);
  const pid = child.pid as number;
  try {
    await waitUntilReady(r, pid, started);
  } catch (err) {
    signalProcessTree(pid, 'SIGKILL');
    await waitForProcessExit(pid, KILL_WAIT_MS);
    fs.rmSync(r.files.pid, { force: true });
    discardCdsTraining(r);
    throw err;
  }
  dropCdsArchiveIfRejected(r);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  r.log(`Kafka ${r.version} ready on ${r.brokers} (pid ${pid}, ${seconds}s, data ${r.dataDir}).`);
  return { brokers: r.brokers, pid, startedByUs: true };
}

export async function stopLocked(r: ResolvedOptions, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const pid = liveBrokerPid(r);
  if (pid === undefined) {
    fs.rmSync(r.files.pid, { force: true });
    discardCdsTraining(r);
    return;
  }
  let graceful = false;
  if (signal === 'SIGTERM') {
    r.log(`Stopping Kafka broker pid ${pid} on ${r.brokers}...`);
    signalProcessTree(pid, 'SIGTERM');
    graceful = await waitForProcessExit(pid, r.stopTimeoutMs);
    if (!graceful) r.log(`Broker pid ${pid} did not stop within ${r.stopTimeoutMs} ms; sending SIGKILL.`);
  } else {
    r.log(`Killing Kafka broker pid ${pid} on ${r.brokers} (SIGKILL).`);
  }
  if (!graceful) {
    signalProcessTree(pid, 'SIGKILL');
    if (!(await waitForProcessExit(pid, KILL_WAIT_MS))) {
      throw new Error(`Kafka broker pid ${pid} is still alive ${KILL_WAIT_MS} ms after SIGKILL.`);
    }
  }
  fs.rmSync(r.files.pid, { force: true });
  fs.rmSync(r.files.owner, { force: true });
  if (graceful) keepCdsArchive(r);
  else discardCdsTraining(r);
}

// ---------------------------------------------------------------------------------------------------------

function javaFlags(r: ResolvedOptions): string[] {
  return [
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    // C1 only: the broker JVM reaches "ready" ~30% sooner. Override with jvmArgs ['-XX:TieredStopAtLevel=4']
    // (or KAFKA_LOCAL_JVM_OPTS) for throughput benchmarks.
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${r.files.log4j2}`,
    `-Dkafka.logs.dir=${r.dataDir}`,
  ];
}

function userJvmArgs(r: ResolvedOptions): string[] {
  const fromEnv = (process.env['KAFKA_LOCAL_JVM_OPTS'] ?? '').split(/\s+/).filter((a) => a.length > 0);
  return [...r.jvmArgs, ...fromEnv];
}

function classpath(r: ResolvedOptions): string {
  // The JVM expands "dir/*" itself; no shell involved.
  return path.join(r.libsDir, '*');
}

async function formatIfNeeded(r: ResolvedOptions): Promise<void> {
  if (fs.existsSync(r.files.metaProperties)) return;
  const clusterId = r.clusterId ?? newClusterId();
  r.log(`Formatting KRaft storage in ${r.files.kraftLogDir} (cluster id ${clusterId}).`);
  const args = [
    ...javaFlags(r),
    '-cp',
    classpath(r),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    r.files.serverProperties,
    '--ignore-formatted',
    ...r.formatArgs,
  ];
  const out = fs.openSync(r.files.log, 'a');
  let code: number | null;
  try {
    const child = spawn(r.javaBin, args, { cwd: r.dataDir, stdio: ['ignore', out, out] });
    code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(brokerError(r, `StorageTool format did not finish within ${FORMAT_TIMEOUT_MS} ms`));
      }, FORMAT_TIMEOUT_MS);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`Could not run ${r.javaBin}: ${err.message}. Install a JDK 17+ or set JAVA_HOME.`));
      });
      child.once('close', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
  } finally {
    fs.closeSync(out);
  }
  if (code !== 0 || !fs.existsSync(r.files.metaProperties)) {
    throw brokerError(r, `StorageTool format failed (exit ${code})`);
  }
}

async function spawnBroker(r: ResolvedOptions): Promise<ChildProcess> {
  const args = [
    ...javaFlags(r),
    ...cdsFlags(r),
    ...userJvmArgs(r),
    '-cp',
    classpath(r),
    MAIN_CLASS,
    r.files.serverProperties,
  ];
  const out = fs.openSync(r.files.log, 'a');
  let child: ChildProcess;
  try {
    fs.writeSync(out, `[kafka-local] ${new Date().toISOString()} starting: ${r.javaBin} ${args.join(' ')}\n`);
    // detached: own session/process group, so the broker outlives this process and the whole group can
    // be signalled; stdout+stderr go straight to the log file (no pipe that would die with us).
    child = spawn(r.javaBin, args, { cwd: r.dataDir, detached: true, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  if (child.pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`Could not run ${r.javaBin}: ${err.message}. Install a JDK 17+ or set JAVA_HOME.`);
  }
  child.on('error', () => undefined);
  child.unref();
  fs.writeFileSync(r.files.pid, `${child.pid}\n`);
  return child;
}

async function waitUntilReady(r: ResolvedOptions, pid: number, started: number): Promise<void> {
  const deadline = started + r.readyTimeoutMs;
  let lastError = 'client port not open yet';
  for (;;) {
    if (!isProcessAlive(pid)) throw brokerError(r, `exited during startup (pid ${pid})`);
    if (await isPortOpen(r.host, r.port)) {
      try {
        await probeBroker(r.brokers);
        return;
      } catch (err) {
        lastError = errorMessage(err);
      }
    }
    if (Date.now() >= deadline) {
      throw brokerError(
        r,
        `did not become ready within ${Math.round(r.readyTimeoutMs / 1000)}s (last error: ${lastError})`,
      );
    }
    await sleep(250);
  }
}

function brokerError(r: ResolvedOptions, what: string): Error {
  const tail = tailFile(r.files.log, 40);
  return new Error(
    `Kafka broker ${r.brokers} (data dir ${r.dataDir}) ${what}.\n--- last lines of ${r.files.log} ---\n${tail || '(empty)'}`,
  );
}

function rotateLog(r: ResolvedOptions): void {
  if (fs.existsSync(r.files.log)) fs.renameSync(r.files.log, `${r.files.log}.1`);
}

// --- AppCDS: the first broker start records the loaded classes (-XX:ArchiveClassesAtExit, written when the
// JVM exits after SIGTERM); later starts map that archive and reach "ready" 1-2 s sooner. The archive is tied
// to the jars and the JDK build; a JVM that rejects it just runs without it (and we delete it, see below).
// KAFKA_LOCAL_CDS=0 turns this off.

function cdsArchive(r: ResolvedOptions): string {
  return path.join(r.versionDir, 'kafka.jsa');
}

function cdsFlags(r: ResolvedOptions): string[] {
  if (process.env['KAFKA_LOCAL_CDS'] === '0') return [];
  if (fs.existsSync(cdsArchive(r))) return [`-XX:SharedArchiveFile=${cdsArchive(r)}`, '-Xshare:auto'];
  const training = path.join(r.versionDir, `kafka.jsa.tmp-${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(r.files.cdsTraining, training);
  return [`-XX:ArchiveClassesAtExit=${training}`];
}

function keepCdsArchive(r: ResolvedOptions): void {
  const training = readTextIfExists(r.files.cdsTraining)?.trim();
  fs.rmSync(r.files.cdsTraining, { force: true });
  if (!training || !fs.existsSync(training)) return;
  if (!fs.existsSync(cdsArchive(r)) && fs.statSync(training).size > 1024 * 1024) {
    fs.renameSync(training, cdsArchive(r));
    r.log(`Saved a class-data-sharing archive for faster broker starts: ${cdsArchive(r)}`);
  } else {
    fs.rmSync(training, { force: true });
  }
}

function discardCdsTraining(r: ResolvedOptions): void {
  const training = readTextIfExists(r.files.cdsTraining)?.trim();
  if (training) fs.rmSync(training, { force: true });
  fs.rmSync(r.files.cdsTraining, { force: true });
}

function dropCdsArchiveIfRejected(r: ResolvedOptions): void {
  const tail = tailFile(r.files.log, 400, 512 * 1024);
  if (/\[(warning|error)\s*\]\[cds/.test(tail) && fs.existsSync(cdsArchive(r))) {
    r.log('The JVM rejected the class-data-sharing archive (JDK or jars changed); it will be rebuilt.');
    fs.rmSync(cdsArchive(r), { force: true });
  }
}
