// The email index (migration 0009, ADR 0023) on both stores: kept by the SCIM use cases' writes (create, PUT,
// PATCH, DELETE), untouched by writes that leave the emails alone, tenant-scoped, and filled by the migration from
// the users stored before it ran; lookups through it answer exactly as the `search` walk does.
import { type Kysely, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScimCaller, ScimDeps } from '../../src/core/scim/context.ts';
import type { StoredUser } from '../../src/core/scim/records.ts';
import { createUser, deleteUser, patchUser, replaceUser } from '../../src/core/scim/users.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { checkFilter } from '../../src/scim/filter/check.ts';
import { parseFilter } from '../../src/scim/filter/parser.ts';
import { scimRegistry } from '../../src/scim/schema/registry.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { type OpenedStore, openStore } from '../../src/store/open-store.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import type { Database } from '../../src/store/schema.ts';
import { compileFilter } from '../../src/store/scim/filter-sql.ts';
import { userRow } from '../../src/store/scim/rows.ts';
import { openSqlite } from '../../src/store/sqlite.ts';
import { recordQueries } from '../support/query-log.ts';
import { freshLocation, openTestStore, STORE_KINDS, type StoreKind, type TestStore } from '../support/stores.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const AT = '2026-12-06T00:00:00.000Z';

/** The index rows of a tenant as [value_key, user id], in order. */
async function indexRows(db: Kysely<Database>, tenantId: string): Promise<[string, string][]> {
  const rows = await sql<{ value_key: string; user_id: string }>`
    select value_key, user_id from scim_user_emails where tenant_id = ${tenantId} order by value_key, user_id`.execute(
    db,
  );
  return rows.rows.map((r) => [r.value_key, r.user_id]);
}

/**
 * The users a filter matches three ways: the SCIM search (with the index), the same filter compiled without the
 * tenant (the `search` walk alone, today's answer), and for `emails.value eq` the directory API's email filter.
 */
async function lookups(store: OpenedStore, kind: StoreKind, tenantId: string, filter: string) {
  const node = checkFilter(parseFilter(filter), 'User', scimRegistry);
  const found = await store.scim.users.search(tenantId, {
    filter: node,
    sortBy: undefined,
    descending: false,
    startIndex: 1,
    count: 100,
    after: undefined,
  });
  const walked = await store.db
    .selectFrom('scim_users as r')
    .select('r.id')
    .where('r.tenant_id', '=', tenantId)
    .where(compileFilter(node, { resourceTypeId: 'User', dialect: kind, registry: scimRegistry }))
    .orderBy('r.id')
    .execute();
  return { search: found.items.map((u) => u.id), walk: walked.map((r) => r.id) };
}

async function byEmail(store: OpenedStore, kind: StoreKind, tenantId: string, email: string): Promise<string[]> {
  const { search, walk } = await lookups(store, kind, tenantId, `emails.value eq ${JSON.stringify(email)}`);
  const directory = (await store.directory.users(tenantId, { email }, { afterId: undefined, limit: 100 })).map(
    (u) => u.id,
  );
  expect(search, `search = walk for ${email}`).toEqual(walk);
  expect(directory, `directory = walk for ${email}`).toEqual(walk);
  return walk;
}

