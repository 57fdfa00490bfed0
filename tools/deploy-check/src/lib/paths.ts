import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../../..');
export const DOCKER_DIR = join(REPO_ROOT, 'docker');
export const K8S_DIR = join(REPO_ROOT, 'k8s');

/** Every overlay under k8s/overlays (a folder with a kustomization.yaml). */
export function overlayNames(): string[] {
  const dir = join(K8S_DIR, 'overlays');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter(
      (name) => statSync(join(dir, name)).isDirectory() && existsSync(join(dir, name, 'kustomization.yaml')),
    )
    .sort();
}
