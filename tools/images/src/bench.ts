/**
 * `npm run bench:images [-- --apps gateway,archive] [--starts 3] [--idle-seconds 10]`: what each app costs
 * in its image, run as a cluster runs it.
 *
 * For every app image built by `npm run images` (none is built here), and for a baseline in the same image (a
 * bare `node -e "http.createServer().listen()"`, no app code), in this run and on this machine:
 * - start-up: `podman run` → the first 200 from /health/ready (the baseline: from its port), and the app's own
 *   `startupMs` (process start → listening, from its start-up log line);
 * - idle memory after a warm-up (a few /health and /metrics requests, then `--idle-seconds` of nothing): the
 *   process's VmRSS (/proc/<pid>/status, the container's PID 1) and the container's cgroup working set
 *   (usage minus inactive file cache, what the kubelet compares with a memory limit).
 * Containers run read-only, `--cap-drop ALL`, uid 1000, host network, against the local Kafka that `kafka exec`
 * provides (`KAFKA_BROKERS`), SQLite stores (no database URL), an SMTP sink and the Altinn stand-ins in this
 * process. One warm-up start per app (it creates the app's topics, as Strimzi would have) is not counted; the
 * counted starts run with KAFKA_CREATE_TOPICS=false, as in Kubernetes.
 *
 * Writes bench/results/images-runtime.{md,json}. Reports; never fails on a number. Goal (issue #17): idle RSS
 * ≤ 100 MB and start-up ≤ 1 s per app.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { type AltinnStandIns, startAltinnStandIns } from '@broker-events/altinn-client/testing';
import { freePort } from '@broker-events/testing';
import { APP_CONTAINER_FLAGS, imageExists, must, podmanEnv, run } from './lib/podman';

const REPO = join(__dirname, '../../..');
const RESULTS = join(REPO, 'bench/results');
const env = podmanEnv(join(REPO, '.cache/images'));
const prefix = process.env['IMAGE_PREFIX'] ?? 'broker-events-';
const tag = process.env['IMAGE_TAG'] ?? 'dev';
const image = (app: string): string => `${prefix}${app}:${tag}`;
const runId = randomBytes(3).toString('hex');
const log = (line: string): void => void process.stdout.write(`${line}\n`);
const MB = 1e6;
/** The goals of issue #17 item 5. */
const GOAL = { rssMB: 100, startupMs: 1000 };
const ALL_APPS = ['gateway', 'archive', 'email', 'slack', 'poller', 'file-fetcher', 'console'];

interface Options {
  apps: string[];
  starts: number;
  idleSeconds: number;
  /** NODE_OPTIONS for the apps (not the baseline): to try a flag without building images again. */
  nodeOptions?: string;
  /** Extra environment for the apps (`--env K=V`, repeatable), e.g. MALLOC_ARENA_MAX. */
  env: Record<string, string>;
  /** Replaces the image's CMD for the apps (e.g. `node main.js` without a flag), to try it without a build. */
  cmd?: string[];
  /** Results file name under bench/results (default images-runtime). */
  out: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    apps: ALL_APPS.filter((a) => imageExists(image(a), env)),
    starts: 3,
    idleSeconds: 10,
    out: 'images-runtime',
    env: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--apps') o.apps = value().split(',').filter(Boolean);
    else if (a === '--starts') o.starts = Number(value());
    else if (a === '--idle-seconds') o.idleSeconds = Number(value());
    else if (a === '--node-options') o.nodeOptions = value();
    else if (a === '--out') o.out = value();
    else if (a === '--cmd') o.cmd = value().split(' ').filter(Boolean);
    else if (a === '--env') {
      const [k, ...v] = value().split('=');
      o.env[k] = v.join('=');
    } else throw new Error(`unknown option ${a}`);
  }
  const missing = o.apps.filter((a) => !imageExists(image(a), env));
  if (missing.length > 0)
    throw new Error(`no image ${missing.map(image).join(', ')}: build it first (npm run images)`);
  if (o.apps.length === 0) throw new Error('no app image found: build them first (npm run images)');
  return o;
}

/** One measured start. */
interface Sample {
  /** `podman run` called → first 200 from the ready path. */
  runToReadyMs: number;
  /**
   * CPU time (user + system) the process had used when it first answered ready: the work of starting, which
   * other load on the machine stretches far less than the wall-clock time.
   */
  startupCpuMs: number;
  /** The app's own start-up log: process start → listening (undefined: the image's app does not log it). */
  loggedMs?: number;
  /** VmRSS of the container's PID 1 after the warm-up and idle wait, MB. */
  rssMB: number;
  /** RssAnon: the private part of it (heap, stacks, malloc), without the mapped node binary and libraries, MB. */
  anonMB: number;
  /** V8's heap in use (nodejs_heap_size_used_bytes of /metrics), MB; undefined for the baseline. */
  heapUsedMB?: number;
  /** The container's cgroup working set (usage − inactive file cache), MB. */
  workingSetMB?: number;
  /** VmHWM: the peak RSS of the process (start-up included), MB. */
  peakRssMB: number;
}

