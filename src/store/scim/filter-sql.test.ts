// The filter compiler: SQL and parameters asserted per dialect, then executed on real SQLite and PostgreSQL.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, STORE_KINDS, type TestStore } from '../../../test/support/stores.ts';
import type { StoredUser } from '../../core/scim/records.ts';
import { checkFilter } from '../../scim/filter/check.ts';
import { parseFilter } from '../../scim/filter/parser.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import type { Database } from '../schema.ts';
import { compileFilter } from './filter-sql.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function user(id: string, data: Record<string, unknown>): StoredUser {
  return {
    tenantId: 'ten',
    id,
    data: { schemas: [USER], ...data },
    version: 1,
    createdAt: `2026-01-0${id.slice(-1)}T00:00:00.000Z`,
    lastModified: `2026-02-0${id.slice(-1)}T00:00:00.000Z`,
    createdByToken: null,
    provider: null,
    passwordHash: null,
  };
}

const USERS = [
  user('u1', {
    userName: 'Bob@X.com',
    externalId: 'Ext-1',
    active: true,
    title: 'Engineer',
    emails: [{ value: 'bob@x.com', type: 'work', primary: true }],
    [ENT]: { employeeNumber: '100' },
  }),
  user('u2', {
    userName: 'alice@x.com',
    externalId: 'ext-2',
    active: false,
    title: '100% _sure_',
    emails: [
      { value: 'alice@home.org', type: 'home' },
      { value: 'ALICE@x.com', type: 'work' },
    ],
  }),
  user('u3', {
    userName: "o'hara@x.com",
    displayName: 'Ünïcødé ✓',
    name: { givenName: 'Scarlett', familyName: "O'Hara" },
  }),
];

const pgCompiler = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });

describe('compileFilter SQL text', () => {
  const compile = (text: string, dialect: 'sqlite' | 'postgres', db: TestStore) => {
    const node = checkFilter(parseFilter(text), 'User', scimRegistry);
    // Compiling needs no connection: a PostgreSQL Kysely over an unused pool renders PostgreSQL SQL.
    const k = dialect === 'postgres' ? pgCompiler : db.store.db;
    return k
      .selectFrom('scim_users as r')
      .select('r.id')
      .where(compileFilter(node, { resourceTypeId: 'User', dialect, registry: scimRegistry }))
      .compile();
  };
  let sqlite: TestStore;
  beforeAll(async () => {
    sqlite = await openTestStore('sqlite');
  });
  afterAll(() => sqlite?.dispose());

  it.each([
    [
      'userName eq "BOB@x.com"',
      'sqlite',
      'select "r"."id" from "scim_users" as "r" where ("r"."user_name_key" = ? and "r"."user_name_key" is not null)',
      ['bob@x.com'],
    ],
    [
      'userName eq "BOB@x.com"',
      'postgres',
      'select "r"."id" from "scim_users" as "r" where ("r"."user_name_key" = $1 and "r"."user_name_key" is not null)',
      ['bob@x.com'],
    ],
    [
      'title co "%"',
      'sqlite',
      'select "r"."id" from "scim_users" as "r" where (typeof(json_extract(r.search, ?)) = \'text\' and instr(json_extract(r.search, ?), ?) > 0 and json_extract(r.search, ?) is not null)',
      ['$."title"', '$."title"', '%', '$."title"'],
    ],
    [
      'title co "%"',
      'postgres',
      'select "r"."id" from "scim_users" as "r" where (strpos((r.search #>> $1::text[]), $2) > 0 and (r.search #>> $3::text[]) is not null)',
      [['title'], '%', ['title']],
    ],
    [
      'title gt "a"',
      'postgres',
      'select "r"."id" from "scim_users" as "r" where (((r.search #>> $1::text[])) collate "C" > $2 and (r.search #>> $3::text[]) is not null)',
      [['title'], 'a', ['title']],
    ],
  ] as const)('%s on %s', (text, dialect, expectedSql, params) => {
    const compiled = compile(text, dialect, sqlite);
    expect(compiled.sql).toBe(expectedSql);
    expect(compiled.parameters).toEqual(params);
  });

  it('looks users up by userName through the unique index, whatever the tenant size', async () => {
    const { sql: text, parameters } = compile('userName eq "x"', 'sqlite', sqlite);
    const plan = await sql
      .raw(
        `explain query plan ${text.replace('where', "where r.tenant_id = 't' and")}`.replace('?', `'${parameters[0]}'`),
      )
      .execute(sqlite.store.db);
    expect(JSON.stringify(plan.rows)).toContain('USING INDEX scim_users_user_name_key');
  });

  it('never puts request text into SQL: attribute names and values only reach parameters', () => {
    const compiled = compile(
      `title eq "'; drop table scim_users;--" or ${ENT}:employeeNumber sw "x"`,
      'sqlite',
      sqlite,
    );
    expect(compiled.sql).not.toContain('drop');
    expect(compiled.sql).not.toContain('employeeNumber');
    expect(compiled.parameters).toContain("'; drop table scim_users;--");
  });
});

