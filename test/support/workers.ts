// How many test files the full suite runs at once (ADR 0047): vitest.config.ts runs that many workers, and the global
// setup starts one PostgreSQL server per worker slot (test/support/stores.ts picks its slot's by VITEST_POOL_ID).
export const PARALLEL_FILES = Number(process.env.ROSTER_TEST_WORKERS ?? 3);
