// The lookups IdPs send before every create (security plan: cost grows with the request, not the tenant) must be
// index searches on both stores: the planner is asked how it would run the very SQL the filter compiler emits, in
// the shape the search uses (tenant, filter, ordered by id, one page).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredUser } from '../../src/core/scim/records.ts';
import { createTenant } from '../../src/core/tenants/tenants.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { checkFilter } from '../../src/scim/filter/check.ts';
import { parseFilter } from '../../src/scim/filter/parser.ts';
import { scimRegistry } from '../../src/scim/schema/registry.ts';
import { compileFilter } from '../../src/store/scim/filter-sql.ts';
import { recordQueries } from '../support/query-log.ts';
import { queryPlan } from '../support/query-plan.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/stores.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const LOOKUPS = [
  ['User', 'userName eq "USER7@contoso.example"', 'scim_users_user_name_key'],
  ['User', 'externalId eq "oid-1"', 'scim_users_external_id'],
  ['Group', 'displayName eq "group 7"', 'scim_groups_display_name_key'],
  ['Group', 'externalId eq "g-1"', 'scim_groups_external_id'],
  // ADR 0023: the email index, for the plain lookup and Entra ID's `emails[type eq "work"].value eq`.
  ['User', 'emails.value eq "User7@Contoso.example"', 'scim_user_emails_pk'],
  ['User', 'emails[type eq "work"].value eq "USER7@contoso.example"', 'scim_user_emails_pk'],
] as const;

/** How each planner names a search of the email index (SQLite keeps that WITHOUT ROWID table as its primary key). */
const emailIndex = (kind: string) =>
  kind === 'sqlite' ? 'SEARCH vi USING PRIMARY KEY (tenant_id=? AND value_key=?)' : 'scim_user_emails_pk';

/** A walk over the tenant's users or its index rows: SQLite says SCAN r / SCAN vi, PostgreSQL "Seq Scan". */
const TENANT_WALK = /\bSCAN (r|vi|scim_users|scim_user_emails)\b|Seq Scan/;

