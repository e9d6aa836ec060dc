// The full suite (`npm test`). Vitest 4 runs `maxWorkers` files at once and defaults it to cores − 1, which is one
// file at a time on a 2-core CI box; most of a file's time here is I/O wait (fsync, PostgreSQL, child processes,
// chromium), so files run PARALLEL_FILES (2) at a time. The few files whose assertions are about time or that fill the
// machine on purpose (crashes, a full disk, load, deadlines) run afterwards, one at a time (ADR 0047).
import { defineConfig } from 'vitest/config';
// Files run together in the first group; ROSTER_TEST_WORKERS overrides it (1 gives the old serial run).
import { PARALLEL_FILES } from './test/support/workers.ts';

/** Files that must run alone: they assert deadlines, kill or starve their own servers, or load the machine. */
export const ALONE = [
  'test/e2e/bad-inputs.test.ts',
  'test/e2e/concurrency.test.ts',
  'test/e2e/crash-safety.test.ts',
  'test/e2e/disk-full.test.ts',
  'test/e2e/domains-signin.test.ts',
  'test/e2e/graceful-shutdown.test.ts',
  'test/e2e/http-limits.test.ts',
  'test/e2e/load-smoke.test.ts',
  'test/e2e/postgres-outage.test.ts',
  'test/e2e/slow-database.test.ts',
  'test/contract/store-unavailable.test.ts',
];

/**
 * Parallel files that change process-wide state which a later file in the same worker must not inherit, so they get
 * a fresh process each (ADR 0053): tracing starts the OpenTelemetry SDK in-process (global providers, the undici
 * hooks, Roster's tracing-active flag); the others patch the better-sqlite3 and pg prototypes to log every statement
 * (test/support/query-log.ts), a log that would otherwise keep growing through every later file.
 */
export const OWN_PROCESS = [
  'test/e2e/tracing.test.ts',
  'test/e2e/round-trips.test.ts',
  'test/e2e/auth-tokens.test.ts',
  'test/contract/lookup-plans.test.ts',
  'test/contract/signin-payloads.test.ts',
  'test/contract/user-email-index.test.ts',
];

/** The `alone` files of that kind: bad-inputs logs statements through query-log too. */
const ALONE_OWN_PROCESS = ['test/e2e/bad-inputs.test.ts'];

/** `ROSTER_TEST_ISOLATE=1` gives every file a fresh process, as before ADR 0053 (to tell a leak from a failure). */
const keepModules = process.env.ROSTER_TEST_ISOLATE !== '1';

const common = { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks' } as const;

export default defineConfig({
  test: {
    // The root project's global setup runs once and its provided context (the PostgreSQL URL) reaches every project;
    // the projects below do not extend the root, so they do not start a server each.
    globalSetup: ['test/support/global-setup.ts'],
    projects: [
      {
        test: {
          ...common,
          name: 'parallel',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...ALONE, ...OWN_PROCESS],
          maxWorkers: PARALLEL_FILES,
          // A worker process runs file after file and keeps the modules it imported, so each of the ~110 files
          // does not import the app's module graph (and oidc-provider, fastify, kysely…) again (ADR 0053).
          isolate: !keepModules,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          // Same group and worker count as `parallel`: vitest runs both projects' files in one pool of that many.
          name: 'own-process',
          include: OWN_PROCESS,
          maxWorkers: PARALLEL_FILES,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: 'alone',
          include: ALONE,
          exclude: ALONE_OWN_PROCESS,
          maxWorkers: 1,
          // One worker takes these files one after another and keeps its modules, as `parallel` does (ADR 0053).
          isolate: !keepModules,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...common,
          name: 'alone-own-process',
          include: ALONE_OWN_PROCESS,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
