import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS } from './apps';
import { containerEnv } from './lib/k8s-env';
import { ofKind, renderOverlay } from './lib/kustomize';
import { REPO_ROOT, overlayNames } from './lib/paths';
import { arr, at } from './lib/yaml';

const DOC = readFileSync(join(REPO_ROOT, 'docs/deployment.md'), 'utf8');

/** `kubectl … create secret generic <name> --from-literal=KEY=…` commands of the page → name → keys. */
function documentedSecrets(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const commands = DOC.replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => /create secret generic/.test(l));
  for (const c of commands) {
    const name = /create secret generic (\S+)/.exec(c)?.[1] ?? '';
    const keys = out.get(name) ?? new Set<string>();
    for (const m of c.matchAll(/--from-(?:literal|file)=([A-Za-z0-9_.-]+)=/g)) keys.add(m[1]);
    out.set(name, keys);
  }
  return out;
}

/** Every Secret key the rendered overlays read: name → keys (and whether required). */
function referencedSecrets(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const overlay of overlayNames())
    for (const d of ofKind(renderOverlay(overlay), 'Deployment'))
      for (const c of arr(at(d, 'spec.template.spec.containers')))
        for (const ref of Object.values(containerEnv(c, []).secrets))
          out.set(ref.secret, (out.get(ref.secret) ?? new Set()).add(ref.key));
  return out;
}

describe('docs/deployment.md', () => {
  it('tells how to create every Secret key the manifests read, and no other', () => {
    const documented = documentedSecrets();
    const referenced = referencedSecrets();
    expect([...documented.keys()].sort()).toEqual([...referenced.keys()].sort());
    for (const [name, keys] of referenced)
      expect([name, [...(documented.get(name) ?? [])].sort()]).toEqual([name, [...keys].sort()]);
  });

  it('lists every app in the compose table', () => {
    for (const app of APPS) expect(DOC).toMatch(new RegExp(`^\\| \`${app.name}\` +\\|`, 'm'));
  });

  it("states each environment's Altinn push address", () => {
    expect(DOC).toContain('`20.100.24.41/32`');
    expect(DOC).toContain('`20.100.46.139/32`');
  });
});