interface AppResult {
  app: string;
  image: string;
  imageId: string;
  samples: Sample[];
}

const median = (values: readonly number[]): number => {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

function podman(...args: string[]): string {
  return must('podman', args, { env });
}

function pidOf(container: string): number {
  return Number(podman('inspect', '--format', '{{.State.Pid}}', container).trim());
}

function running(container: string): boolean {
  return podman('inspect', '--format', '{{.State.Running}}', container).trim() === 'true';
}

/** utime + stime of a process, ms (/proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** kB fields of /proc/<pid>/status. */
function procStatus(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1024;
  }
  return out;
}

/** The container's memory working set from its cgroup (v1 or v2), bytes; undefined when unreadable. */
function workingSet(pid: number): number | undefined {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const stat = (file: string): Record<string, number> =>
    Object.fromEntries(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([k, v]) => [k, Number(v)]),
    );
  const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes('memory'));
  if (v1) {
    const dir = join('/sys/fs/cgroup/memory', v1.split(':')[2]);
    if (existsSync(join(dir, 'memory.usage_in_bytes'))) {
      const usage = Number(readFileSync(join(dir, 'memory.usage_in_bytes'), 'utf8'));
      return usage - (stat(join(dir, 'memory.stat'))['total_inactive_file'] ?? 0);
    }
  }
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2) {
    const dir = join('/sys/fs/cgroup', v2.slice(3));
    if (existsSync(join(dir, 'memory.current'))) {
      const usage = Number(readFileSync(join(dir, 'memory.current'), 'utf8'));
      return usage - (stat(join(dir, 'memory.stat'))['inactive_file'] ?? 0);
    }
  }
  return undefined;
}

/** nodejs_heap_size_used_bytes from the app's /metrics (prom-client's default metrics), MB. */
async function heapUsed(port: number): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([\d.e+]+)/m.exec(text);
    return m ? round(Number(m[1]) / MB) : undefined;
  } catch {
    return undefined;
  }
}

/** The `startupMs` of the app's start-up log line (JSON logs), if it logs one. */
function loggedStartup(container: string): number | undefined {
  const r = run('podman', ['logs', container], { env });
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { startupMs?: unknown };
      if (typeof entry.startupMs === 'number') return entry.startupMs;
    } catch {
      // not a log line of ours
    }
  }
  return undefined;
}

/**
 * The app's memory limit in Kubernetes (k8s/base/<app>.yaml, resources.limits.memory, `Mi`): the container gets
 * the same, as Node sizes its heap from the cgroup's limit. Undefined when the file or the limit is missing.
 */
function k8sMemoryLimit(app: string): string | undefined {
  const file = join(REPO, 'k8s/base', `${app}.yaml`);
  if (!existsSync(file)) return undefined;
  const m = /limits:\s*\n(?:\s+cpu: \S+\s*\n)?\s+memory: (\d+)Mi/.exec(readFileSync(file, 'utf8'));
  return m ? `${m[1]}m` : undefined; // podman's m is MiB
}

interface Launch {
  /** podman's --memory (the app's limit in Kubernetes). */
  memory?: string;
  /** Environment of the app (PORT included); the baseline gets PORT only. */
  env: Record<string, string>;
  port: number;
  readyPath: string;
  /** Replaces the image's command (the baseline). */
  command?: string[];
}

