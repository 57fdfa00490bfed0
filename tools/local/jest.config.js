/** @type {import('jest').Config} */
module.exports = {
  displayName: 'local',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // The shared test broker: the stack spec runs `npm start`'s code against it through KAFKA_BROKERS.
  globalSetup: '<rootDir>/../../tools/kafka/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/kafka/src/jest-global-teardown.ts',
  // The stack spec builds six apps (nx cache), starts six processes and a local Altinn, and runs the whole demo.
  testTimeout: 240_000,
  maxWorkers: 1,
  coverageDirectory: '../../coverage/tools/local',
};
