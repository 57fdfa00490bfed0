/** @type {import('jest').Config} */
module.exports = {
  displayName: 'consumers-e2e',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  globalSetup: '<rootDir>/../../tools/kafka/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/kafka/src/jest-global-teardown.ts',
  // One suite at a time: they start processes of their own.
  maxWorkers: 1,
  coverageDirectory: '../../coverage/apps/consumers-e2e',
};