async function measure(label: string, img: string, launch: Launch, idleSeconds: number): Promise<Sample> {
  const container = `bench-${runId}-${label}`;
  const args = ['run', '-d', '--name', container, ...APP_CONTAINER_FLAGS];
  if (launch.memory) args.push('--memory', launch.memory);
  for (const [k, v] of Object.entries(launch.env)) args.push('-e', `${k}=${v}`);
  const ready = `http://127.0.0.1:${launch.port}${launch.readyPath}`;
  const t0 = performance.now();
  podman(
    ...args,
    ...(launch.command ? ['--entrypoint', launch.command[0], img, ...launch.command.slice(1)] : [img]),
  );
  try {
    let runToReadyMs = NaN;
    let startupCpuMs = NaN;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if ((await status(ready)) === 200) {
        runToReadyMs = performance.now() - t0;
        startupCpuMs = cpuMs(pidOf(container));
        break;
      }
      if (Date.now() > deadline || !running(container)) {
        const logs = run('podman', ['logs', '--tail', '40', container], { env });
        throw new Error(`${label} not ready at ${ready}:\n${logs.stdout}${logs.stderr}`);
      }
      await sleep(10);
    }
    // Warm-up: what probes and Prometheus do, then nothing (an idle app between scrapes).
    for (let i = 0; i < 20; i++) {
      await status(ready);
      await status(`http://127.0.0.1:${launch.port}/metrics`);
    }
    await sleep(idleSeconds * 1000);
    const pid = pidOf(container);
    const rss: number[] = [];
    const anon: number[] = [];
    const ws: number[] = [];
    for (let i = 0; i < 5; i++) {
      const st = procStatus(pid);
      rss.push(st['VmRSS'] ?? NaN);
      anon.push(st['RssAnon'] ?? NaN);
      const w = workingSet(pid);
      if (w !== undefined) ws.push(w);
      await sleep(500);
    }
    return {
      runToReadyMs: round(runToReadyMs, 0),
      startupCpuMs: round(startupCpuMs, 0),
      loggedMs: loggedStartup(container),
      rssMB: round(median(rss) / MB),
      anonMB: round(median(anon) / MB),
      heapUsedMB: launch.readyPath === '/' ? undefined : await heapUsed(launch.port),
      workingSetMB: ws.length ? round(median(ws) / MB) : undefined,
      peakRssMB: round((procStatus(pid)['VmHWM'] ?? NaN) / MB),
    };
  } finally {
    run('podman', ['rm', '-f', '-t', '5', container], { env });
  }
}

