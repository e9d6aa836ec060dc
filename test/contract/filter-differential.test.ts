// Differential check of filter semantics (security plan Z2): SQL on SQLite, SQL on PostgreSQL and the in-memory
// reference evaluator must select exactly the same resources for random data and random filters.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredGroup, StoredUser } from '../../src/core/scim/records.ts';
import { ScimError } from '../../src/scim/errors.ts';
import type { FilterNode } from '../../src/scim/filter/ast.ts';
import { checkFilter } from '../../src/scim/filter/check.ts';
import { evaluateFilter } from '../../src/scim/filter/evaluate.ts';
import { parseFilter } from '../../src/scim/filter/parser.ts';
import { foldCase } from '../../src/scim/resource/normalize.ts';
import { scimRegistry } from '../../src/scim/schema/registry.ts';
import { compileFilter } from '../../src/store/scim/filter-sql.ts';
import { openTestStore, type TestStore } from '../support/stores.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const SEED = Number(process.env.FILTER_DIFF_SEED ?? 7);

// Case variants, Unicode that folds in surprising ways (Turkish İ/ı, ß/ẞ/SS, fullwidth, Kelvin sign, NFD é,
// titlecase ǅ), astral characters, and text that would mean something to LIKE, GLOB or SQL quoting.
const WORDS = [
  'bob',
  'Bob',
  'BOB',
  'ｂｏｂ',
  'İstanbul',
  'istanbul',
  'ISTANBUL',
  'ıi',
  'straße',
  'STRASSE',
  'ẞ',
  'K',
  'k',
  'ǅ',
  'é',
  'e\u0301',
  '😀',
  '😀x',
  '100%',
  '%',
  'a_b',
  '_',
  '*',
  "o'h",
  'x\\y',
  '"q"',
  ';--',
  'Z',
  'a',
  '',
];

const word = fc.constantFrom(...WORDS);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const userArb = fc.record({
  name: word,
  title: maybe(word),
  active: maybe(fc.boolean()),
  nick: maybe(word),
  given: maybe(word),
  family: maybe(word),
  emails: fc.array(
    fc.record({
      value: maybe(word),
      type: maybe(fc.constantFrom('work', 'home', 'Work')),
      primary: maybe(fc.boolean()),
    }),
    { maxLength: 3 },
  ),
  emp: maybe(word),
  manager: maybe(fc.constantFrom('u000', 'u001', 'U001')),
  day: fc.integer({ min: 1, max: 9 }),
});
type RandomUser = typeof userArb extends fc.Arbitrary<infer T> ? T : never;

const clean = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function toUser(tenantId: string, i: number, u: RandomUser): StoredUser {
  const emails = u.emails.map((e) => clean(e));
  const enterprise = clean({
    employeeNumber: u.emp,
    manager: u.manager === undefined ? undefined : { value: u.manager },
  });
  return {
    tenantId,
    id: `u${String(i).padStart(3, '0')}`,
    data: {
      schemas: Object.keys(enterprise).length > 0 ? [USER, ENT] : [USER],
      // The suffix keeps folded userNames unique, as the (tenant_id, user_name_key) index demands.
      userName: `${u.name}-${i}`,
      ...clean({ title: u.title, active: u.active, nickName: u.nick }),
      ...(u.given !== undefined || u.family !== undefined
        ? { name: clean({ givenName: u.given, familyName: u.family }) }
        : {}),
      ...(emails.length > 0 ? { emails } : {}),
      ...(Object.keys(enterprise).length > 0 ? { [ENT]: enterprise } : {}),
    },
    version: 1,
    createdAt: `2026-01-0${u.day}T00:00:00.000Z`,
    lastModified: `2026-02-0${u.day}T12:30:00.000Z`,
    createdByToken: null,
    provider: null,
    passwordHash: null,
  };
}

const op = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le');
const text = (a: fc.Arbitrary<string>) => fc.tuple(a, op, word).map(([n, o, w]) => `${n} ${o} ${JSON.stringify(w)}`);
const userAttr = fc.constantFrom(
  'title',
  'nickName',
  'userName',
  'name.givenName',
  'name.familyName',
  'emails.value',
  'emails.type',
  'emails',
  `${ENT}:employeeNumber`,
  `${ENT}:manager.value`,
  'externalId',
);
const date = fc
  .tuple(
    fc.integer({ min: 1, max: 9 }),
    fc.constantFrom('T00:00:00Z', 'T00:00:00.000Z', 'T01:00:00+01:00', 'T12:00:00Z'),
  )
  .map(([d, t]) => `2026-01-0${d}${t}`);