describe.each(STORE_KINDS)('compileFilter executed on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
    await t.store.tenants.insert({ id: 'ten', name: 'x', createdAt: '2026-01-01T00:00:00.000Z' });
    await t.store.tenants.insert({ id: 'other', name: 'y', createdAt: '2026-01-01T00:00:00.000Z' });
    for (const u of USERS) await t.store.scim.users.insert(u);
    await t.store.scim.users.insert({ ...USERS[0]!, tenantId: 'other', id: 'o1' });
  });
  afterAll(() => t?.dispose());

  const ids = async (text: string) => {
    const node = checkFilter(parseFilter(text), 'User', scimRegistry);
    const rows = await t.store.db
      .selectFrom('scim_users as r')
      .select('r.id')
      .where('r.tenant_id', '=', 'ten')
      .where(compileFilter(node, { resourceTypeId: 'User', dialect: kind, registry: scimRegistry }))
      .orderBy('r.id')
      .execute();
    return rows.map((r) => r.id);
  };

  it.each([
    ['userName eq "bob@x.com"', ['u1']],
    ['userName eq "BOB@X.COM"', ['u1']],
    ['userName sw "ALI"', ['u2']],
    ['userName ew "@X.COM"', ['u1', 'u2', 'u3']],
    ['userName co "\'"', ['u3']],
    ['externalId eq "ext-1"', []],
    ['externalId eq "Ext-1"', ['u1']],
    ['active eq true', ['u1']],
    ['active eq false', ['u2']],
    ['active ne true', ['u2']],
    ['title co "%"', ['u2']],
    ['title co "_s"', ['u2']],
    ['title co "e"', ['u1', 'u2']],
    ['title ne "engineer"', ['u2']],
    ['title pr', ['u1', 'u2']],
    ['not (title pr)', ['u3']],
    ['emails.value eq "alice@x.com"', ['u2']],
    ['emails co "@home"', ['u2']],
    ['emails[type eq "work"].value eq "alice@x.com"', ['u2']],
    ['emails[type eq "work" and primary eq true]', ['u1']],
    ['emails[type eq "home" and value ew ".com"]', []],
    ['emails pr', ['u1', 'u2']],
    [`${ENT}:employeeNumber eq "100"`, ['u1']],
    ['name.familyName eq "o\'hara"', ['u3']],
    ['displayName eq "ünïcødé ✓"', ['u3']],
    ['meta.created gt "2026-01-01T12:00:00Z"', ['u2', 'u3']],
    ['meta.lastModified le "2026-02-01T00:00:00.000Z"', ['u1']],
    ['id eq "u2" or (active eq true and title pr)', ['u1', 'u2']],
    ['title gt "A" and title lt "F"', ['u1']],
  ])('%s → %j', async (text, expected) => {
    expect(await ids(text)).toEqual(expected);
  });
});
