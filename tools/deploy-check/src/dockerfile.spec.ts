import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, HEALTH_PATHS, IMAGE_ENV, NODE_UID } from './apps';
import { type Stage, expandArgs, parseDockerfile } from './lib/dockerfile';
import { DOCKER_DIR, REPO_ROOT } from './lib/paths';

const DOCKERFILE = join(DOCKER_DIR, 'Dockerfile');
const text = readFileSync(DOCKERFILE, 'utf8');
const { preamble, stages } = parseDockerfile(text);
const runtime = stages[stages.length - 1];
const args = (s: Stage, keyword: string): string[] =>
  s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const COMPILERS = /\b(build-essential|gcc|g\+\+|clang|make|python3?|node-gyp)\b/;

describe('docker/Dockerfile', () => {
  const defaults = Object.fromEntries(
    preamble
      .filter((i) => i.keyword === 'ARG' && i.args.includes('='))
      .map((i) => i.args.split('=') as [string, string]),
  );
  const imageOf = (s: Stage): string => expandArgs(s.image, defaults);
  const nodeStages = stages.filter((s) => imageOf(s).startsWith('node:'));

  it('is multi-stage on Node 24 LTS: every Node stage, and the engines of package.json allow it', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(nodeStages.length).toBeGreaterThan(0);
    for (const s of nodeStages) expect(imageOf(s)).toMatch(/^node:24(\.\d+){0,2}-bookworm(-slim)?$/);
    // The development machines' Node 20 stays supported; the images' Node must be inside the same range.
    const engines = String(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).engines.node);
    expect(engines.split('||').map((r) => r.trim())).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\^24\./)]),
    );
  });

  it('runs on a slim Debian of the same release, with only the node binary of the build image', () => {
    const debian = /-(\w+)$/.exec(imageOf(nodeStages[0]))?.[1];
    expect(imageOf(runtime)).toMatch(new RegExp(`^(debian:${debian}-slim|node:24[\\d.]*-${debian}-slim)$`));
    if (imageOf(runtime).startsWith('debian:'))
      expect(args(runtime, 'COPY')).toContain(
        `--from=${stages[0].name} /usr/local/bin/node /usr/local/bin/node`,
      );
    // npm, npx, corepack and the headers live under /usr/local/lib and /usr/local/include: never copied.
    for (const a of args(runtime, 'COPY')) expect(a).not.toMatch(/\/usr\/local\/(lib|include)\b/);
  });

  it('installs only production dependencies into what the runtime stage copies', () => {
    const copiedFrom = args(runtime, 'COPY')
      .map((a) => /--from=(\S+)/.exec(a)?.[1])
      .filter((s): s is string => s !== undefined);
    const depsStage = stages.find(
      (s) =>
        s.name !== undefined &&
        copiedFrom.includes(s.name) &&
        args(s, 'RUN').some((r) => /npm ci\b.*--omit=dev/.test(r)),
    );
    expect(depsStage).toBeDefined();
    expect(
      args(runtime, 'COPY').some(
        (a) => a.startsWith(`--from=${depsStage?.name} `) && a.includes('node_modules'),
      ),
    ).toBe(true);
    // node_modules in the runtime come only from that stage (never from the build stage's dev install).
    for (const a of args(runtime, 'COPY'))
      if (a.includes('node_modules')) expect(a).toContain(`--from=${depsStage?.name}`);
  });

  it('has no compilers, package installs or npm at work in the runtime stage', () => {
    for (const run of args(runtime, 'RUN')) {
      expect(run).not.toMatch(/\b(apt-get|apt|apk|yum|dnf)\b/);
      expect(run).not.toMatch(/\bnpm\b|\bnpx\b|\byarn\b|\bpnpm\b/);
      expect(run).not.toMatch(COMPILERS);
    }
    expect(text).not.toMatch(/<<-?\s*['"]?\w+/); // no heredocs: this reader would not see inside them
  });

  it('runs as uid 1000 (numeric, so runAsNonRoot can verify it), with the image env the checks assume', () => {
    const users = args(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).toBe(`${NODE_UID}:${NODE_UID}`);
    const env: Record<string, string> = {};
    for (const e of args(runtime, 'ENV')) for (const m of e.matchAll(/(\w+)=(\S+)/g)) env[m[1]] = m[2];
    expect(env).toEqual(expect.objectContaining(IMAGE_ENV));
    expect(args(runtime, 'EXPOSE')).toEqual([IMAGE_ENV['PORT']]);
  });

  it('health-checks the liveness endpoint on $PORT and starts main.js', () => {
    const hc = args(runtime, 'HEALTHCHECK').join(' ');
    expect(hc).toContain(HEALTH_PATHS.live);
    expect(hc).toContain('process.env.PORT');
    expect(args(runtime, 'CMD').join(' ')).toMatch(/"node".*"main\.js"\]$/);
  });

  it('starts without --enable-source-maps (the first stack trace would decode all of main.js.map: ~0.5 s, 65-130 MB)', () => {
    const cmd = args(runtime, 'CMD').join(' ');
    expect(cmd).not.toContain('source-maps');
    expect(args(runtime, 'ENV').join(' ')).not.toMatch(/source-maps/);
  });

  it('gives npm the proxy CA only as a build secret (never an image layer or a runtime variable)', () => {
    for (const s of stages)
      for (const run of args(s, 'RUN').filter((r) => /NODE_EXTRA_CA_CERTS/.test(r)))
        expect(run).toMatch(/^--mount=type=secret,id=ca_bundle\b/);
    expect(args(runtime, 'ENV').join(' ')).not.toMatch(/NODE_EXTRA_CA_CERTS|NPM_CONFIG/i);
  });

  it('builds the app named by ARG APP from the Nx webpack output', () => {
    expect(args(stages[0], 'ARG')).toContain('APP');
    expect(args(stages[0], 'RUN').some((r) => /npx nx build "\$APP"/.test(r))).toBe(true);
    expect(args(runtime, 'COPY').some((a) => a.includes('/dist/apps/${APP}/'))).toBe(true);
  });

  it("ships V8's compiled code for the bundle, made at build time and only read at run time", () => {
    const env: Record<string, string> = {};
    for (const e of args(runtime, 'ENV')) for (const m of e.matchAll(/(\w+)=(\S+)/g)) env[m[1]] = m[2];
    const cache = env['NODE_COMPILE_CACHE'];
    expect(cache).toMatch(/^\/app\//);
    // Not a place the containers may write to: the cache is part of the image, like the bundle.
    expect(cache.startsWith('/app/data')).toBe(false);
    expect(args(runtime, 'COPY')).toContain('docker/precompile.js /tmp/precompile.js');
    expect(existsSync(join(DOCKER_DIR, 'precompile.js'))).toBe(true);
    const step = args(runtime, 'RUN').find((r) => r.includes('precompile.js'));
    // Node keeps one cache directory per uid: the uid the app runs as must make it.
    expect(step).toMatch(
      new RegExp(`setpriv --reuid=${NODE_UID} --regid=${NODE_UID} .*node /tmp/precompile\\.js /app/main\\.js "\\$NODE_COMPILE_CACHE"`),
    );
    // It fails the build when Node wrote no cache for that uid (no compile-cache support, a bundle that throws).
    expect(step).toContain(`test -n "$(ls -A "$NODE_COMPILE_CACHE"/*-${NODE_UID})"`);
    // Then root owns it, readable by all: the app reads it and cannot change it.
    expect(step).toMatch(/chown -R root:root "\$NODE_COMPILE_CACHE" .*chmod -R a\+rX,go-w "\$NODE_COMPILE_CACHE"/);
    // After the bundle is in place (the cache is checked against its contents) and before the switch to uid 1000.
    const order = runtime.instructions.map((i) => `${i.keyword} ${i.args}`);
    const at = (re: RegExp): number => order.findIndex((l) => re.test(l));
    expect(at(/^COPY --from=build \/workspace\/dist\/apps/)).toBeLessThan(at(/^RUN .*precompile\.js/));
    expect(at(/^RUN .*precompile\.js/)).toBeLessThan(at(/^USER /));
    expect(at(/^RUN groupadd/)).toBeLessThan(at(/^RUN .*precompile\.js/));
  });

  it.each(APPS.map((a) => a.name))(
    '%s: the webpack build emits what the Dockerfile copies (dist/apps/<app>, package.json + lock)',
    (name) => {
      // Every app builds through the one shared config, which names the output after the app's folder.
      const webpack = readFileSync(join(REPO_ROOT, 'apps', name, 'webpack.config.js'), 'utf8');
      expect(webpack).toMatch(/nodeAppWebpackConfig\(__dirname\)/);
      const shared = readFileSync(join(REPO_ROOT, 'tools/webpack/node-app.js'), 'utf8');
      expect(shared).toMatch(/join\(appDir, '..\/..\/dist\/apps', basename\(appDir\)\)/);
      expect(shared).toMatch(/generatePackageJson:\s*true/);
      expect(shared).toMatch(/main:\s*'\.\/src\/main\.ts'/);
    },
  );

  it("keeps the root package.json's overrides in each app's generated package.json (npm ci in the deps stage)", () => {
    const { keepRootOverrides } = require(join(REPO_ROOT, 'tools/webpack/node-app.js')) as {
      keepRootOverrides: (
        pkg: object,
        overrides: Record<string, string>,
      ) => { overrides?: Record<string, string> };
    };
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      overrides: Record<string, string>;
    };
    // What Nx generates for the gateway: fastify (overridden at the root) is a direct dependency, and Nx drops
    // its override, so npm ci wants the version @nestjs/platform-fastify asks for, which the lock lacks.
    const generated = {
      dependencies: { fastify: root.overrides['fastify'], kafkajs: '2.2.4' },
      overrides: {},
    };
    const fixed = keepRootOverrides(generated, root.overrides);
    for (const name of Object.keys(root.overrides).filter((n) => n in generated.dependencies))
      expect(fixed.overrides?.[name]).toBe(`$${name}`);
    expect(keepRootOverrides({ dependencies: { kafkajs: '2.2.4' } }, {})).toEqual({
      dependencies: { kafkajs: '2.2.4' },
    });
  });

  it('keeps the build context small and secret-free (docker/Dockerfile.dockerignore)', () => {
    const ignore = join(DOCKER_DIR, 'Dockerfile.dockerignore');
    expect(existsSync(ignore)).toBe(true);
    const lines = readFileSync(ignore, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim());
    for (const pattern of ['**/node_modules', 'dist', '.git', '**/.env']) expect(lines).toContain(pattern);
  });
});
