// Differential check of filter semantics (security plan Z2): SQL on SQLite, SQL on PostgreSQL and the in-memory
// reference evaluator must select exactly the same users for random data and random filters.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredUser } from '../../src/core/scim/records.ts';
import { ScimError } from '../../src/scim/errors.ts';
import { checkFilter } from '../../src/scim/filter/check.ts';
import { evaluateFilter } from '../../src/scim/filter/evaluate.ts';
import { parseFilter } from '../../src/scim/filter/parser.ts';
import { scimRegistry } from '../../src/scim/schema/registry.ts';
import { compileFilter } from '../../src/store/scim/filter-sql.ts';
import { openTestStore, type TestStore } from '../support/stores.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const WORDS = [
  'bob',
  'Bob',
  'BOB',
  'ｂｏｂ',
  'İstanbul',
  'istanbul',
  'straße',
  'STRASSE',
  '100%',
  'a_b',
  'é',
  'e\u0301',
  '😀',
  "o'h",
  'x\\y',
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
  emails: fc.array(fc.record({ value: word, type: fc.constantFrom('work', 'home'), primary: maybe(fc.boolean()) }), {
    maxLength: 3,
  }),
  emp: maybe(word),
});

type RandomUser = typeof userArb extends fc.Arbitrary<infer T> ? T : never;

function toUser(i: number, u: RandomUser): StoredUser {
  const clean = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
  const emails = u.emails.filter((e) => e.value !== '').map((e) => clean(e));
  let seenPrimary = false;
  for (const e of emails) {
    if (e.primary === true && seenPrimary) delete e.primary;
    if (e.primary === true) seenPrimary = true;
  }
  return {
    tenantId: 'ten',
    id: `u${String(i).padStart(3, '0')}`,
    data: {
      schemas: u.emp ? [USER, ENT] : [USER],
      userName: `${u.name}-${i}`,
      ...clean({ title: u.title, active: u.active, nickName: u.nick }),
      ...(u.given ? { name: { givenName: u.given } } : {}),
      ...(emails.length ? { emails } : {}),
      ...(u.emp ? { [ENT]: { employeeNumber: u.emp } } : {}),
    },
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastModified: '2026-01-01T00:00:00.000Z',
    createdByToken: null,
    provider: null,
    passwordHash: null,
  };
}

const attr = fc.constantFrom(
  'title',
  'nickName',
  'name.givenName',
  'emails.value',
  'emails.type',
  `${ENT}:employeeNumber`,
  'userName',
);
const op = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le');
const leaf = fc.oneof(
  fc.tuple(attr, op, word).map(([a, o, w]) => `${a} ${o} ${JSON.stringify(w)}`),
  attr.map((a) => `${a} pr`),
  fc.constantFrom('active eq true', 'active eq false', 'active ne true', 'emails.primary eq true'),
  fc
    .tuple(fc.constantFrom('work', 'home'), op, word)
    .map(([t, o, w]) => `emails[type eq "${t}" and value ${o} ${JSON.stringify(w)}]`),
  fc
    .tuple(fc.constantFrom('work', 'home'), word)
    .map(([t, w]) => `emails[type eq "${t}"].value eq ${JSON.stringify(w)}`),
);
const filterArb: fc.Arbitrary<string> = fc.letrec<{ f: string }>((tie) => ({
  f: fc.oneof(
    { maxDepth: 3 },
    leaf,
    fc.tuple(tie('f'), tie('f')).map(([a, b]) => `(${a} and ${b})`),
    fc.tuple(tie('f'), tie('f')).map(([a, b]) => `(${a} or ${b})`),
    tie('f').map((a) => `not (${a})`),
  ),
})).f;

describe('filter semantics: SQLite = PostgreSQL = reference evaluator', () => {
  let sqlite: TestStore;
  let pg: TestStore;
  beforeAll(async () => {
    sqlite = await openTestStore('sqlite');
    pg = await openTestStore('postgres');
  });
  afterAll(async () => {
    await sqlite?.dispose();
    await pg?.dispose();
  });

  it('agrees on random datasets and random filters', async () => {
    const datasets = fc.sample(fc.array(userArb, { minLength: 8, maxLength: 14 }), { numRuns: 3, seed: 7 });
    let compared = 0;
    for (const [d, dataset] of datasets.entries()) {
      const tenant = `t${d}`;
      const users = dataset.map((u, i) => ({ ...toUser(i, u), tenantId: tenant }));
      for (const t of [sqlite, pg]) {
        await t.store.tenants.insert({ id: tenant, name: tenant, createdAt: '2026-01-01T00:00:00.000Z' });
        for (const u of users) await t.store.scim.users.insert(u);
      }
      for (const text of fc.sample(filterArb, { numRuns: 80, seed: 100 + d })) {
        let node: ReturnType<typeof checkFilter>;
        try {
          node = checkFilter(parseFilter(text), 'User', scimRegistry);
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
          continue;
        }
        const expected = users.filter((u) => evaluateFilter(node, u.data, scimRegistry, 'User')).map((u) => u.id);
        for (const [kind, t] of [
          ['sqlite', sqlite],
          ['postgres', pg],
        ] as const) {
          const rows = await t.store.db
            .selectFrom('scim_users as r')
            .select('r.id')
            .where('r.tenant_id', '=', tenant)
            .where(compileFilter(node, { resourceTypeId: 'User', dialect: kind, registry: scimRegistry }))
            .orderBy('r.id')
            .execute();
          expect(
            rows.map((r) => r.id),
            `${kind}: ${text}`,
          ).toEqual(expected);
        }
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(150);
  });
});
