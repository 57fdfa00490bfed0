import { join } from 'node:path';
import { REPO_ROOT } from '@broker-events/testing';

export { REPO_ROOT };
export const MONITORING_DIR = join(REPO_ROOT, 'k8s/monitoring');
export const DASHBOARD_DIR = join(MONITORING_DIR, 'dashboards');

/** The committed file of a dashboard: its uid without the common prefix. */
export function dashboardFile(uid: string): string {
  return join(DASHBOARD_DIR, `${uid.replace(/^broker-events-/, '')}.json`);
}
