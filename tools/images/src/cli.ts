/**
 * `npm run images [-- --apps gateway,email] [--tag dev] [--prefix broker-events-] [--no-pull] [--report]`
 *
 * Builds every app's image from docker/Dockerfile, unmodified, with podman. A base image the Dockerfile
 * starts FROM that is neither present nor pullable is replaced by a local stand-in of the same name
 * (lib/stand-in.ts), loudly. With --report, writes bench/results/images.md (sizes and build times).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseImages, baseKind } from './lib/dockerfile';
import { hasCommand, imageExists, must, podmanEnv, run } from './lib/podman';
import { STAND_IN_LABEL, assembleStandIn } from './lib/stand-in';

const REPO = join(__dirname, '../../..');
const DOCKERFILE = join(REPO, 'docker/Dockerfile');
const CACHE = join(REPO, '.cache/images');
const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';

interface Options {
  apps: string[];
  tag: string;
  prefix: string;
  pull: boolean;
  report: boolean;
}

/** The deployable apps: folders under apps/ with a webpack build (e2e projects have none). */
function allApps(): string[] {
  return readdirSync(join(REPO, 'apps'))
    .filter((a) => existsSync(join(REPO, 'apps', a, 'webpack.config.js')))
    .sort();
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    apps: allApps(),
    tag: process.env['IMAGE_TAG'] ?? 'dev',
    prefix: process.env['IMAGE_PREFIX'] ?? 'broker-events-',
    pull: true,
    report: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--apps') o.apps = value().split(',').filter(Boolean);
    else if (a === '--tag') o.tag = value();
    else if (a === '--prefix') o.prefix = value();
    else if (a === '--no-pull') o.pull = false;
    else if (a === '--report') o.report = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${readFileSync(__filename, 'utf8').split('*/')[0]}*/\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  const unknown = o.apps.filter((a) => !allApps().includes(a));
  if (unknown.length > 0) throw new Error(`not an app with a webpack build: ${unknown.join(', ')}`);
  return o;
}

const log = (line: string): void => void process.stdout.write(`${line}\n`);

interface BaseState {
  image: string;
  standIn?: string;
}

/** Makes sure each base image is there: present, pulled, or (when it cannot be pulled) a stand-in. */
function ensureBases(env: NodeJS.ProcessEnv, pull: boolean): BaseState[] {
  const out: BaseState[] = [];
  for (const image of baseImages(readFileSync(DOCKERFILE, 'utf8'))) {
    if (imageExists(image, env)) {
      const label = run(
        'podman',
        ['image', 'inspect', '--format', `{{index .Labels "${STAND_IN_LABEL}"}}`, image],
        {
          env,
        },
      ).stdout.trim();
      log(`== base ${image}: present${label === 'true' ? ' (a LOCAL STAND-IN assembled earlier)' : ''}`);
      out.push({ image, standIn: label === 'true' ? 'assembled earlier' : undefined });
      continue;
    }
    if (pull) {
      log(`== base ${image}: pulling`);
      const r = run('timeout', ['120', 'podman', 'pull', '-q', image], { env });
      if (r.status === 0) {
        out.push({ image });
        continue;
      }
      log(
        `   cannot pull it: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 200) || `exit ${r.status}`}`,
      );
    }
    const kind = baseKind(image);
    if (!kind)
      throw new Error(`${image} is neither present nor pullable, and there is no stand-in recipe for it`);
    log('');
    log(`!! ${image} cannot be pulled: assembling a LOCAL STAND-IN of the same name.`);
    log('!! It is not the official image. It exists only so that docker/Dockerfile builds unmodified here;');
    log(
      `!! never push it (it carries the label ${STAND_IN_LABEL}=true). With a registry, you get the real one.`,
    );
    const started = Date.now();
    const what = assembleStandIn(image, kind, { cacheDir: CACHE, env, log });
    log(`!! stand-in ${image}: ${what} (${Math.round((Date.now() - started) / 1000)} s)`);
    log('');
    out.push({ image, standIn: what });
  }
  return out;
}

interface Built {
  app: string;
  image: string;
  seconds: number;
  bytes: number;
}

