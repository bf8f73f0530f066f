// The fast tier (`npm run test:fast`): the unit suites only, without DynamoDB Local (no JVM to boot, no tables).
// Unit tests exercise core, adapters without a store, handlers and workflows on in-memory ports, CLI parsing and
// the lint rules; everything that talks to DynamoDB lives under test/integration, test/reliability or test/e2e.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/unit'],
  globalSetup: '<rootDir>/test/support/unit-setup.ts',
  globalTeardown: undefined,
  // Jest's default leaves one core to the main process, which has little to do here: on a 2-core machine that
  // would run the suites one at a time.
  maxWorkers: '100%',
};
