import { type EnvRecord, type Schema } from '@broker-events/config';
import { find } from './kustomize';
import { type Obj, arr, at, isObj } from './yaml';

export interface SecretRef {
  secret: string;
  key: string;
  optional: boolean;
}

/** A container's environment as Kubernetes will assemble it, resolved against the rendered objects. */
export interface ContainerEnv {
  /** Values known from the manifests: literals and ConfigMap entries. */
  values: EnvRecord;
  /** Where each variable comes from, for messages: `literal`, `ConfigMap x`, `Secret y/key`. */
  sources: Record<string, string>;
  /** Variables read from a Secret (the value is not in the repository). */
  secrets: Record<string, SecretRef>;
  /**
   * Every variable given a value in the repository (literal or ConfigMap), with where, even when a later
   * Secret reference shadows it: a secret in a ConfigMap is committed whether or not it is used.
   */
  committed: Record<string, string[]>;
  problems: string[];
}

/**
 * Resolves `env` and `envFrom` of a container. `envFrom` with a Secret is refused: the keys of a Secret we do
 * not commit are unknown, so the check could not tell which variables are set. Secrets are read key by key.
 */
export function containerEnv(container: unknown, objects: readonly Obj[]): ContainerEnv {
  const out: ContainerEnv = { values: {}, sources: {}, secrets: {}, committed: {}, problems: [] };
  const set = (name: string, value: string | undefined, source: string): void => {
    delete out.secrets[name];
    out.values[name] = value;
    out.sources[name] = source;
    if (value !== undefined && value !== '') (out.committed[name] ??= []).push(source);
  };
  for (const from of arr(at(container, 'envFrom'))) {
    const cmName = at(from, 'configMapRef.name');
    if (typeof cmName === 'string') {
      const cm = find(objects, 'ConfigMap', cmName);
      if (!cm) {
        if (at(from, 'configMapRef.optional') !== true)
          out.problems.push(`envFrom ConfigMap ${cmName} is not in the rendered manifests`);
        continue;
      }
      const prefix = typeof at(from, 'prefix') === 'string' ? String(at(from, 'prefix')) : '';
      const data = at(cm, 'data');
      if (isObj(data))
        for (const [k, v] of Object.entries(data)) set(prefix + k, String(v), `ConfigMap ${cmName}`);
    } else if (isObj(at(from, 'secretRef'))) {
      out.problems.push(
        `envFrom secretRef ${String(at(from, 'secretRef.name'))}: read secrets key by key (env[].valueFrom.secretKeyRef) so the variables are known`,
      );
    }
  }
  for (const e of arr(at(container, 'env'))) {
    const name = String(at(e, 'name'));
    if (typeof at(e, 'value') === 'string') set(name, String(at(e, 'value')), 'literal');
    else if (isObj(at(e, 'valueFrom.secretKeyRef'))) {
      const ref = at(e, 'valueFrom.secretKeyRef');
      delete out.values[name];
      out.sources[name] = `Secret ${String(at(ref, 'name'))}/${String(at(ref, 'key'))}`;
      out.secrets[name] = {
        secret: String(at(ref, 'name')),
        key: String(at(ref, 'key')),
        optional: at(ref, 'optional') === true,
      };
    } else if (isObj(at(e, 'valueFrom.configMapKeyRef'))) {
      const ref = at(e, 'valueFrom.configMapKeyRef');
      const cm = find(objects, 'ConfigMap', String(at(ref, 'name')));
      const v = at(cm, ['data', String(at(ref, 'key'))]);
      if (typeof v === 'string')
        set(name, v, `ConfigMap ${String(at(ref, 'name'))}/${String(at(ref, 'key'))}`);
      else if (at(ref, 'optional') !== true)
        out.problems.push(
          `${name}: ConfigMap key ${String(at(ref, 'name'))}/${String(at(ref, 'key'))} does not exist`,
        );
    } else if (at(e, 'value') === undefined && at(e, 'valueFrom') === undefined) {
      set(name, '', 'literal');
    } else {
      out.problems.push(
        `${name}: only literal values, ConfigMap and Secret keys are supported by this check`,
      );
    }
  }
  return out;
}

/**
 * Problems of a container's environment against an app's config schema:
 * - every variable is declared by the schema (or is a Node runtime variable): no typos, nothing dead;
 * - a secret variable never comes from a literal or a ConfigMap;
 * - every required variable (and every `requiredInCluster` one) is set, from a Secret only if not optional;
 * - every known value parses (the Secret-backed ones are checked where they are created).
 */
export function envSchemaProblems(
  env: ContainerEnv,
  schema: Schema,
  options: { requiredInCluster?: readonly string[]; runtimeVariables: readonly string[] },
): string[] {
  const problems = [...env.problems];
  const declared = new Set([...Object.keys(schema), ...options.runtimeVariables]);
  for (const name of [...Object.keys(env.values), ...Object.keys(env.secrets)])
    if (!declared.has(name))
      problems.push(`${name} (${env.sources[name]}) is not a variable of the app's config schema`);
  for (const [name, spec] of Object.entries(schema)) {
    const fromSecret = env.secrets[name];
    const value = env.values[name];
    const isSet = (value !== undefined && value !== '') || (fromSecret !== undefined && !fromSecret.optional);
    if (spec.secret && env.committed[name])
      problems.push(
        `${name} is a secret but has a value in ${env.committed[name].join(', ')}: read it from a Secret (secretKeyRef) only`,
      );
    if ((spec.required || options.requiredInCluster?.includes(name)) && !isSet)
      problems.push(
        `${name} is required but ${fromSecret ? `comes from an optional Secret key (${env.sources[name]})` : 'is not set'}`,
      );
    if (value !== undefined && value !== '') {
      const parsed = spec.parse(value);
      if (!parsed.ok)
        problems.push(`${name}=${JSON.stringify(value)} (${env.sources[name]}) ${parsed.reason}`);
    }
  }
  return problems;
}
