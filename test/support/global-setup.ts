// Vitest global setup: throwaway PostgreSQL servers for the whole run, one per worker slot (or TEST_DATABASE_URL when
// given). One server per slot, not one for all: the event feed's horizon (pg_snapshot_xmin) is server-wide, so a
// transaction a test holds open on purpose in one file would stall the feed of a file running beside it (ADR 0047).
import type { TestProject } from 'vitest/node';
import { type PostgresServer, startPostgres } from './postgres-server.ts';
import { PARALLEL_FILES } from './workers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The first slot's server (kept for suites that ask for it directly). */
    postgresUrl: string;
    /** One admin URL per worker slot; test/support/stores.ts's postgresAdminUrl() picks this file's. */
    postgresUrls: string[];
  }
}

const servers: PostgresServer[] = [];

export async function setup(project: TestProject): Promise<void> {
  // The full suite runs every store suite on PostgreSQL too; restricting it is the fast lane's job (test:unit).
  if (process.env.ROSTER_TEST_STORES) {
    throw new Error('ROSTER_TEST_STORES is for npm run test:unit; npm test always runs SQLite and PostgreSQL');
  }
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('postgresUrl', given);
    project.provide('postgresUrls', [given]);
    return;
  }
  for (let slot = 0; slot < Math.max(1, PARALLEL_FILES); slot++) servers.push(await startPostgres());
  project.provide('postgresUrl', servers[0]!.url);
  project.provide(
    'postgresUrls',
    servers.map((s) => s.url),
  );
}

export async function teardown(): Promise<void> {
  for (const server of servers.splice(0)) server.stop();
}