const elementFilter = fc.oneof(
  text(fc.constantFrom('value', 'type')),
  fc.constantFrom('value pr', 'type pr', 'primary eq true', 'primary eq false', 'primary ne true'),
);
const userLeaf = fc.oneof(
  text(userAttr),
  userAttr.map((a) => `${a} pr`),
  fc.constantFrom('active eq true', 'active eq false', 'active ne true', 'emails.primary eq true', 'name pr'),
  fc.constantFrom('emails pr', `${ENT}:manager pr`, 'meta.resourceType eq "User"', 'groups pr'),
  fc.tuple(op, date).map(([o, d]) => `meta.created ${o} "${d}"`),
  fc.tuple(fc.constantFrom('u000', 'u001', 'u005'), op).map(([id, o]) => `id ${o} "${id}"`),
  fc.tuple(elementFilter, elementFilter, fc.constantFrom('and', 'or')).map(([a, b, j]) => `emails[${a} ${j} ${b}]`),
  elementFilter.map((a) => `emails[not (${a})]`),
  fc
    .tuple(fc.constantFrom('work', 'home'), word)
    .map(([t, w]) => `emails[type eq "${t}"].value eq ${JSON.stringify(w)}`),
  fc.tuple(op, word).map(([o, w]) => `name[givenName ${o} ${JSON.stringify(w)} or familyName pr]`),
);

function logic(leaf: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.letrec<{ f: string }>((tie) => ({
    f: fc.oneof(
      { maxDepth: 3 },
      leaf,
      fc.tuple(tie('f'), tie('f')).map(([a, b]) => `(${a} and ${b})`),
      fc.tuple(tie('f'), tie('f')).map(([a, b]) => `(${a} or ${b})`),
      tie('f').map((a) => `not (${a})`),
    ),
  })).f;
}

const groupLeaf = fc.oneof(
  text(fc.constantFrom('displayName', 'externalId')),
  fc
    .tuple(fc.constantFrom('u000', 'u001', 'u002', 'U001', 'g1'), fc.constantFrom('eq', 'ne', 'sw'))
    .map(([v, o]) => `members.value ${o} "${v}"`),
  fc.constantFrom('members pr', 'members[type eq "user"]', 'members[type eq "Group"]', 'displayName pr'),
  fc
    .tuple(fc.constantFrom('u000', 'u001', 'g1'), fc.constantFrom('User', 'GROUP'))
    .map(([v, t]) => `members[value eq "${v}" and type eq "${t}"]`),
);

