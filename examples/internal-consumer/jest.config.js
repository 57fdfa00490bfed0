/** @type {import('jest').Config} */
module.exports = {
  displayName: 'internal-consumer-example',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  globalSetup: '<rootDir>/../../tools/kafka/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/kafka/src/jest-global-teardown.ts',
  coverageDirectory: '../../coverage/examples/internal-consumer',
};
