// How many test files the full suite runs at once (ADR 0047): vitest.config.ts runs that many workers, and the global
// setup starts one PostgreSQL server per worker slot (test/support/stores.ts picks its slot's by VITEST_POOL_ID).
// 2, not 3: with three files sharing the loaded 2-core box, 200-round races (concurrency C3) ran past their 30 s.
export const PARALLEL_FILES = Number(process.env.ROSTER_TEST_WORKERS ?? 2);
