// Security plan F3 (in part): PostgreSQL dropping Roster's connections mid-query fails that query as
// "unavailable" (→ 503), never crashes the process, and the pool recovers with fresh connections by itself.
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, postgresAdminUrl, type TestStore } from '../support/stores.ts';

describe('PostgreSQL connection loss', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore('postgres');
  });
  afterAll(() => t?.dispose());

  async function terminateAll(): Promise<number> {
    if (t.location.kind !== 'postgres') throw new Error('postgres only');
    const admin = new pg.Client({ connectionString: postgresAdminUrl() });
    await admin.connect();
    const db = new URL(t.location.url).pathname.slice(1);
    const r = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [db],
    );
    await admin.end();
    return r.rowCount ?? 0;
  }

  it('fails the in-flight query as unavailable, stays alive, and serves the next request', async () => {
    await t.store.ping();
    const slow = sql`select pg_sleep(5)`.execute(t.store.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(await terminateAll()).toBeGreaterThan(0);
    const error = await slow;
    expect(error).toBeDefined();
    expect(t.store.isUnavailable(error)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    await t.store.ping();
    expect(await t.store.tenants.list()).toEqual([]);
  });

  it('survives losing a connection held by a transaction between two of its queries', async () => {
    const held = t.store.db
      .transaction()
      .execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await new Promise((r) => setTimeout(r, 400)); // the backend is terminated while the client sits checked out
        await sql`select 1`.execute(trx);
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await new Promise((r) => setTimeout(r, 150));
    expect(await terminateAll()).toBeGreaterThan(0);
    const error = await held;
    expect(error).toBeDefined();
    expect(t.store.isUnavailable(error)).toBe(true);
    await t.store.ping();
  });
});
