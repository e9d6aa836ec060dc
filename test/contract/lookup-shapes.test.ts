// Lookups compiled once per shape (ADR 0025): `attr eq "value"` answers exactly what the general filter path
// answers, for values that fold in surprising ways, in the caller's tenant only, on both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchQuery } from '../../src/core/scim/records.ts';
import { createTenant } from '../../src/core/tenants/tenants.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { checkFilter } from '../../src/scim/filter/check.ts';
import { parseFilter } from '../../src/scim/filter/parser.ts';
import { foldCase } from '../../src/scim/resource/normalize.ts';
import { scimRegistry } from '../../src/scim/schema/registry.ts';
import { cachedLookupShapes, compiledLookup, lookupShape } from '../../src/store/scim/lookup-shapes.ts';
import { pageLimit } from '../../src/store/scim/page-limit.ts';
import { SQL_COMPILERS } from '../support/sql-compilers.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/stores.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
// Stored names, distinct once folded (userName is unique per tenant by its folded key).
const STORED = ['Bob', 'İstanbul', 'straße', 'K', 'ǅ', 'é', '😀', '100%', 'a_b', "o'h", 'x\\y', '"q"', ';--', ''];
// What is looked up: every stored name in other spellings, and names that differ only in ways folding ignores.
const ASKED = [
  ...STORED,
  'bob',
  'BOB',
  'ｂｏｂ',
  'istanbul',
  'İSTANBUL',
  'STRASSE',
  'strasse',
  'k',
  'K',
  'ǆ',
  'Ǆ',
  'e\u0301',
  'É',
  '%',
  '_',
  'missing',
];

const query = (filter: string, type: 'User' | 'Group'): SearchQuery => ({
  filter: checkFilter(parseFilter(filter), type, scimRegistry),
  sortBy: undefined,
  descending: false,
  startIndex: 1,
  count: 100,
  after: undefined,
});

describe.each(STORE_KINDS)('lookups by shape on %s', (kind) => {
  let t: TestStore;
  const tenants: string[] = [];
  beforeAll(async () => {
    t = await openTestStore(kind);
    const deps = { store: t.store, keyring: parseKeyring(generateKeyText()), clock: systemClock };
    for (const name of ['A', 'B']) tenants.push((await createTenant(deps, 'test', { name })).tenant.id);
    const now = new Date().toISOString();
    for (const tenantId of tenants) {
      const base = { tenantId, version: 1, createdAt: now, lastModified: now, createdByToken: null, provider: null };
      await t.store.scim.transaction(async (tx) => {
        for (const [i, name] of STORED.entries()) {
          // Both tenants hold every name; only the second holds the `x-` external ids, so a lookup that crossed
          // tenants would show.
          const externalId = tenantId === tenants[1] ? `x-${name}` : name;
          await tx.users.insert({
            ...base,
            id: newId(),
            passwordHash: null,
            data: { schemas: [USER], userName: name === '' ? 'empty' : name, externalId, displayName: name },
          });
          await tx.groups.insert({ ...base, id: newId(), data: { schemas: [GROUP], displayName: `${name}${i}` } });
        }
        // Three users share one external id: a cached lookup with more matches than its page.
        for (const n of [1, 2, 3]) {
          const data = { schemas: [USER], userName: `shared-${n}`, externalId: 'shared' };
          await tx.users.insert({ ...base, id: newId(), passwordHash: null, data });
        }
      });
    }
  });
  afterAll(() => t?.dispose());

  const lookups = ASKED.flatMap((value) => {
    const literal = JSON.stringify(value);
    return [
      ['User', `userName eq ${literal}`],
      ['User', `externalId eq ${literal}`],
      ['User', `externalId eq ${JSON.stringify(`x-${value}`)}`],
      ['User', `displayName eq ${literal}`],
      ['Group', `displayName eq ${JSON.stringify(`${value}0`)}`],
    ] as const;
  });

  it('answers every lookup as the general filter path does, in its own tenant', async () => {
    const ids = async (tenantId: string, type: 'User' | 'Group', filter: string) => {
      const repo = type === 'User' ? t.store.scim.users : t.store.scim.groups;
      const { items, total } = await repo.search(tenantId, query(filter, type));
      return { ids: items.map((r) => r.id).sort(), total };
    };
    let matched = 0;
    for (const tenantId of tenants) {
      for (const [type, filter] of lookups) {
        // The same condition twice under `and` is another shape: compiled in full for this request.
        const general = await ids(tenantId, type, `(${filter}) and (${filter})`);
        const cached = await ids(tenantId, type, filter);
        expect(cached, `${kind} ${type} ${filter}`).toEqual(general);
        matched += cached.ids.length;
      }
    }
    expect(matched).toBeGreaterThan(4 * STORED.length); // the lookups did find users, in both tenants
    // userName and externalId of users, displayName of groups (a user's displayName lives in its JSON only, so it
    // takes the general path): one template each, per dialect.
    expect(cachedLookupShapes()).toBeGreaterThanOrEqual(3);
    // Tenant B's external ids are not found in tenant A.
    const a = await ids(tenants[0]!, 'User', 'externalId eq "x-Bob"');
    expect(a.ids).toEqual([]);
  });

  it('pages a cached shape by startIndex and count like any search', async () => {
    const repo = t.store.scim.users;
    const first = await repo.search(tenants[0]!, { ...query('userName eq "bob"', 'User'), count: 1 });
    expect(first.items.map((u) => u.data.userName)).toEqual(['Bob']);
    const second = await repo.search(tenants[0]!, { ...query('userName eq "bob"', 'User'), startIndex: 2 });
    expect(second.items).toEqual([]);
    expect(second.total).toBe(1);
  });

  it('keeps the page size of each request on a cached shape, whose LIMIT SQLite gets as an expression (ADR 0060)', async () => {
    const repo = t.store.scim.users;
    const shapes = cachedLookupShapes();
    for (const [count, startIndex, names] of [
      [1, 1, ['shared-1']],
      [2, 1, ['shared-1', 'shared-2']],
      [5, 1, ['shared-1', 'shared-2', 'shared-3']],
      [1, 2, ['shared-2']],
      [2, 3, ['shared-3']],
      [1, 1, ['shared-1']],
    ] as const) {
      const page = await repo.search(tenants[0]!, { ...query('externalId eq "shared"', 'User'), count, startIndex });
      const got = page.items.map((u) => u.data.userName).sort();
      expect(got, `count ${count}, startIndex ${startIndex}`).toEqual(names);
      expect(page.total).toBe(3);
    }
    expect(cachedLookupShapes()).toBe(shapes); // every page size took the one compiled shape
  });
});

