import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpolate, readDotenv, serviceEnvironment } from './compose';
import { DOCKER_DIR } from './paths';
import { type Obj, at, isObj, parseYaml } from './yaml';

export const COMPOSE_FILE = join(DOCKER_DIR, 'compose.yaml');
export const ENV_EXAMPLE = join(DOCKER_DIR, '.env.example');

/** Interpolates every string of the parsed file, as compose does after reading the YAML. */
export function interpolateTree(v: unknown, vars: Record<string, string>): unknown {
  if (typeof v === 'string') return interpolate(v, vars);
  if (Array.isArray(v)) return v.map((x) => interpolateTree(x, vars));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateTree(x, vars)]));
  return v;
}

/**
 * docker/compose.yaml as docker compose would see it with docker/.env.example copied to docker/.env.
 * (`docker compose config` needs the compose plugin, which these machines lack: the file is read with the YAML
 * 1.2 parser, merge keys on and duplicate keys refused, then interpolated.)
 */
export function loadComposeStack(): {
  raw: Obj;
  compose: Obj;
  services: Record<string, Obj>;
  env: (service: string) => Record<string, string>;
} {
  const raw = parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), COMPOSE_FILE) as Obj;
  const compose = interpolateTree(raw, readDotenv(ENV_EXAMPLE)) as Obj;
  const services = (isObj(compose['services']) ? compose['services'] : {}) as Record<string, Obj>;
  return {
    raw,
    compose,
    services,
    env: (service) => serviceEnvironment(at(services[service], 'environment')),
  };
}
