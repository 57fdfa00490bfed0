/**
 * `npm run monitoring`: writes the Grafana dashboards defined in dashboards.ts to k8s/monitoring/dashboards.
 * `npx nx test monitoring` fails when the committed files differ from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { DASHBOARDS, grafanaDashboard } from './dashboards';
import { REPO_ROOT, dashboardFile } from './paths';

for (const d of DASHBOARDS) {
  const file = dashboardFile(d.uid);
  writeFileSync(file, JSON.stringify(grafanaDashboard(d), null, 2) + '\n');
  process.stdout.write(`wrote ${relative(REPO_ROOT, file)} (${d.panels.length} panels)\n`);
}