describe('the LIMIT of a cached shape', () => {
  const filter = checkFilter(parseFilter('userName eq "Bob"'), 'User', scimRegistry);
  it.each(['sqlite', 'postgres'] as const)(
    'on %s: an expression on SQLite, a plain parameter on PostgreSQL',
    (dialect) => {
      const db = SQL_COMPILERS[dialect];
      const build = (r: { tenantId: string; filter: typeof filter; limit: number; offset: number }) =>
        db
          .selectFrom('scim_users as r')
          .select('r.id')
          .where('r.tenant_id', '=', r.tenantId)
          .where('r.user_name_key', '=', foldCase(String((r.filter as { value: unknown }).value)))
          .offset(r.offset)
          .limit(pageLimit(dialect, r.limit));
      const shape = `test-limit|${dialect}`;
      for (const limit of [7, 101]) {
        const compiled = compiledLookup(shape, { tenantId: 't1', filter, limit, offset: 3 }, build);
        expect(compiled, `${dialect} ${limit}`).toBeDefined();
        // A bare `limit ?` would make SQLite prepare the statement again on every run.
        expect(compiled?.sql).toMatch(
          dialect === 'sqlite' ? /limit \(\? \+ 0\) offset \?$/ : /limit \$\d+ offset \$\d+$/,
        );
        expect(compiled?.parameters).toEqual(['t1', 'bob', limit, 3]);
      }
    },
  );
});

describe('which lookups take a compiled shape', () => {
  const ctx = (type: 'User' | 'Group') =>
    ({ resourceTypeId: type, dialect: 'sqlite', registry: scimRegistry, tenantId: 't' }) as const;
  const shape = (type: 'User' | 'Group', filter: string) =>
    lookupShape(checkFilter(parseFilter(filter), type, scimRegistry), ctx(type), 'scim_users');
  it('an eq with a string on a column attribute', () => {
    for (const f of ['userName eq "a"', 'externalId eq "a"', 'id eq "a"', 'USERNAME EQ "a"'])
      expect(shape('User', f), f).toBeDefined();
    expect(shape('Group', 'displayName eq "a"')).toBeDefined();
  });
  it('nothing whose SQL could depend on the value, or that is not a lookup', () => {
    for (const f of [
      'meta.lastModified eq "2026-01-01T00:00:00Z"', // a dateTime: the literal is normalised, not just folded
      'groups.value eq "a"', // membership rows
      'emails[value eq "a"]',
      'emails.value eq "a"',
      'userName ne "a"',
      'userName sw "a"',
      'active eq true',
      'userName eq "a" and userName eq "a"',
    ])
      expect(shape('User', f), f).toBeUndefined();
    expect(shape('Group', 'members.value eq "a"')).toBeUndefined();
  });
});
