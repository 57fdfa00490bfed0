import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, CONSUMERS, isConsumer } from './apps';
import { REPO_ROOT } from './lib/paths';

/** Every Nx project under apps/ tagged type:app: what ships as an image. */
function appProjects(): string[] {
  const dir = join(REPO_ROOT, 'apps');
  return readdirSync(dir)
    .filter((name) => {
      try {
        const project = JSON.parse(readFileSync(join(dir, name, 'project.json'), 'utf8')) as {
          name?: string;
          tags?: string[];
        };
        return project.tags?.includes('type:app') === true;
      } catch {
        return false;
      }
    })
    .sort();
}

describe('apps.ts', () => {
  it('lists every deployable app of the workspace (a new app needs an entry, an image, compose and k8s files)', () => {
    expect(APPS.map((a) => a.name).sort()).toEqual(appProjects());
  });

  it('scales exactly the Kafka consumers (told apart by their config schema) with KEDA', () => {
    for (const app of APPS) expect([app.name, app.scaling === 'keda']).toEqual([app.name, isConsumer(app)]);
    for (const c of CONSUMERS)
      expect(Object.keys(c.schema)).toEqual(
        expect.arrayContaining(['CONSUMER_NAME', 'CONSUMER_TOPICS', 'PORT']),
      );
  });

  it('names only optional schema variables as required in the cluster', () => {
    for (const app of APPS)
      for (const v of app.requiredInCluster ?? [])
        expect([app.name, v, app.schema[v]?.required]).toEqual([app.name, v, false]);
  });
});
