/** @type {import('jest').Config} */
module.exports = {
  displayName: 'images',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  coverageDirectory: '../../coverage/tools/images',
};
