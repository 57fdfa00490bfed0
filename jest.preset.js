const nxPreset = require('@nx/jest/preset').default;

/** Shared jest settings: every project pins the time zone and runs real I/O, so tests get room to breathe. */
module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  testTimeout: 30_000,
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', diagnostics: { warnOnly: false } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
