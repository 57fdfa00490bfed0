/** @type {import('jest').Config} */
module.exports = {
  displayName: 'nx-plugin',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // The generated app's own test runs on a real broker.
  globalSetup: '<rootDir>/../../tools/kafka/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/kafka/src/jest-global-teardown.ts',
  // Copies the workspace, generates an app, then builds, lints and tests it with nx.
  testTimeout: 420_000,
  coverageDirectory: '../../coverage/tools/nx-plugin',
};
