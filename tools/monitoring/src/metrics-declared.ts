import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric name the project's apps and libraries declare (`name: '<prefix>_…'` in their sources), plus
 * the Node.js process metrics prom-client adds, so a dashboard or alert naming anything else is a typo.
 */
export function declaredMetricNames(root: string): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        if (entry !== 'node_modules') walk(path);
      } else if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(
          /name: '((?:gateway|pipeline|poller|fetcher|email|slack|archive)_[a-z0-9_]+)'/g,
        ))
          names.add(m[1]);
      }
    }
  };
  for (const top of ['apps', 'libs']) walk(join(root, top));
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of registry.getMetricsAsArray()) names.add(metric.name);
  return names;
}
