// Vitest global setup: one throwaway PostgreSQL server for the whole run (or TEST_DATABASE_URL when given).
import type { TestProject } from 'vitest/node';
import { type PostgresServer, startPostgres } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  // The full suite runs every store suite on PostgreSQL too; restricting it is the fast lane's job (test:unit).
  if (process.env.ROSTER_TEST_STORES) {
    throw new Error('ROSTER_TEST_STORES is for npm run test:unit; npm test always runs SQLite and PostgreSQL');
  }
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('postgresUrl', given);
    return;
  }
  server = await startPostgres();
  project.provide('postgresUrl', server.url);
}

export async function teardown(): Promise<void> {
  server?.stop();
}
