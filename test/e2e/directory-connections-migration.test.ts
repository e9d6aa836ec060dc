// Migration 0018 (ADR 0043) on a database that already has SCIM tokens, on both stores: every token and column
// survives the loss of the foreign key to sso_providers, a token still cannot name a missing tenant, and a tenant's
// deletion still takes its tokens.
import type { Kysely } from 'kysely';
import { Migrator } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { openStore } from '../../src/store/open-store.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import type { Database } from '../../src/store/schema.ts';
import { openSqlite } from '../../src/store/sqlite.ts';
import { freshLocation, STORE_KINDS } from '../support/stores.ts';

const TOKEN = {
  id: 'tok-1',
  tenant_id: 't1',
  provider: 'entra',
  provider_display_name: 'Contoso Entra ID',
  digest: 'digest-1',
  key_id: 'k1',
  created_at: '2026-11-01T00:00:00.000Z',
  expires_at: '2027-11-01T00:00:00.000Z',
  last_used_at: '2026-11-02T00:00:00.000Z',
  default_role: null,
  expiry_notified_at: '2026-11-03T00:00:00.000Z',
};

describe.each(STORE_KINDS)('migration 0018 on %s', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('keeps every SCIM token and its columns, refuses orphans of tenants, cascades with the tenant', async () => {
    const { location, drop } = await freshLocation(kind);
    cleanups.push(drop);
    const db: Kysely<Database> =
      location.kind === 'sqlite' ? openSqlite(location.path).db : openPostgres(location.url, { max: 1 }).db;
    const migrator = new Migrator({ db, provider: migrationProvider({ dialect: kind }) });
    expect((await migrator.migrateTo('0014-branding')).error).toBeUndefined();
    await db.insertInto('tenants').values({ id: 't1', name: 'Contoso', created_at: TOKEN.created_at }).execute();
    await db
      .insertInto('sso_providers')
      .values({
        id: 'p1',
        tenant_id: 't1',
        kind: 'azuread',
        scheme: 'entra',
        display_name: 'Entra',
        enabled: 1,
        type: 'oidc',
        properties: '{}',
        client_secret_sealed: null,
        created_at: TOKEN.created_at,
        updated_at: TOKEN.created_at,
      })
      .execute();
    await db.insertInto('scim_tokens').values(TOKEN).execute();
    await db.destroy();

    const store = await openStore(location);
    cleanups.push(() => store.close());
    expect(await store.db.selectFrom('scim_tokens').selectAll().execute()).toEqual([TOKEN]);
    // A token may now name a directory connection's scheme (no foreign key to sso_providers) ...
    await store.db
      .insertInto('scim_tokens')
      .values({ ...TOKEN, id: 'tok-2', provider: 'okta', digest: 'digest-2' })
      .execute();
    // ... but never a tenant that does not exist.
    await expect(
      store.db
        .insertInto('scim_tokens')
        .values({ ...TOKEN, id: 'tok-3', tenant_id: 'nobody' })
        .execute(),
    ).rejects.toThrow(/foreign key/i);
    // The tenant's row alone: its tokens go by the new foreign key's cascade, not by the repository's cleanup.
    await store.db.deleteFrom('tenants').where('id', '=', 't1').execute();
    expect(await store.db.selectFrom('scim_tokens').select('id').execute()).toEqual([]);
  });
});
