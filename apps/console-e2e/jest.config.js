/** @type {import('jest').Config} */
module.exports = {
  displayName: 'console-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  globalSetup: '<rootDir>/../../tools/kafka/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/kafka/src/jest-global-teardown.ts',
  // One suite at a time: they start processes and a browser of their own.
  maxWorkers: 1,
  testTimeout: 60_000,
  coverageDirectory: '../../coverage/apps/console-e2e',
};
