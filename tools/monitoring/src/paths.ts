import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'nx.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no nx.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot(__dirname);
export const MONITORING_DIR = join(REPO_ROOT, 'k8s/monitoring');
export const DASHBOARD_DIR = join(MONITORING_DIR, 'dashboards');

/** The committed file of a dashboard: its uid without the common prefix. */
export function dashboardFile(uid: string): string {
  return join(DASHBOARD_DIR, `${uid.replace(/^broker-events-/, '')}.json`);
}
