/** @type {import('jest').Config} */
module.exports = {
  displayName: 'monitoring',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // The live spec runs the local stack (`npm start`'s code) against the shared test broker and a real
  // Prometheus scraping it.
  globalSetup: '<rootDir>/../../tools/kafka/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/kafka/src/jest-global-teardown.ts',
  testTimeout: 240_000,
  maxWorkers: 1,
  coverageDirectory: '../../coverage/tools/monitoring',
};
