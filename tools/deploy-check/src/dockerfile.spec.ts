import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, HEALTH_PATHS, IMAGE_ENV } from './apps';
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
  it('is multi-stage, and the runtime stage is a slim Node image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const nodeVersion =
      preamble.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_VERSION='))?.args.split('=')[1] ??
      '';
    expect(expandArgs(runtime.image, { NODE_VERSION: nodeVersion })).toMatch(
      /^node:20\.\d+(\.\d+)?-\w+-slim$/,
    );
    // The Node major of every stage is the one the workspace runs on (package.json engines, .nvmrc-free).
    for (const s of stages) expect(expandArgs(s.image, { NODE_VERSION: nodeVersion })).toMatch(/^node:20\./);
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

  it('runs as the non-root node user, with the image env the checks assume', () => {
    const users = args(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).toBe('node');
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

  it('builds the app named by ARG APP from the Nx webpack output', () => {
    expect(args(stages[0], 'ARG')).toContain('APP');
    expect(args(stages[0], 'RUN').some((r) => /npx nx build "\$APP"/.test(r))).toBe(true);
    expect(args(runtime, 'COPY').some((a) => a.includes('/dist/apps/${APP}/'))).toBe(true);
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

  it('keeps the build context small and secret-free (docker/Dockerfile.dockerignore)', () => {
    const ignore = join(DOCKER_DIR, 'Dockerfile.dockerignore');
    expect(existsSync(ignore)).toBe(true);
    const lines = readFileSync(ignore, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim());
    for (const pattern of ['**/node_modules', 'dist', '.git', '**/.env']) expect(lines).toContain(pattern);
  });
});
