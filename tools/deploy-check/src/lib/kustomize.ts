import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { K8S_DIR } from './paths';
import { type Obj, at, parseYamlStream } from './yaml';

/** Renders an overlay exactly as `kubectl kustomize k8s/overlays/<name>` does (kubectl ships kustomize). */
export function renderOverlay(name: string): Obj[] {
  const dir = join(K8S_DIR, 'overlays', name);
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseYamlStream(out, `kubectl kustomize ${dir}`);
}

export function kindOf(o: Obj): string {
  return String(o['kind']);
}

export function nameOf(o: Obj): string {
  return String(at(o, 'metadata.name'));
}

export function idOf(o: Obj): string {
  return `${String(o['apiVersion'])}/${kindOf(o)}/${nameOf(o)}`;
}

export function ofKind(objects: readonly Obj[], kind: string): Obj[] {
  return objects.filter((o) => kindOf(o) === kind);
}

export function find(objects: readonly Obj[], kind: string, name: string): Obj | undefined {
  return objects.find((o) => kindOf(o) === kind && nameOf(o) === name);
}
