// The fast lane (`npm run test:unit`): the SCIM engine, core, adapters and the store contract on SQLite only. No
// PostgreSQL server, no chromium, no root. `npm test` (vitest.config.ts) stays the full suite on both stores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/contract/**/*.test.ts'],
    // These compare against, or break, a PostgreSQL server.
    exclude: ['test/contract/filter-differential.test.ts', 'test/contract/postgres-connection-loss.test.ts'],
    // test/support/stores.ts then parameterises store suites on SQLite alone.
    env: { ROSTER_TEST_STORES: 'sqlite' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