function buildApp(app: string, o: Options, env: NodeJS.ProcessEnv, pullNever: boolean): Built {
  const image = `${o.prefix}${app}:${o.tag}`;
  log(`== image ${image}`);
  const secret = existsSync(HOST_CA) ? ['--secret', `id=ca_bundle,src=${HOST_CA}`] : [];
  const started = Date.now();
  must(
    'podman',
    [
      'build',
      '--format',
      'docker', // keeps HEALTHCHECK (the OCI format has none)
      `--pull=${pullNever ? 'never' : 'missing'}`,
      '-f',
      DOCKERFILE,
      '--ignorefile',
      join(REPO, 'docker/Dockerfile.dockerignore'),
      '--build-arg',
      `APP=${app}`,
      ...secret,
      '-t',
      image,
      REPO,
    ],
    { env, inherit: true },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  const bytes = Number(must('podman', ['image', 'inspect', '--format', '{{.Size}}', image], { env }).trim());
  log(`   ${image}: ${mb(bytes)} MB in ${seconds} s`);
  return { app, image, seconds, bytes };
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);

/** Where an image's bytes are: the node binary, node_modules, the app bundle (du inside the image). */
function breakdown(image: string, env: NodeJS.ProcessEnv): Record<string, number> {
  const r = run(
    'podman',
    [
      'run',
      '--rm',
      '--network=none',
      '--entrypoint',
      'du',
      image,
      '-sk',
      '/usr/local/bin/node',
      '/app/node_modules',
      '/app',
    ],
    { env },
  );
  const out: Record<string, number> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const [kb, path] = line.split('\t');
    if (path) out[path] = Number(kb) * 1024;
  }
  return out;
}

function writeReport(built: Built[], bases: BaseState[], env: NodeJS.ProcessEnv, totalSeconds: number): void {
  const nodeVersion = run('podman', ['run', '--rm', '--network=none', built[0].image, 'node', '--version'], {
    env,
  }).stdout.trim();
  const rows = built.map((b) => {
    const d = breakdown(b.image, env);
    // du counts each file once across its arguments: /app is what /app/node_modules did not already count.
    const app = d['/app'] ?? 0;
    const base = b.bytes - (d['/usr/local/bin/node'] ?? 0) - (d['/app/node_modules'] ?? 0) - app;
    return `| \`${b.app}\` | ${mb(b.bytes)} | ${mb(base)} | ${mb(d['/usr/local/bin/node'] ?? 0)} | ${mb(d['/app/node_modules'] ?? 0)} | ${mb(app)} | ${b.seconds} |`;
  });
  const cpus = run('nproc', []).stdout.trim();
  const text = [
    '# Image sizes',
    '',
    `Measured by \`npm run images -- --report\` on ${new Date().toISOString().slice(0, 10)} (${cpus} cores): every app built`,
    `from \`docker/Dockerfile\` with podman, runtime Node ${nodeVersion}. Sizes are uncompressed (what \`podman images\``,
    'shows); a registry stores them gzip-compressed, roughly a third. "Base" is the Debian slim layer and the',
    'runtime stage\'s user entries; "app" is the webpack bundle with its source map.',
    '',
    '| app | image MB | base MB | node binary MB | node_modules MB | app MB | build s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Build times are one after the other with the layer cache of the earlier apps (the first pays the workspace \`npm ci\``,
    `and the compilation of better-sqlite3); the whole run took ${totalSeconds} s.`,
    '',
    'Base images used:',
    '',
    ...bases.map(
      (b) => `- \`${b.image}\`: ${b.standIn ? `**local stand-in** (${b.standIn})` : 'the official image'}`,
    ),
    '',
    'Before (Node 20, `node:20-bookworm-slim` runtime with npm, npx, corepack and headers): 444 MB for the gateway.',
    'The official Node binary alone is ~120 MB; see docs/deployment.md#image-size for what is left and how to go',
    'further (a distroless base).',
    '',
  ].join('\n');
  mkdirSync(join(REPO, 'bench/results'), { recursive: true });
  writeFileSync(join(REPO, 'bench/results/images.md'), text);
  log('== wrote bench/results/images.md');
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  if (!hasCommand('podman'))
    throw new Error(
      'podman is not installed. On Debian/Ubuntu: apt-get install -y podman buildah runc debootstrap uidmap containernetworking-plugins',
    );
  const env = podmanEnv(CACHE);
  const started = Date.now();
  const bases = ensureBases(env, o.pull);
  const anyStandIn = bases.some((b) => b.standIn !== undefined);
  const built = o.apps.map((app) => buildApp(app, o, env, anyStandIn));
  const totalSeconds = Math.round((Date.now() - started) / 1000);
  log('');
  for (const b of built)
    log(`${b.image.padEnd(40)} ${mb(b.bytes).padStart(5)} MB  ${String(b.seconds).padStart(4)} s`);
  log(`${built.length} image(s) in ${totalSeconds} s`);
  if (anyStandIn)
    log('NOTE: built on LOCAL STAND-IN base image(s) (see above): fine to run and test here, not to push.');
  if (o.report) writeReport(built, bases, env, totalSeconds);
}

try {
  main();
} catch (error: unknown) {
  process.stderr.write(`images: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
