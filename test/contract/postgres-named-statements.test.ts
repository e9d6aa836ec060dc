// ADR 0061: on PostgreSQL the fixed-shape queries run as named prepared statements, parsed once per connection; a
// plan made stale by a migration, or statements lost by a session reset, never fail a query outside a transaction
// and fail one inside a transaction only as "unavailable" (503, retried by the IdP). PostgreSQL only: SQLite keeps
// its own prepared statements (sqlite.ts).
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../src/core/tenants/tenants.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { LIST_INSERT_NAMED_AFTER, noteListInsert, statementName } from '../../src/store/statement-names.ts';
import { openTestStore, type TestStore } from '../support/stores.ts';

describe('named prepared statements on PostgreSQL', () => {
  let t: TestStore;
  let tenantId: string;
  beforeAll(async () => {
    t = await openTestStore('postgres');
    const deps = { store: t.store, keyring: parseKeyring(generateKeyText()), clock: systemClock };
    tenantId = (await createTenant(deps, 'test', { name: 'Named' })).tenant.id;
  });
  afterAll(() => t?.dispose());

  // Queries run one after another take the pool's most recently released connection: the same session.
  const prepared = async () =>
    (
      await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(
        t.store.db,
      )
    ).rows;
  const tenantsGet = async () => {
    const named = (await prepared()).find((s) => /from "tenants" where "id" = \$1/.test(s.statement));
    if (!named) throw new Error('tenants.get is not prepared on this session');
    return named;
  };

  it('runs a fixed-shape query as a named statement, and leaves other queries unnamed', async () => {
    for (let i = 0; i < 3; i++) expect((await t.store.tenants.get(tenantId))?.name).toBe('Named');
    const named = await tenantsGet();
    expect(named.name).toMatch(/^roster_\d+$/);
    expect(statementName(named.statement)).toBe(named.name);
    // The inspection query itself (Kysely, not a fixed shape) was never named.
    expect((await prepared()).some((s) => /pg_prepared_statements/.test(s.statement))).toBe(false);
  });

  it('survives a migration that changes a table under a prepared `select *`', async () => {
    await t.store.tenants.get(tenantId);
    const before = await tenantsGet();
    await sql`alter table tenants add column named_test_a text`.execute(t.store.db);
    // Outside a transaction: renamed and run again, so the caller never sees the stale plan.
    expect((await t.store.tenants.get(tenantId))?.name).toBe('Named');
    const after = statementName(before.statement);
    expect(after).not.toBe(before.name);

    // Inside a transaction the first failure aborts it: the query fails as "unavailable" and the next one works.
    await t.store.tenants.get(tenantId);
    await sql`alter table tenants add column named_test_b text`.execute(t.store.db);
    const failed = await t.store.db
      .transaction()
      .execute((trx) => trx.executeQuery(CompiledQuery.raw(before.statement, [tenantId])))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failed).toBeDefined();
    expect(t.store.isUnavailable(failed)).toBe(true);
    expect((await t.store.tenants.get(tenantId))?.name).toBe('Named');
  });

  it('runs on unnamed when the session lost its statements (a pooler’s DISCARD ALL)', async () => {
    await t.store.tenants.get(tenantId);
    expect((await prepared()).length).toBeGreaterThan(0);
    await sql`deallocate all`.execute(t.store.db);
    expect(await prepared()).toEqual([]);
    // The client still believes the name is prepared: PostgreSQL answers 26000, and the query runs again unnamed.
    expect((await t.store.tenants.get(tenantId))?.name).toBe('Named');
    // From then on that connection names nothing.
    for (let i = 0; i < 3; i++) await t.store.tenants.get(tenantId);
    expect(await prepared()).toEqual([]);
  });
});

describe('which batch statements are named', () => {
  it('a multi-row insert once its row count has come back, never a delete or a select over an IN-list', () => {
    const insert = 'insert into "scim_group_members" ("tenant_id", "group_id") values ($1, $2), ($3, $4) -- test';
    const remove = 'delete from "scim_group_members" where "tenant_id" = $1 and "member_id" in ($2, $3) -- test';
    const resolve = 'select "id" from "scim_users" where "tenant_id" = $1 and "id" in ($2, $3) -- test';
    for (let i = 1; i < LIST_INSERT_NAMED_AFTER; i++) noteListInsert(insert);
    expect(statementName(insert)).toBeUndefined();
    noteListInsert(insert);
    expect(statementName(insert)).toMatch(/^roster_\d+$/);
    for (let i = 0; i < 5 * LIST_INSERT_NAMED_AFTER; i++) {
      noteListInsert(remove);
      noteListInsert(resolve);
    }
    // A generic plan for these cannot see how few rows the list picks out of a large group (ADR 0061).
    expect(statementName(remove)).toBeUndefined();
    expect(statementName(resolve)).toBeUndefined();
  });
});
