import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Schema, loadConfig } from '@broker-events/config';
import { APPS, HEALTH_PATHS, IMAGE_ENV, RUNTIME_VARIABLES, isConsumer } from './apps';
import { readDotenv, serviceEnvironment } from './lib/compose';
import { ENV_EXAMPLE, interpolateTree, loadComposeStack } from './lib/compose-stack';
import { DOCKER_DIR } from './lib/paths';
import { type Obj, arr, at, isObj } from './lib/yaml';

const { raw, services, env: serviceEnv } = loadComposeStack();
const healthcheckTest = (s: Obj): string => arr(at(s, 'healthcheck.test')).map(String).join(' ');

/** `[ip:]host:container[/proto]` (or the long form) → container port. */
function containerPorts(s: Obj): number[] {
  return arr(s['ports']).map((p) => {
    if (isObj(p)) return Number(p['target']);
    const parts = String(p).split('/')[0].split(':');
    return Number(parts[parts.length - 1]);
  });
}

describe('docker/compose.yaml', () => {
  it('interpolates with docker/.env.example: every ${VAR:?} the file demands is in the example', () => {
    expect(() => interpolateTree(raw, readDotenv(ENV_EXAMPLE))).not.toThrow();
    expect(() => interpolateTree(raw, {})).toThrow(/required variable/); // the secrets have no defaults
  });

  it('reads .env.example as our reader does, and refuses a value compose cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dotenv-'));
    try {
      writeFileSync(join(dir, 'bad.env'), 'EMAIL_FROM="Altinn Formidling" <noreply@example.com>\n');
      expect(() => readDotenv(join(dir, 'bad.env'))).toThrow(/quote the whole value of EMAIL_FROM/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(readDotenv(ENV_EXAMPLE)['EMAIL_FROM']).toBe('"Altinn Formidling (dev)" <noreply@example.com>');
  });

  // A real compose implementation reads both files. podman-compose (Debian, 1.0.x) has no `config` command:
  // `--dry-run up` parses the file and .env and prints the podman commands it would run. Required in CI
  // (.ci/run installs podman-compose); elsewhere it runs when podman-compose is installed.
  const hasPodmanCompose =
    spawnSync('sh', ['-c', 'command -v podman-compose'], { stdio: 'ignore' }).status === 0;
  (hasPodmanCompose || process.env['CI'] ? it : it.skip)(
    'podman-compose reads compose.yaml with .env.example: no dotenv warning, every value as our reader reads it',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'compose-'));
      try {
        copyFileSync(join(DOCKER_DIR, 'compose.yaml'), join(dir, 'compose.yaml'));
        copyFileSync(ENV_EXAMPLE, join(dir, '.env'));
        const r = spawnSync(
          'podman-compose',
          // /bin/true as podman: nothing is created, and the result does not depend on podman's state.
          [
            '--podman-path',
            '/bin/true',
            '--dry-run',
            '-p',
            'compose-check',
            '-f',
            'compose.yaml',
            'up',
            '--no-build',
            '-d',
          ],
          { cwd: dir, encoding: 'utf8', timeout: 60_000 },
        );
        const out = `${r.stdout}${r.stderr}`;
        expect(r.error).toBeUndefined();
        expect(out).not.toMatch(/could not parse|Traceback/);
        expect(r.status).toBe(0);
        // Every service would be started (profiles are ignored by podman-compose 1.0).
        for (const service of Object.keys(services))
          expect([service, out.includes(`run --name=compose-check_${service}_1 `)]).toEqual([service, true]);
        // The containers get the .env.example values (not the compose defaults a skipped line would give).
        const dotenv = readDotenv(ENV_EXAMPLE);
        for (const name of ['EMAIL_FROM', 'WEBHOOK_TOKENS', 'EMAIL_ROUTES'])
          expect([name, out.includes(`${name}=${dotenv[name]}`)]).toEqual([name, true]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('runs Kafka in KRaft mode from the official apache/kafka image', () => {
    const kafka = services['kafka'];
    expect(String(kafka['image'])).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    const env = serviceEnv('kafka');
    expect(env['KAFKA_PROCESS_ROLES']?.split(',').sort()).toEqual(['broker', 'controller']);
    expect(env['KAFKA_CONTROLLER_QUORUM_VOTERS']).toMatch(/^1@kafka:\d+$/);
    expect(env['CLUSTER_ID']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Object.keys(services).some((n) => /zookeeper/i.test(n))).toBe(false);
    expect(JSON.stringify(env)).not.toMatch(/zookeeper/i);
  });

  it('has PostgreSQL and a development mail server', () => {
    expect(String(services['postgres']?.['image'])).toMatch(/^postgres:\d+/);
    expect(String(services['mailpit']?.['image'])).toMatch(/^axllent\/mailpit:v\d+/);
  });

  it('health-checks every service', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, healthcheckTest(s)]).toEqual([name, expect.stringMatching(/\S/)]);
      expect([name, at(s, 'healthcheck.disable')]).toEqual([name, undefined]);
    }
  });

  it('has a service for every app, and no app service that is not one', () => {
    const built = Object.entries(services)
      .filter(([, s]) => s['build'] !== undefined)
      .map(([n]) => n)
      .sort();
    expect(built).toEqual(APPS.map((a) => a.name).sort());
  });

  describe.each(APPS.map((a) => [a.name, a] as const))('%s', (name, app) => {
    const s = services[name] ?? {};
    const env = serviceEnv(name);
    /** The values the app reads (its loader may wrap them, e.g. with compiled routes, so read them by schema). */
    const config = (): Record<string, unknown> =>
      loadConfig(name, app.schema, { ...IMAGE_ENV, ...env }) as Record<string, unknown>;

    it('is built from docker/Dockerfile with APP set to the project', () => {
      expect(at(s, 'build.context')).toBe('..');
      expect(at(s, 'build.dockerfile')).toBe('docker/Dockerfile');
      expect(at(s, 'build.args.APP')).toBe(name);
      expect(String(s['image'])).toMatch(new RegExp(`${name}:[\\w.-]+$`));
    });

    it("environment satisfies the app's config schema (the app's own loader accepts it)", () => {
      expect(() => app.load({ ...IMAGE_ENV, ...env })).not.toThrow();
      const unknown = Object.keys(env).filter((k) => !(k in app.schema) && !RUNTIME_VARIABLES.includes(k));
      expect(unknown).toEqual([]);
    });

    it('publishes and health-checks the port the app listens on, on a real health path', () => {
      const port = Number(config()['PORT']);
      expect(containerPorts(s).every((p) => p === port)).toBe(true);
      const m = /http:\/\/127\.0\.0\.1:(\d+)(\/[\w/]*)/.exec(healthcheckTest(s));
      expect(m).not.toBeNull();
      expect(Number(m?.[1])).toBe(port);
      expect([HEALTH_PATHS.live, HEALTH_PATHS.ready]).toContain(m?.[2]);
    });

    it('reaches Kafka on an advertised listener and starts after Kafka is healthy', () => {
      const advertised = serviceEnv('kafka')['KAFKA_ADVERTISED_LISTENERS'] ?? '';
      for (const broker of (env['KAFKA_BROKERS'] ?? '').split(','))
        expect(advertised).toContain(`//${broker.trim()}`);
      expect(at(s, 'depends_on.kafka.condition')).toBe('service_healthy');
      // Kafka creates no topic by itself here; a consumer starts once the gateway (which creates the events
      // topic and is ready only then) is healthy.
      expect(serviceEnv('kafka')['KAFKA_AUTO_CREATE_TOPICS_ENABLE']).toBe('false');
      if (isConsumer(app)) expect(at(s, 'depends_on.gateway.condition')).toBe('service_healthy');
    });

    it('depends on (and uses the credentials of) every service its URLs point at', () => {
      for (const [variable, value] of Object.entries(env)) {
        if (Object.hasOwn(services, value))
          expect([variable, at(s, ['depends_on', value, 'condition'])]).toEqual([
            variable,
            'service_healthy',
          ]);
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          continue;
        }
        if (!Object.hasOwn(services, url.hostname)) continue;
        expect([variable, at(s, ['depends_on', url.hostname, 'condition'])]).toEqual([
          variable,
          'service_healthy',
        ]);
        if (url.hostname === 'postgres') {
          const pg = serviceEnv('postgres');
          expect([
            variable,
            decodeURIComponent(url.username),
            decodeURIComponent(url.password),
            url.pathname,
          ]).toEqual([variable, pg['POSTGRES_USER'], pg['POSTGRES_PASSWORD'], `/${pg['POSTGRES_DB']}`]);
        }
      }
    });

    it('is hardened: read-only root, no capabilities, no privilege escalation, and a stop grace above SHUTDOWN_GRACE_MS', () => {
      expect(s['read_only']).toBe(true);
      expect(s['cap_drop']).toEqual(['ALL']);
      expect(s['security_opt']).toContain('no-new-privileges:true');
      expect(s['user']).toBeUndefined(); // the image's USER node
      const grace = /^(\d+)s$/.exec(String(s['stop_grace_period']));
      expect(Number(grace?.[1]) * 1000).toBeGreaterThan(Number(config()['SHUTDOWN_GRACE_MS']));
    });

    it('keeps its persistent folders on a named volume', () => {
      const named = Object.keys((raw['volumes'] as Obj | undefined) ?? {});
      for (const variable of app.persistentDirs?.(config()) ?? []) {
        const dir = String(config()[variable]).replace(/^\.\//, '/app/');
        const mount = arr(s['volumes'])
          .map((v) => String(v).split(':'))
          .find(([, target]) => dir === target || dir.startsWith(`${target}/`));
        expect([variable, named.includes(mount?.[0] ?? '')]).toEqual([variable, true]);
        for (const t of arr(s['tmpfs'])) expect(dir.startsWith(String(t).split(':')[0])).toBe(false);
      }
    });

    it('keeps secrets out of the file: each secret variable comes from docker/.env', () => {
      const rawEnv = serviceEnvironment(at((raw as Obj)['services'], [name, 'environment']));
      for (const [variable, spec] of Object.entries(app.schema as Schema))
        if (spec.secret && rawEnv[variable] !== undefined)
          expect([variable, rawEnv[variable]]).toEqual([variable, expect.stringMatching(/\$\{\w+/)]);
    });
  });

  it('loadConfig would catch a broken environment (the check above can fail)', () => {
    const app = APPS[0];
    expect(() => loadConfig(app.name, app.schema, { ...IMAGE_ENV, PORT: 'eighty' })).toThrow(/PORT/);
  });
});
