/** @type {import('jest').Config} */
module.exports = {
  displayName: 'system-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // No shared broker: every suite starts private brokers (and a private PostgreSQL) that it kills and
  // restarts, so the broker other projects use is never touched.
  // One suite at a time: they start brokers and processes of their own on a small machine.
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/system-e2e',
};