describe.each(STORE_KINDS)('the email index kept by SCIM writes on %s', (kind) => {
  let t: TestStore;
  let deps: ScimDeps;
  const callerOf = (tenantId: string): ScimCaller => ({ tenantId, tokenId: 'tok', provider: 'entra' });
  let a: ScimCaller;
  let b: ScimCaller;
  const body = (userName: string, emails: unknown[]) => ({ schemas: [USER], userName, emails });

  beforeAll(async () => {
    t = await openTestStore(kind);
    deps = { scim: t.store.scim, clock: fixedClock(AT), publicUrl: 'https://roster.example' };
    for (const id of ['tenant-a', 'tenant-b']) await t.store.tenants.insert({ id, name: id, createdAt: AT });
    a = callerOf('tenant-a');
    b = callerOf('tenant-b');
  });
  afterAll(() => t?.dispose());

  it('create: every email of the user, folded, primary or not, each distinct value once', async () => {
    const u = await createUser(
      deps,
      a,
      body('ann', [
        { value: 'Ann@Example.COM', type: 'work', primary: true },
        { value: 'ann@example.com', type: 'home' },
        { value: 'Ａｎｎ@Home.Example', type: 'other' },
      ]),
    );
    expect(await indexRows(t.store.db, 'tenant-a')).toEqual([
      ['ann@example.com', u.id],
      ['ann@home.example', u.id],
    ]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'ANN@EXAMPLE.COM')).toEqual([u.id]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'ann@home.example')).toEqual([u.id]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'ann@example.co')).toEqual([]);
    const work = await lookups(t.store, kind, 'tenant-a', 'emails[type eq "work"].value eq "ann@EXAMPLE.com"');
    expect(work).toEqual({ search: [u.id], walk: [u.id] });
    const other = await lookups(t.store, kind, 'tenant-a', 'emails[type eq "work"].value eq "ann@home.example"');
    expect(other).toEqual({ search: [], walk: [] });
    await deleteUser(deps, a, u.id, undefined);
  });

  it('a create refused for its userName leaves no index rows (one statement on PostgreSQL, one transaction)', async () => {
    const u = await createUser(deps, a, body('dup@example.com', [{ value: 'first@example.com' }]));
    const refused = createUser(deps, a, body('DUP@example.com', [{ value: 'second@example.com' }]));
    await expect(refused).rejects.toMatchObject({ code: 'scim.uniqueness' });
    expect(await indexRows(t.store.db, 'tenant-a')).toEqual([['first@example.com', u.id]]);
    await deleteUser(deps, a, u.id, undefined);
  });

  it('two users with the same email, and the same email in another tenant: each lookup sees its own', async () => {
    const one = await createUser(deps, a, body('one', [{ value: 'shared@example.com' }]));
    const two = await createUser(deps, a, body('two', [{ value: 'SHARED@example.com', type: 'work' }]));
    const other = await createUser(deps, b, body('one', [{ value: 'shared@example.com' }]));
    expect(await byEmail(t.store, kind, 'tenant-a', 'Shared@Example.com')).toEqual([one.id, two.id].sort());
    expect(await byEmail(t.store, kind, 'tenant-b', 'shared@example.com')).toEqual([other.id]);
    // A page after the first user holds only the second (keyset by user id).
    const [first, second] = [one.id, two.id].sort();
    const after = await t.store.directory.users(
      'tenant-a',
      { email: 'shared@example.com' },
      { afterId: first, limit: 100 },
    );
    expect(after.map((u) => u.id)).toEqual([second]);
    for (const [caller, id] of [
      [a, one.id],
      [a, two.id],
      [b, other.id],
    ] as const)
      await deleteUser(deps, caller, id, undefined);
    expect(await indexRows(t.store.db, 'tenant-a')).toEqual([]);
    expect(await indexRows(t.store.db, 'tenant-b')).toEqual([]);
  });

  it('PUT and PATCH: add, replace, remove an email, change its case; DELETE takes the rows', async () => {
    const u = await createUser(deps, a, body('bea', [{ value: 'bea@example.com', type: 'work', primary: true }]));
    const rows = () => indexRows(t.store.db, 'tenant-a');
    const patch = (Operations: unknown[]) =>
      patchUser(deps, a, u.id, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations }, undefined);

    await patch([{ op: 'add', path: 'emails', value: [{ value: 'Bea@Home.example', type: 'home' }] }]);
    expect(await rows()).toEqual([
      ['bea@example.com', u.id],
      ['bea@home.example', u.id],
    ]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'bea@home.example')).toEqual([u.id]);

    // Entra ID's shape: replace the work email's value.
    await patch([{ op: 'replace', path: 'emails[type eq "work"].value', value: 'B.Smith@Example.com' }]);
    expect(await rows()).toEqual([
      ['b.smith@example.com', u.id],
      ['bea@home.example', u.id],
    ]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'bea@example.com')).toEqual([]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'b.smith@example.com')).toEqual([u.id]);

    await patch([{ op: 'remove', path: 'emails[type eq "home"]' }]);
    expect(await rows()).toEqual([['b.smith@example.com', u.id]]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'bea@home.example')).toEqual([]);

    // A change of case only: the stored email changes, its folded key does not, so no index statement at all.
    const log = recordQueries();
    await patch([{ op: 'replace', path: 'emails[type eq "work"].value', value: 'B.SMITH@example.COM' }]);
    expect(log.all().filter((q) => q.sql.includes('scim_user_emails'))).toEqual([]);
    expect((await t.store.scim.users.get('tenant-a', u.id))?.data.emails).toEqual([
      { value: 'B.SMITH@example.COM', type: 'work', primary: true },
    ]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'b.smith@EXAMPLE.com')).toEqual([u.id]);

    await replaceUser(
      deps,
      a,
      u.id,
      body('bea', [{ value: 'bea@new.example' }, { value: 'b2@new.example' }]),
      undefined,
    );
    expect(await rows()).toEqual([
      ['b2@new.example', u.id],
      ['bea@new.example', u.id],
    ]);
    await replaceUser(deps, a, u.id, { schemas: [USER], userName: 'bea' }, undefined);
    expect(await rows()).toEqual([]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'bea@new.example')).toEqual([]);

    await replaceUser(deps, a, u.id, body('bea', [{ value: 'bea@again.example' }]), undefined);
    await deleteUser(deps, a, u.id, undefined);
    expect(await rows()).toEqual([]);
    expect(await byEmail(t.store, kind, 'tenant-a', 'bea@again.example')).toEqual([]);
  });

  it('a write that leaves the emails alone sends no statement to the index', async () => {
    const u = await createUser(deps, a, body('cid', [{ value: 'cid@example.com', type: 'work' }]));
    const log = recordQueries();
    await patchUser(
      deps,
      a,
      u.id,
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'displayName', value: 'Cid' }],
      },
      undefined,
    );
    await replaceUser(
      deps,
      a,
      u.id,
      { ...body('cid', [{ value: 'cid@example.com', type: 'work' }]), title: 'Engineer' },
      undefined,
    );
    expect(log.all().some((q) => q.sql.includes('scim_users'))).toBe(true);
    expect(log.all().filter((q) => q.sql.includes('scim_user_emails'))).toEqual([]);
    expect(await indexRows(t.store.db, 'tenant-a')).toEqual([['cid@example.com', u.id]]);
    await deleteUser(deps, a, u.id, undefined);
  });
});

