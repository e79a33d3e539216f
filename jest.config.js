// Three projects: `unit` runs against a real PostgreSQL only (fast); `e2e` starts the whole stack in
// demo mode with the real codex binary (and, for the dashboard, drives Debian's Chromium); `web` runs
// the dashboard's store and component tests in jsdom. One PostgreSQL server is provided for the whole
// run by test/global-setup.ts (DATABASE_URL, else Testcontainers, else embedded PostgreSQL); each
// test file gets its own database cloned from a migrated template.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = {
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  // The machine is shared and often heavily loaded: hooks that create a database or start a
  // gateway can take longer than jest's 5 s default (a global option: projects ignore it).
  // Nothing is timed in tests; see docs/performance.md.
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/services/*/test/**/*.test.ts',
        '<rootDir>/ops/**/test/**/*.test.ts',
        '<rootDir>/cli/test/unit/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts', '<rootDir>/cli/test/e2e/**/*.test.ts'],
      slowTestThreshold: 30,
    },
    {
      displayName: 'web',
      testEnvironment: 'jsdom',
      // Vue and socket.io-client ship CommonJS builds under the `node` condition; the default
      // `browser` condition would hand Jest their ES modules.
      testEnvironmentOptions: { customExportConditions: ['node', 'node-addons'] },
      testMatch: ['<rootDir>/web/src/**/*.test.ts'],
      transform: { ...transform, '^.+\\.vue$': '<rootDir>/web/test/vue-transform.cjs' },
      moduleFileExtensions: ['ts', 'js', 'json', 'vue'],
      moduleNameMapper: { '\\.css$': '<rootDir>/web/test/style-stub.cjs' },
    },
  ],
};
