/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2023' } }],
    '\\.(sh|yaml|txt)$': '<rootDir>/test/helpers/text-transform.js',
  },
  // middy v7 is ESM-only and exports only the `import` condition.
  moduleNameMapper: { '^@middy/([^/]+)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup.ts'],
  testTimeout: 30000,
  // A focused or skipped test fails the run (see test/helpers/setup.ts).
  errorOnDeprecated: true,
};
