/** Dashboards and the helpers that check them (see docs/operations.md). */
export { DASHBOARDS, grafanaDashboard, metricNames } from './dashboards';
export type { Dashboard, Panel, Source } from './dashboards';
export { declaredMetricNames } from './metrics-declared';