/** What each app needs to start and become ready here (SQLite stores, stand-ins, the local Kafka). */
function launchOf(
  app: string,
  port: number,
  deps: { brokers: string; smtpPort: number; altinn: AltinnStandIns; createTopics: boolean },
): Launch {
  const kafka = {
    KAFKA_BROKERS: deps.brokers,
    KAFKA_CREATE_TOPICS: String(deps.createTopics),
    KAFKA_TOPIC_REPLICATION_FACTOR: '1',
  };
  const consumer = { ...kafka, CONSUMER_NAME: `bench-${runId}-${app}`, CONSUMER_START_FROM: 'latest' };
  const base = { PORT: String(port), LOG_LEVEL: 'info' };
  const altinn = {
    ...deps.altinn.env,
    MASKINPORTEN_PRIVATE_KEY: deps.altinn.privateKeyPem,
  };
  switch (app) {
    case 'gateway':
      return {
        port,
        readyPath: '/health/ready',
        env: { ...base, ...kafka, WEBHOOK_TOKENS: `bench-${randomBytes(24).toString('hex')}` },
      };
    case 'archive':
      return { port, readyPath: '/health/ready', env: { ...base, ...consumer } };
    case 'email':
      return {
        port,
        readyPath: '/health/ready',
        env: {
          ...base,
          ...consumer,
          SMTP_HOST: '127.0.0.1',
          SMTP_PORT: String(deps.smtpPort),
          SMTP_STARTTLS: 'never',
          EMAIL_FROM: 'noreply@broker-events.example',
          EMAIL_ROUTES: JSON.stringify([{ name: 'everything', to: ['ops@example.no'] }]),
        },
      };
    case 'slack':
      return {
        port,
        readyPath: '/health/ready',
        env: { ...base, ...consumer, SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/bench' },
      };
    case 'poller':
      return {
        port,
        readyPath: '/health/ready',
        env: {
          ...base,
          ...kafka,
          ...altinn,
          POLL_RESOURCES: 'broker-events-bench',
          POLL_ORGANISATION_NUMBER: deps.altinn.organisationNumber,
        },
      };
    case 'file-fetcher':
      return {
        port,
        readyPath: '/health/ready',
        env: {
          ...base,
          ...consumer,
          ...altinn,
          FETCH_RESOURCES: 'broker-events-bench',
          FETCH_ORGANISATION_NUMBER: deps.altinn.organisationNumber,
        },
      };
    case 'console':
      return {
        port,
        readyPath: '/health/ready',
        env: {
          ...base,
          ...kafka,
          ARCHIVE_URL: 'http://127.0.0.1:9',
          CONSOLE_PUBLIC_URL: `http://localhost:${port}`,
          CONSOLE_COOKIE_SECURE: 'false',
          CONSOLE_TRUSTED_HEADER_USER: 'X-Auth-Request-Email',
          SESSION_SECRET: randomBytes(32).toString('hex'),
        },
      };
    default:
      throw new Error(`no launch recipe for ${app}: add one to tools/images/src/bench.ts`);
  }
}

/** The baseline: node and an HTTP server in the same image, no app code (what the image and Node cost). */
function baselineLaunch(port: number): Launch {
  return {
    port,
    readyPath: '/',
    env: { PORT: String(port) },
    command: [
      'node',
      '-e',
      "require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')",
    ],
  };
}

function summarise(r: AppResult): Record<string, number | undefined> {
  const pick = (f: (s: Sample) => number | undefined): number | undefined => {
    const v = r.samples.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return v.length ? round(median(v)) : undefined;
  };
  return {
    runToReadyMs: pick((s) => s.runToReadyMs),
    startupCpuMs: pick((s) => s.startupCpuMs),
    loggedMs: pick((s) => s.loggedMs),
    rssMB: pick((s) => s.rssMB),
    anonMB: pick((s) => s.anonMB),
    heapUsedMB: pick((s) => s.heapUsedMB),
    workingSetMB: pick((s) => s.workingSetMB),
    peakRssMB: pick((s) => s.peakRssMB),
  };
}

function report(
  results: AppResult[],
  baselines: Record<string, AppResult>,
  o: Options,
  meta: Record<string, unknown>,
): void {
  const fmt = (v: number | undefined): string => (v === undefined ? '–' : String(v));
  const mark = (v: number | undefined, goal: number): string =>
    v === undefined ? '–' : `${v}${v > goal ? ' ✗' : ''}`;
  const rows = results.map((r) => {
    const s = summarise(r);
    const b = summarise(baselines[r.app]);
    const own =
      s.runToReadyMs !== undefined && b.runToReadyMs !== undefined
        ? round(s.runToReadyMs - b.runToReadyMs, 0)
        : undefined;
    return `| ${r.app} | ${fmt(s.runToReadyMs)} | ${fmt(b.runToReadyMs)} | ${mark(own, GOAL.startupMs)} | ${mark(s.loggedMs, GOAL.startupMs)} | ${mark(s.startupCpuMs, GOAL.startupMs)} | ${fmt(b.startupCpuMs)} | ${mark(s.rssMB, GOAL.rssMB)} | ${fmt(s.anonMB)} | ${fmt(b.rssMB)} | ${fmt(b.anonMB)} | ${fmt(s.workingSetMB)} | ${fmt(b.workingSetMB)} | ${fmt(s.heapUsedMB)} | ${fmt(s.peakRssMB)} |`;
  });
  const json = {
    ...meta,
    settings: {
      starts: o.starts,
      idleSeconds: o.idleSeconds,
      nodeOptions: o.nodeOptions,
      cmd: o.cmd,
      goal: GOAL,
    },
    apps: Object.fromEntries(
      results.map((r) => [
        r.app,
        {
          image: r.image,
          imageId: r.imageId,
          median: summarise(r),
          baseline: summarise(baselines[r.app]),
          samples: r.samples,
          baselineSamples: baselines[r.app].samples,
        },
      ]),
    ),
  };
  const md = [
    `# Cost per app, in its image (${String(meta['at'])})`,
    '',
    `Written by \`npm run bench:images\` (tools/images/src/bench.ts) from the images \`npm run images\` built. Machine: ${JSON.stringify(meta['machine'])}.`,
    `Load average (1 min) before / after: ${JSON.stringify(meta['loadAverage'])}. Median of ${o.starts} starts per app (after one warm-up start), each`,
    `against the local Kafka, SQLite stores, read-only root, uid 1000. The baseline is a bare \`node -e "http.createServer().listen()"\``,
    'in the same image, measured alternately with the app in the same run. Goal (issue #17): idle RSS ≤ 100 MB, start-up ≤ 1 s (✗ = above).',
    ...(o.nodeOptions ? ['', `Apps run with \`NODE_OPTIONS=${o.nodeOptions}\` (the baseline without).`] : []),
    ...(o.cmd ? ['', `Apps run with the command \`${o.cmd.join(' ')}\` instead of the image's.`] : []),
    '',
    "| app | `podman run` → ready ms | baseline ms | app's share ms | app-logged start-up ms | start-up CPU ms | baseline CPU ms | idle RSS MB | of it anon MB | baseline RSS MB | baseline anon MB | cgroup working set MB | baseline working set MB | V8 heap used MB | peak RSS MB |",
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    "- **`podman run` → ready**: from the `podman run -d` call to the first 200 of `/health/ready` (the container runtime's own",
    "  set-up included); **app's share**: that minus the baseline's, i.e. what loading and starting the app adds;",
    "  **app-logged**: `startupMs` of the app's start-up log line, process start → listening (Node's own start included);",
    '  **start-up CPU**: user + system CPU time the process had used when it first answered ready (the work of starting;',
    '  unlike the wall-clock times it hardly grows with other load on the machine, but leaves out waiting for Kafka).',
    "- **idle RSS**: VmRSS of the container's PID 1 (the node process) after 20 `/health/ready` + `/metrics` requests and",
    `  ${o.idleSeconds} s of idling, median of 5 readings; **anon**: its RssAnon, the process's private memory (VmRSS also`,
    '  counts the pages of the node binary and libraries it touched, shared by every container of the image on a node);',
    "  **cgroup working set**: the container's memory usage minus inactive",
    '  file cache (what the kubelet compares with `resources.limits.memory`); **peak RSS**: VmHWM, start-up included.',
    "- Each container (and its baseline) gets the app's memory limit of `k8s/base/<app>.yaml` (`podman run --memory`): Node",
    '  sizes its heap from that limit, so an unlimited container idles higher than the same app in the cluster.',
    '',
  ].join('\n');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${o.out}.json`), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(RESULTS, `${o.out}.md`), md);
  log(`\n${md}`);
  log(`wrote ${join(RESULTS, `${o.out}.md`)}`);
}

async function main(): Promise<void> {
  const brokers = process.env['KAFKA_BROKERS'];
  if (!brokers)
    throw new Error('KAFKA_BROKERS is not set (run through `npm run bench:images`, which starts Kafka)');
  const o = parseArgs(process.argv.slice(2));
  const loadBefore = round(loadavg()[0]);
  const smtp = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData: (stream, _session, callback) => {
      stream.resume();
      stream.on('end', () => callback());
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const altinn = await startAltinnStandIns();
  const results: AppResult[] = [];
  const baselines: Record<string, AppResult> = {};
  try {
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    // The gateway first: it creates the events topic the consumers read.
    const apps = [...o.apps].sort((a, b) => (a === 'gateway' ? -1 : b === 'gateway' ? 1 : 0));
    for (const app of apps) {
      const img = image(app);
      const imageId = podman('image', 'inspect', '--format', '{{.Id}}', img).trim().slice(0, 12);
      log(`== ${app} (${img} ${imageId})`);
      const warm = await measure(
        `${app}-warm`,
        img,
        launchOf(app, await freePort(), { brokers, smtpPort, altinn, createTopics: true }),
        1,
      );
      log(`   warm-up: ready in ${warm.runToReadyMs} ms`);
      const result: AppResult = { app, image: img, imageId, samples: [] };
      const baseline: AppResult = { app: `${app} baseline`, image: img, imageId, samples: [] };
      for (let i = 0; i < o.starts; i++) {
        // Alternately, so that whatever else the machine does weighs on both alike.
        const b = await measure(
          `${app}-baseline-${i}`,
          img,
          { ...baselineLaunch(await freePort()), memory: k8sMemoryLimit(app) },
          o.idleSeconds,
        );
        baseline.samples.push(b);
        const launch = launchOf(app, await freePort(), { brokers, smtpPort, altinn, createTopics: false });
        if (o.nodeOptions) launch.env['NODE_OPTIONS'] = o.nodeOptions;
        launch.memory = k8sMemoryLimit(app);
        if (o.cmd) launch.command = o.cmd;
        Object.assign(launch.env, o.env);
        const s = await measure(`${app}-${i}`, img, launch, o.idleSeconds);
        result.samples.push(s);
        log(
          `   start ${i + 1}: ready ${s.runToReadyMs} ms (baseline ${b.runToReadyMs}), CPU ${s.startupCpuMs} ms (baseline ${b.startupCpuMs}), anon ${s.anonMB} MB, logged ${s.loggedMs ?? '–'} ms, RSS ${s.rssMB} MB (baseline ${b.rssMB}), working set ${s.workingSetMB ?? '–'} MB, peak ${s.peakRssMB} MB`,
        );
      }
      results.push(result);
      baselines[app] = baseline;
    }
  } finally {
    await altinn.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  }
  const nodeVersion = podman(
    'run',
    '--rm',
    '--network=none',
    image(results[0].app),
    'node',
    '--version',
  ).trim();
  report(results, baselines, o, {
    at: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: nodeVersion,
      podman: podman('--version').trim(),
    },
    loadAverage: { before: loadBefore, after: round(loadavg()[0]) },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:images: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
