/** @type {import('jest').Config} */
module.exports = {
  displayName: 'kafka-local',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // The shared broker for smoke.spec.ts (the same files every Kafka-using project references).
  globalSetup: '<rootDir>/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/src/jest-global-teardown.ts',
  // broker.spec.ts / cli.spec.ts start, stop and kill private JVM brokers: give each test room.
  testTimeout: 180_000,
  coverageDirectory: '../../coverage/tools/kafka',
};