describe('filter semantics: SQLite = PostgreSQL = reference evaluator', () => {
  let sqlite: TestStore;
  let pg: TestStore;
  beforeAll(async () => {
    [sqlite, pg] = await Promise.all([openTestStore('sqlite'), openTestStore('postgres')]);
  });
  afterAll(async () => {
    await Promise.all([sqlite?.dispose(), pg?.dispose()]);
  });

  async function agree(
    tenant: string,
    type: 'User' | 'Group',
    filters: readonly string[],
    resources: readonly { id: string; resource: Record<string, unknown> }[],
  ): Promise<number> {
    let compared = 0;
    for (const filterText of filters) {
      let node: FilterNode;
      try {
        node = checkFilter(parseFilter(filterText), type, scimRegistry);
      } catch (error) {
        // Random text may be invalid for the type (e.g. ordering a boolean): a 400, never anything else.
        expect(error).toBeInstanceOf(ScimError);
        continue;
      }
      const expected = resources.filter((r) => evaluateFilter(node, r.resource, scimRegistry, type)).map((r) => r.id);
      for (const [dialect, t] of [
        ['sqlite', sqlite],
        ['postgres', pg],
      ] as const) {
        const rows = await t.store.db
          .selectFrom(type === 'User' ? 'scim_users as r' : ('scim_groups as r' as 'scim_users as r'))
          .select('r.id')
          .where('r.tenant_id', '=', tenant)
          .where(compileFilter(node, { resourceTypeId: type, dialect, registry: scimRegistry, tenantId: tenant }))
          .orderBy('r.id')
          .execute();
        expect(
          rows.map((r) => r.id),
          `${dialect}: ${filterText}`,
        ).toEqual(expected);
      }
      compared++;
    }
    return compared;
  }

  it('agrees on random datasets and random filters', async () => {
    const datasets = fc.sample(fc.array(userArb, { minLength: 8, maxLength: 16 }), { numRuns: 3, seed: SEED });
    let compared = 0;
    for (const [d, dataset] of datasets.entries()) {
      const tenant = `t${d}`;
      const users = dataset.map((u, i) => toUser(tenant, i, u));
      // A few groups over those users, so `groups` (computed from membership rows) is part of the comparison.
      const groups: StoredGroup[] = ['g1', 'g2'].map((id, n) => ({
        ...toUser(tenant, 0, dataset[0]!),
        id,
        data: { schemas: [GROUP], displayName: `${WORDS[n]}-${id}` },
      }));
      const memberships = users
        .filter((_, i) => i % 3 === 0)
        .map((u, i) => ({ group: i % 2 ? 'g2' : 'g1', user: u.id }));
      for (const t of [sqlite, pg]) {
        await t.store.tenants.insert({ id: tenant, name: tenant, createdAt: '2026-01-01T00:00:00.000Z' });
        for (const u of users) await t.store.scim.users.insert(u);
        for (const g of groups) await t.store.scim.groups.insert(g);
        for (const m of memberships) {
          await t.store.db
            .insertInto('scim_group_members')
            .values({ tenant_id: tenant, group_id: m.group, member_id: m.user, member_type: 'User' })
            .execute();
        }
      }
      // The resources as GET returns them: id, meta and the computed groups beside the stored attributes.
      const resources = users.map((u) => {
        const of = memberships.filter((m) => m.user === u.id);
        return {
          id: u.id,
          resource: {
            ...u.data,
            id: u.id,
            meta: { resourceType: 'User', created: u.createdAt, lastModified: u.lastModified },
            ...(of.length > 0
              ? {
                  groups: of.map((m) => ({
                    value: m.group,
                    display: groups.find((g) => g.id === m.group)?.data.displayName,
                    type: 'direct',
                  })),
                }
              : {}),
          },
        };
      });
      compared += await agree(
        tenant,
        'User',
        fc.sample(logic(userLeaf), { numRuns: Number(process.env.FILTER_DIFF_RUNS ?? 80), seed: SEED + 100 + d }),
        resources,
      );
    }
    expect(compared).toBeGreaterThan(180);
  });

  it('agrees on groups and their membership rows', async () => {
    const tenant = 'groups';
    const names = fc.sample(
      fc.uniqueArray(word, { minLength: 6, maxLength: 10, selector: (w) => foldCase(w || 'empty') }),
      {
        numRuns: 1,
        seed: SEED,
      },
    )[0]!;
    const groups: StoredGroup[] = names.map((name, i) => ({
      tenantId: tenant,
      id: `g${i}`,
      data: { schemas: [GROUP], displayName: name === '' ? 'empty' : name, ...(i % 2 ? { externalId: name } : {}) },
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      lastModified: '2026-01-01T00:00:00.000Z',
      createdByToken: null,
      provider: null,
    }));
    const members = groups.flatMap((g, i) =>
      [
        ['u000', 'User'],
        ['u001', 'User'],
        ['u002', 'User'],
        ['g1', 'Group'],
      ]
        .filter((_, j) => (i + j) % 3 !== 0 && i !== 0)
        .map(([value, type]) => ({ group: g.id, value: value!, type: type! })),
    );
    for (const t of [sqlite, pg]) {
      await t.store.tenants.insert({ id: tenant, name: tenant, createdAt: '2026-01-01T00:00:00.000Z' });
      for (const g of groups) await t.store.scim.groups.insert(g);
      for (const m of members) {
        await t.store.db
          .insertInto('scim_group_members')
          .values({ tenant_id: tenant, group_id: m.group, member_id: m.value, member_type: m.type })
          .execute();
      }
    }
    const resources = groups.map((g) => {
      const of = members.filter((m) => m.group === g.id).map((m) => ({ value: m.value, type: m.type }));
      return { id: g.id, resource: { ...g.data, id: g.id, ...(of.length > 0 ? { members: of } : {}) } };
    });
    const compared = await agree(
      tenant,
      'Group',
      fc.sample(logic(groupLeaf), { numRuns: Number(process.env.FILTER_DIFF_RUNS ?? 60), seed: SEED + 1 }),
      resources,
    );
    expect(compared).toBeGreaterThan(50);
  });
});
