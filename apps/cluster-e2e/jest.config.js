/** @type {import('jest').Config} */
module.exports = {
  displayName: 'cluster-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // No shared broker: every suite starts a private three-node cluster (TLS + SCRAM) that it rolls and kills.
  // One suite at a time: three JVMs plus the apps already fill a small machine.
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/cluster-e2e',
};