describe.each(STORE_KINDS)('migration 0009 on %s: users stored before it are found by email after it', (kind) => {
  let store: OpenedStore | undefined;
  let drop: (() => Promise<void>) | undefined;
  const ids: string[] = [];
  const tenantId = 'tenant-m';

  beforeAll(async () => {
    const fresh = await freshLocation(kind);
    drop = fresh.drop;
    const opened =
      fresh.location.kind === 'sqlite' ? openSqlite(fresh.location.path).db : openPostgres(fresh.location.url).db;
    const migrator = new Migrator({ db: opened, provider: migrationProvider({ dialect: kind }) });
    // The database as it was before 0009, with users written by that version (rows as the store wrote them).
    expect((await migrator.migrateTo('0008-directory-active-index')).error).toBeUndefined();
    await sql`insert into tenants (id, name, created_at) values (${tenantId}, 'M', ${AT})`.execute(opened);
    await sql`insert into tenants (id, name, created_at) values ('tenant-n', 'N', ${AT})`.execute(opened);
    const emails: unknown[][] = [
      [{ value: 'Ann@Example.COM', type: 'work', primary: true }, { value: 'ann.home@example.org' }],
      [{ value: 'ANN@example.com' }, { value: 'ann@EXAMPLE.com', type: 'home' }],
      [],
      [{ type: 'work' }, { value: 42 }, { value: '' }],
      [{ value: 'Ｚｏë@Example.com' }],
    ];
    for (const [i, list] of emails.entries()) {
      const user: StoredUser = {
        tenantId,
        id: `m${i}`,
        data: { schemas: [USER], userName: `u${i}`, ...(list.length > 0 ? { emails: list } : {}) },
        version: 1,
        createdAt: AT,
        lastModified: AT,
        createdByToken: null,
        provider: null,
        passwordHash: null,
      };
      ids.push(user.id);
      await opened.insertInto('scim_users').values(userRow(user)).execute();
      // The same user in another tenant: the backfill keeps tenants apart.
      if (i === 0)
        await opened
          .insertInto('scim_users')
          .values(userRow({ ...user, tenantId: 'tenant-n' }))
          .execute();
    }
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    await opened.destroy();
    store = await openStore(fresh.location);
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('fills one row per distinct folded string email of each user, in its own tenant', async () => {
    expect(await indexRows(store!.db, tenantId)).toEqual([
      ['', 'm3'],
      ['ann.home@example.org', 'm0'],
      ['ann@example.com', 'm0'],
      ['ann@example.com', 'm1'],
      ['zoë@example.com', 'm4'],
    ]);
    expect(await indexRows(store!.db, 'tenant-n')).toEqual([
      ['ann.home@example.org', 'm0'],
      ['ann@example.com', 'm0'],
    ]);
  });

  it.each([
    ['emails.value eq "ann@example.com"', ['m0', 'm1']],
    ['emails.value eq "ZOË@EXAMPLE.COM"', ['m4']],
    ['emails.value eq ""', ['m3']],
    ['emails[type eq "work"].value eq "ANN@example.com"', ['m0']],
    ['emails[type eq "home"].value eq "ann@example.com"', ['m1']],
    ['emails.value eq "ann@example.com" and userName eq "u1"', ['m1']],
  ])('%s finds the users the walk finds', async (filter, want) => {
    expect(await lookups(store!, kind, tenantId, filter)).toEqual({ search: want, walk: want });
  });

  it('later writes keep the backfilled rows: an update of the emails and a delete', async () => {
    const deps = { scim: store!.scim, clock: fixedClock(AT), publicUrl: 'https://roster.example' };
    const caller = { tenantId, tokenId: 'tok', provider: 'entra' };
    await replaceUser(deps, caller, 'm1', { schemas: [USER], userName: 'u1', emails: [{ value: 'x@y.z' }] }, undefined);
    await deleteUser(deps, caller, 'm0', undefined);
    expect(await byEmail(store!, kind, tenantId, 'ann@example.com')).toEqual([]);
    expect(await byEmail(store!, kind, tenantId, 'X@Y.Z')).toEqual(['m1']);
    expect(await indexRows(store!.db, tenantId)).toEqual([
      ['', 'm3'],
      ['x@y.z', 'm1'],
      ['zoë@example.com', 'm4'],
    ]);
    expect(await byEmail(store!, kind, 'tenant-n', 'ann@example.com')).toEqual(['m0']);
  });
});
