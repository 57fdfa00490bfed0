/**
 * `nx test java-consumer-example`: builds the Maven project (`mvn -B -q verify`, which runs its JUnit tests) and
 * runs the Java consumer against the real local Kafka, asserting what it printed and what it committed.
 * @type {import('jest').Config}
 */
module.exports = {
  displayName: 'java-consumer-example',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  globalSetup: '<rootDir>/../../tools/kafka/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/kafka/src/jest-global-teardown.ts',
  coverageDirectory: '../../coverage/examples/java-consumer',
};