describe.each(STORE_KINDS)('lookup plans on %s', (kind) => {
  let t: TestStore;
  let tenantId = '';
  const userIds: string[] = [];
  beforeAll(async () => {
    t = await openTestStore(kind);
    const deps = { store: t.store, keyring: parseKeyring(generateKeyText()), clock: systemClock };
    tenantId = (await createTenant(deps, 'test', { name: 'Plans' })).tenant.id;
    // Enough rows that a walk over the tenant would cost more than an index search; PostgreSQL plans from
    // statistics, so it gets them as autovacuum would give them.
    const now = new Date().toISOString();
    const base = { tenantId, version: 1, createdAt: now, lastModified: now, createdByToken: null, provider: null };
    for (let start = 0; start < 2000; start += 500) {
      await t.store.scim.transaction(async (tx) => {
        for (let i = start; i < start + 500; i++) {
          const userId = newId();
          userIds.push(userId);
          await tx.users.insert({
            ...base,
            id: userId,
            passwordHash: null,
            data: {
              schemas: [USER],
              userName: `user${i}@contoso.example`,
              externalId: `oid-${i}`,
              active: true,
              emails: [
                { value: `User${i}@Contoso.example`, type: 'work', primary: true },
                { value: `u${i}@home.example`, type: 'home' },
              ],
            },
          });
          await tx.groups.insert({
            ...base,
            id: newId(),
            data: { schemas: [GROUP], displayName: `Group ${i}`, externalId: `g-${i}` },
          });
        }
      });
    }
    // Every user in two groups: 4,000 memberships, so walking the tenant's memberships (or its groups) would show.
    const groups = (
      await sql<{ id: string }>`select id from scim_groups where tenant_id = ${tenantId} order by id`.execute(
        t.store.db,
      )
    ).rows;
    for (let i = 0; i < userIds.length; i += 500) {
      const rows = userIds
        .slice(i, i + 500)
        .flatMap((u, j) =>
          [groups[(i + j) % groups.length]!.id, groups[(i + j + 1) % groups.length]!.id].map(
            (g) => sql`(${tenantId}, ${g}, ${u}, 'User')`,
          ),
        );
      await sql`insert into scim_group_members (tenant_id, group_id, member_id, member_type) values ${sql.join(rows)}`.execute(
        t.store.db,
      );
    }
    if (kind === 'postgres') await sql`analyze`.execute(t.store.db);
  });
  afterAll(() => t?.dispose());

  it.each(LOOKUPS)('%s %s searches %s', async (type, filter, index) => {
    const table = type === 'User' ? 'scim_users' : 'scim_groups';
    const where = compileFilter(checkFilter(parseFilter(filter), type, scimRegistry), {
      resourceTypeId: type,
      dialect: kind,
      registry: scimRegistry,
      tenantId,
    });
    const query = t.store.db
      .selectFrom(`${table} as r` as 'scim_users as r')
      .select(['r.id', 'r.data'])
      .where('r.tenant_id', '=', tenantId)
      .where(where)
      .orderBy(sql`r.id asc`)
      .limit(101)
      .compile();
    const plan = await queryPlan(t.store.db, kind, query);
    expect(plan).toContain(index === 'scim_user_emails_pk' ? emailIndex(kind) : index);
    if (filter.includes('[')) {
      // The value filter's JSON walk still decides, on the rows the index found: a Filter on those, a scan of
      // each found user's own `emails` (json_each), never of the tenant.
      expect(plan).not.toMatch(TENANT_WALK);
      return;
    }
    // Never a walk over the tenant's rows: SQLite says SCAN, PostgreSQL "Seq Scan" or an index scan with a Filter.
    expect(plan).not.toMatch(/\bSCAN\b|Seq Scan|Filter:/);
  });

  it('pages the directory API by email on the email index, then the users by primary key', async () => {
    const log = recordQueries();
    const page = await t.store.directory.users(
      tenantId,
      { email: 'USER7@contoso.EXAMPLE' },
      { afterId: undefined, limit: 100 },
    );
    expect(page.map((u) => u.id)).toEqual([userIds[7]]);
    const statement = log.all().find((q) => q.sql.includes('scim_user_emails'));
    expect(statement).toBeDefined();
    const plan = await queryPlan(t.store.db, kind, statement!);
    expect(plan).toContain(emailIndex(kind));
    expect(plan).toContain(
      kind === 'postgres' ? 'Index Scan using scim_users_pk' : 'SEARCH r USING INDEX sqlite_autoindex_scim_users_1',
    );
    expect(plan).not.toMatch(TENANT_WALK);
  });

  it("reads a user's direct groups (events, SCIM responses, the directory API) on the member index", async () => {
    const log = recordQueries();
    const groups = await t.store.scim.users.groupsOf(tenantId, [userIds[7]!]);
    expect(groups.get(userIds[7]!)).toHaveLength(2);
    const statement = log.all().find((q) => q.sql.includes('scim_group_members'));
    expect(statement).toBeDefined();
    const plan = await queryPlan(t.store.db, kind, statement!);
    expect(plan).toContain('scim_group_members_member');
    expect(plan).not.toMatch(/\bSCAN\b|Seq Scan/);
  });

  // PostgreSQL only: SQLite reads the groups apart (the test above).
  it.skipIf(kind !== 'postgres')(
    'reads a user with its direct groups in one statement (ADR 0045) on the primary key and the member index',
    async () => {
      const log = recordQueries();
      const user = await t.store.scim.users.getWithGroups(tenantId, userIds[7]!);
      expect(user?.directGroups).toHaveLength(2);
      const statement = log.all().find((q) => q.sql.includes('scim_group_members'));
      expect(statement).toBeDefined();
      const plan = await queryPlan(t.store.db, kind, statement!);
      expect(plan).toContain('scim_group_members_member');
      expect(plan).toContain('scim_users_pk');
      expect(plan).not.toMatch(/\bSCAN\b|Seq Scan/);
    },
  );

  /** A SCIM token of `owner`: the store reads it by id (its secret is verified above the store, not here). */
  const insertToken = async (owner: string) => {
    const id = newId();
    await t.store.scimTokens.insert({
      id,
      tenantId: owner,
      provider: 'entra',
      providerDisplayName: 'Entra ID',
      secret: { keyId: 'k', digest: 'd' },
      createdAt: new Date().toISOString(),
      expiresAt: null,
      lastUsedAt: null,
      defaultRole: null,
    });
    return id;
  };

  // ADR 0051: a GET of one user is one statement on PostgreSQL — the token, the policy and the user of the token's
  // own tenant; SQLite reads them apart (the method is absent there).
  it('reads a SCIM token with a user of its own tenant only, in one statement on primary keys (PostgreSQL)', async () => {
    const tokens = t.store.scimTokens;
    if (kind !== 'postgres') {
      expect(tokens.getWithDomainPolicyAndUser).toBeUndefined();
      return;
    }
    const deps = { store: t.store, keyring: parseKeyring(generateKeyText()), clock: systemClock };
    const other = (await createTenant(deps, 'test', { name: 'Other' })).tenant.id;
    const now = new Date().toISOString();
    const otherUser = newId();
    await t.store.scim.transaction((tx) =>
      tx.users.insert({
        tenantId: other,
        id: otherUser,
        version: 1,
        createdAt: now,
        lastModified: now,
        createdByToken: null,
        provider: null,
        passwordHash: null,
        data: { schemas: [USER], userName: 'someone@other.example', active: true },
      }),
    );
    const tokenId = await insertToken(tenantId);
    const log = recordQueries();
    const own = await tokens.getWithDomainPolicyAndUser!(tokenId, userIds[7]!);
    expect(log.all()).toHaveLength(1);
    expect(own?.tenantId).toBe(tenantId);
    expect(own?.user?.id).toBe(userIds[7]);
    expect(own?.user?.data.userName).toBe('user7@contoso.example');
    expect(own?.user?.directGroups).toHaveLength(2);
    // Another tenant's user, named by its id with this tenant's token, is nobody.
    expect((await tokens.getWithDomainPolicyAndUser!(tokenId, otherUser))?.user).toBeNull();
    expect((await tokens.getWithDomainPolicyAndUser!(tokenId, 'no-such-user'))?.user).toBeNull();
    expect(await tokens.getWithDomainPolicyAndUser!(newId(), userIds[7]!)).toBeUndefined();
    const plan = await queryPlan(t.store.db, kind, log.all()[0]!);
    // The tokens and settings tables hold a row or two here, which the planner rightly scans; the user's side, which
    // grows with the tenant, must be index searches keyed by the token's tenant.
    expect(plan).toContain('Index Scan using scim_users_pk on scim_users r');
    expect(plan).toContain('Index Cond: ((tenant_id = t.tenant_id)');
    expect(plan).toContain('scim_group_members_member');
    expect(plan).not.toMatch(/Seq Scan on scim_(users|groups|group_members)/);
  });

  // The group counterpart of ADR 0051: `GET /Groups/{id}` (Entra's, with `excludedAttributes=members`) is one
  // statement on PostgreSQL — the token, the policy and the group of the token's own tenant; SQLite reads them apart.
  it('reads a SCIM token with a group of its own tenant only, in one statement on primary keys (PostgreSQL)', async () => {
    const tokens = t.store.scimTokens;
    if (kind !== 'postgres') {
      expect(tokens.getWithDomainPolicyAndGroup).toBeUndefined();
      return;
    }
    const deps = { store: t.store, keyring: parseKeyring(generateKeyText()), clock: systemClock };
    const other = (await createTenant(deps, 'test', { name: 'Other groups' })).tenant.id;
    const now = new Date().toISOString();
    const otherGroup = newId();
    await t.store.scim.transaction((tx) =>
      tx.groups.insert({
        tenantId: other,
        id: otherGroup,
        version: 1,
        createdAt: now,
        lastModified: now,
        createdByToken: null,
        provider: null,
        data: { schemas: [GROUP], displayName: 'Theirs' },
      }),
    );
    const own = (
      await sql<{ id: string }>`select id from scim_groups where tenant_id = ${tenantId} order by id limit 1`.execute(
        t.store.db,
      )
    ).rows[0]!.id;
    const tokenId = await insertToken(tenantId);
    const log = recordQueries();
    const read = await tokens.getWithDomainPolicyAndGroup!(tokenId, own);
    expect(log.all()).toHaveLength(1);
    expect(read?.tenantId).toBe(tenantId);
    expect(read?.group?.id).toBe(own);
    expect(read?.group?.tenantId).toBe(tenantId);
    expect(read?.group?.data.displayName).toMatch(/^Group \d+$/);
    expect(read?.group).toEqual(await t.store.scim.groups.get(tenantId, own));
    // Another tenant's group, named by its id with this tenant's token, is nobody.
    expect((await tokens.getWithDomainPolicyAndGroup!(tokenId, otherGroup))?.group).toBeNull();
    expect((await tokens.getWithDomainPolicyAndGroup!(tokenId, 'no-such-group'))?.group).toBeNull();
    expect(await tokens.getWithDomainPolicyAndGroup!(newId(), own)).toBeUndefined();
    const plan = await queryPlan(t.store.db, kind, log.all()[0]!);
    expect(plan).toContain('Index Scan using scim_groups_pk on scim_groups r');
    expect(plan).toContain('Index Cond: ((tenant_id = t.tenant_id)');
    expect(plan).not.toMatch(/Seq Scan on scim_groups/);
  });

  // ADR 0055: an IdP's `attr eq` lookup is one statement on PostgreSQL — the token, the policy and the first page
  // among the token's own tenant's resources, found on that tenant's index; SQLite reads them apart (method absent).
  describe('a SCIM token with a lookup', () => {
    const ids = { token: '', other: '', otherToken: '', otherUser: '' };
    const now = new Date().toISOString();
    const base = { version: 1, createdAt: now, lastModified: now, createdByToken: null, provider: null };
    const lookup = (resourceType: 'User' | 'Group', filter: string, count = 100) => ({
      resourceType,
      filter: checkFilter(parseFilter(filter), resourceType, scimRegistry),
      count,
    });

    beforeAll(async () => {
      const deps = { store: t.store, keyring: parseKeyring(generateKeyText()), clock: systemClock };
      ids.other = (await createTenant(deps, 'test', { name: 'Foreign' })).tenant.id;
      // This tenant: two users sharing an externalId. The other: a user of its own.
      await t.store.scim.transaction(async (tx) => {
        for (const twin of ['twin-a', 'twin-b']) {
          const data = { schemas: [USER], userName: `${twin}@contoso.example`, externalId: 'shared', active: true };
          await tx.users.insert({ ...base, tenantId, id: newId(), passwordHash: null, data });
        }
        ids.otherUser = newId();
        const data = { schemas: [USER], userName: 'someone@foreign.example', externalId: 'oid-foreign', active: true };
        await tx.users.insert({ ...base, tenantId: ids.other, id: ids.otherUser, passwordHash: null, data });
      });
      ids.token = await insertToken(tenantId);
      ids.otherToken = await insertToken(ids.other);
    });

    it.each([
      ['User', 'userName eq "USER7@contoso.example"', 'scim_users_user_name_key'],
      ['User', 'externalId eq "oid-7"', 'scim_users_external_id'],
      ['Group', 'displayName eq "group 7"', 'scim_groups_display_name_key'],
    ] as const)('%s %s: the row of the token tenant, in one statement on %s', async (type, filter, index) => {
      const read = t.store.scimTokens.getWithDomainPolicyAndLookup;
      if (kind !== 'postgres') {
        expect(read).toBeUndefined();
        return;
      }
      await read!(ids.token, lookup(type, filter)); // the shape is compiled on first sight
      const log = recordQueries();
      const found = await read!(ids.token, lookup(type, filter));
      expect(log.all()).toHaveLength(1);
      expect(found?.tenantId).toBe(tenantId);
      expect(found?.lookup?.total).toBe(1);
      const item = found!.lookup!.items[0]!;
      expect(item.tenantId).toBe(tenantId);
      if (type === 'User') {
        expect(item.id).toBe(userIds[7]);
        expect((item as StoredUser).directGroups).toHaveLength(2);
      } else {
        expect(item.data.displayName).toBe('Group 7');
      }
      const plan = await queryPlan(t.store.db, kind, log.all()[0]!);
      // The tokens and settings tables hold a row or two here, which the planner rightly scans; the page's side,
      // which grows with the tenant, must be an index search keyed by the token's tenant.
      expect(plan).toContain(`Index Scan using ${index} on`);
      expect(plan).toMatch(/Index Cond: \(\(tenant_id = t\.tenant_id\)/);
      expect(plan).not.toMatch(/Seq Scan on scim_(users|groups|group_members)/);
    });

    it.skipIf(kind !== 'postgres')(
      "never finds another tenant's resource, and declines what one statement cannot answer",
      async () => {
        const read = t.store.scimTokens.getWithDomainPolicyAndLookup!;
        const foreign = lookup('User', 'userName eq "someone@foreign.example"');
        // The other tenant's own token finds its user: the empty answer below is the tenant scope, not a miss.
        expect((await read(ids.otherToken, foreign))?.lookup?.items.map((u) => u.id)).toEqual([ids.otherUser]);
        const own = await read(ids.token, foreign);
        expect(own?.tenantId).toBe(tenantId);
        expect(own?.lookup).toEqual({ total: 0, items: [], last: undefined });
        expect((await read(ids.token, lookup('User', 'externalId eq "oid-foreign"')))?.lookup?.total).toBe(0);
        // An unknown token: nothing, whatever the lookup.
        expect(await read(newId(), lookup('User', 'userName eq "user7@contoso.example"'))).toBeUndefined();
        // More matches than the page holds: declined (the search then counts them); the token still comes back.
        const wide = await read(ids.token, lookup('User', 'externalId eq "shared"', 1));
        expect(wide?.tenantId).toBe(tenantId);
        expect(wide?.lookup).toBeNull();
        const twins = (await read(ids.token, lookup('User', 'externalId eq "shared"', 2)))?.lookup;
        expect(twins?.total).toBe(2);
        expect(twins?.items.map((u) => u.data.userName).sort()).toEqual([
          'twin-a@contoso.example',
          'twin-b@contoso.example',
        ]);
        // A page of none (count=0) asks only for a count: declined too.
        expect((await read(ids.token, lookup('User', 'userName eq "user7@contoso.example"', 0)))?.lookup).toBeNull();
        // A shape not compiled once (a value index, ADR 0023): the token alone, the lookup declined.
        const emails = await read(ids.token, lookup('User', 'emails.value eq "user7@contoso.example"'));
        expect(emails?.tenantId).toBe(tenantId);
        expect(emails?.lookup).toBeNull();
      },
    );
  });
});
