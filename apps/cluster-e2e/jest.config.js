/**
 * `npm test` (CI) runs the rolling restart (with the TLS/SCRAM start-up checks) and the leader kill: about
 * 3-5 min each on 2 cores. CLUSTER_E2E_ALL=1 adds two-of-three-down and consumer group churn (2-3 min each),
 * which otherwise run as `npm run bench:cluster -- two-down|group-churn`.
 * @type {import('jest').Config}
 */
const all = process.env.CLUSTER_E2E_ALL === '1';
module.exports = {
  displayName: 'cluster-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: all
    ? ['<rootDir>/src/**/*.spec.ts']
    : ['<rootDir>/src/rolling-restart.spec.ts', '<rootDir>/src/leader-kill.spec.ts'],
  // No shared broker: every suite starts a private three-node cluster (TLS + SCRAM) that it rolls and kills.
  // One suite at a time: three JVMs plus the apps already fill a small machine.
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/cluster-e2e',
};
