import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * podman as the project's machines need it (shared/containers/PODMAN.md): runc instead of crun (cgroups v1
 * hybrid) and explicit ulimits (root without CAP_SYS_RESOURCE). Written to a containers.conf of our own and
 * used only when runc is installed and the caller has not chosen a CONTAINERS_CONF.
 */
export function podmanEnv(cacheDir: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env['CONTAINERS_CONF'] || !hasCommand('runc')) return env;
  mkdirSync(cacheDir, { recursive: true });
  const conf = join(cacheDir, 'containers.conf');
  writeFileSync(
    conf,
    [
      '# written by tools/images: runc + explicit ulimits (see docs/deployment.md)',
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
      '[engine]',
      'runtime = "runc"',
      '',
    ].join('\n'),
  );
  return { ...env, CONTAINERS_CONF: conf };
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; output captured unless `inherit`. Never throws for a non-zero exit. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: SpawnSyncOptions & { inherit?: boolean } = {},
): Run {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: opts.inherit ? ['ignore', 'inherit', 'inherit'] : ['pipe', 'pipe', 'pipe'],
    ...opts,
  });
  if (r.error) return { status: 127, stdout: '', stderr: r.error.message };
  return { status: r.status ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export function must(
  cmd: string,
  args: readonly string[],
  opts: SpawnSyncOptions & { inherit?: boolean } = {},
): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}${r.stderr ? `:\n${r.stderr.trim()}` : ''}`);
  return r.stdout;
}

export function imageExists(image: string, env: NodeJS.ProcessEnv): boolean {
  return run('podman', ['image', 'exists', image], { env }).status === 0;
}

export function fileExists(path: string): boolean {
  return existsSync(path);
}

/**
 * `podman run` flags for an app container as Kubernetes runs it (k8s/base's securityContext): host network,
 * read-only root with a writable /tmp and data folder, no capabilities, no privilege gain, uid 1000, and no
 * health-check timer (CI machines have no systemd timers; callers run the HEALTHCHECK when they want it).
 */
export const APP_CONTAINER_FLAGS: readonly string[] = [
  '--network=host',
  '--read-only',
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
  '--user',
  '1000:1000',
  '--tmpfs',
  '/tmp',
  // podman 4.3 knows no uid= for a tmpfs and ignores mode=; U chowns it to the container's user (1000).
  '--tmpfs',
  '/app/data:U',
  '--health-interval',
  'disable',
];
