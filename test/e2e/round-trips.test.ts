// The statements a SCIM request costs, counted at the driver (ADR 0045). On PostgreSQL, where every statement is a
// round trip, a GET of a user and an IdP's `eq` lookup are ONE statement that reads the token and the user with its
// direct groups (ADR 0051, ADR 0055), which must be the groups a separate read gives, in the same order, per tenant.
// SQLite reads the groups apart (three synchronous statements). On both, a user write reads the domain policy in the
// token's statement.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import { recordQueries } from '../support/query-log.ts';
import { CORE_GROUP, entraUser, patch, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

/** The statements of SCIM resources and tokens (background work — log flushes, webhook rounds — filtered out). */
const scimReads = (sql: string) => /^\s*select\b/i.test(sql) && /scim_(tokens|users|groups|group_members)\b/.test(sql);

/** The table a statement reads, subqueries set aside. */
function mainTable(sql: string): string | undefined {
  let text = sql;
  for (let before = ''; before !== text; ) {
    before = text;
    text = text.replace(/\([^()]*\)/g, '');
  }
  return /\bfrom\s+"?(\w+)/i.exec(text)?.[1];
}

describe.each(STORE_KINDS)('statements per SCIM read on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let other: ScimTenant;
  let member = '';
  let loner = '';
  const groupIds: string[] = [];

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'Counted');
    other = await scimTenant(t.app, 'Other');
    member = (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('ada@contoso.example', 'oid-1'))).json().id;
    loner = (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('bob@contoso.example', 'oid-2'))).json().id;
    for (const displayName of ['Zeta', 'Alpha', 'Mid "quoted" é']) {
      const body = { schemas: [CORE_GROUP], displayName, members: [{ value: member }] };
      groupIds.push((await scim(t.app, a, 'POST', `${a.base}/Groups`, body)).json().id);
    }
    // The other tenant has a group of the same name holding a user of the same userName: never in A's answers.
    const twin = (
      await scim(t.app, other, 'POST', `${other.base}/Users`, entraUser('ada@contoso.example', 'oid-1'))
    ).json().id;
    const otherGroup = { schemas: [CORE_GROUP], displayName: 'Zeta', members: [{ value: twin }] };
    await scim(t.app, other, 'POST', `${other.base}/Groups`, otherGroup);
  });
  afterAll(() => t?.dispose());

  const reads: [string, () => string, () => string][] = [
    ['GET /Users/{id}', () => `${a.base}/Users/${member}`, () => `${a.base}/Users/${loner}`],
    [
      'userName eq',
      () => `${a.base}/Users?filter=${encodeURIComponent('userName eq "ADA@contoso.example"')}`,
      () => `${a.base}/Users?filter=${encodeURIComponent('userName eq "bob@contoso.example"')}`,
    ],
    [
      'externalId eq',
      () => `${a.base}/Users?filter=${encodeURIComponent('externalId eq "oid-1"')}`,
      () => `${a.base}/Users?filter=${encodeURIComponent('externalId eq "oid-2"')}`,
    ],
  ];

  // On PostgreSQL a GET reads the token and the user (with its groups) in one statement (ADR 0051), and so does a
  // lookup (ADR 0055).
  const expectedReads = () =>
    kind === 'sqlite' ? ['scim_tokens', 'scim_users', 'scim_group_members'] : ['scim_tokens'];

  it.each(reads)(
    '%s: the token, then the user with its groups (fewer statements on PostgreSQL)',
    async (_name, ofMember, ofLoner) => {
      // The groups as a separate read orders them: by group id.
      const expected = [...groupIds].sort();
      for (const [url, groups] of [
        [ofMember(), expected],
        [ofLoner(), []],
      ] as const) {
        await scim(t.app, a, 'GET', url); // the lookup's shape is compiled on first sight
        const queries = recordQueries();
        const res = await scim(t.app, a, 'GET', url);
        expect(res.statusCode).toBe(200);
        const body = res.json();
        const user = body.Resources ? body.Resources[0] : body;
        if (body.Resources) expect(body.totalResults).toBe(1);
        expect((user.groups ?? []).map((g: { value: string }) => g.value)).toEqual(groups);
        const statements = queries.all().filter((q) => scimReads(q.sql));
        expect(statements.map((q) => mainTable(q.sql))).toEqual(expectedReads());
        if (kind === 'postgres') {
          expect(statements.at(-1)!.sql).toMatch(/scim_users/);
          expect(statements.at(-1)!.sql).toMatch(/scim_group_members/);
        }
      }
    },
  );

  // Okta and Entra ID look a group up by name without its members (idp-behaviour.md): on PostgreSQL in the token's
  // statement (ADR 0055), on SQLite the token's, then the group's.
  it('displayName eq with excludedAttributes=members: the token and the group in one statement on PostgreSQL', async () => {
    const url = `${a.base}/Groups?filter=${encodeURIComponent('displayName eq "zeta"')}&excludedAttributes=members`;
    await scim(t.app, a, 'GET', url); // the lookup's shape is compiled on first sight
    const queries = recordQueries();
    const res = await scim(t.app, a, 'GET', url);
    expect(res.statusCode).toBe(200);
    expect(res.json().totalResults).toBe(1);
    expect(res.json().Resources.map((g: { id: string }) => g.id)).toEqual([groupIds[0]]);
    expect(res.json().Resources[0].members).toBeUndefined();
    const statements = queries.all().filter((q) => scimReads(q.sql));
    expect(statements.map((q) => mainTable(q.sql))).toEqual(
      kind === 'sqlite' ? ['scim_tokens', 'scim_groups'] : ['scim_tokens'],
    );
  });

  // Entra reads a group by id without its members: on PostgreSQL the token and the group in one statement (the group
  // counterpart of ADR 0051), on SQLite apart. Another tenant's group id, with this tenant's token, is a 404.
  it('GET /Groups/{id}?excludedAttributes=members: the token and the group in one statement on PostgreSQL', async () => {
    const url = `${a.base}/Groups/${groupIds[1]}?excludedAttributes=members`;
    await scim(t.app, a, 'GET', url);
    const queries = recordQueries();
    const res = await scim(t.app, a, 'GET', url);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: groupIds[1], displayName: 'Alpha' });
    expect(res.json().members).toBeUndefined();
    const statements = queries.all().filter((q) => scimReads(q.sql));
    expect(statements.map((q) => mainTable(q.sql))).toEqual(
      kind === 'sqlite' ? ['scim_tokens', 'scim_groups'] : ['scim_tokens'],
    );
    // With its members, the group comes with the token and the members are read apart.
    const withMembers = await scim(t.app, a, 'GET', `${a.base}/Groups/${groupIds[1]}`);
    expect(withMembers.json().members.map((m: { value: string }) => m.value)).toEqual([member]);
    const theirs = (
      await scim(t.app, other, 'GET', `${other.base}/Groups?filter=${encodeURIComponent('displayName eq "Zeta"')}`)
    ).json().Resources[0].id;
    expect((await scim(t.app, a, 'GET', `${a.base}/Groups/${theirs}?excludedAttributes=members`)).statusCode).toBe(404);
    expect((await scim(t.app, a, 'GET', `${a.base}/Groups/no-such-group`)).statusCode).toBe(404);
  });

  // ADR 0055: the lookup read with the token is the token's own tenant's, served only to a request the token may
  // make, and nothing of it outlives the request.
  it("a lookup finds the token's own tenant's user only, is refused at another tenant's URL, and stops with the token", async () => {
    const filter = `filter=${encodeURIComponent('userName eq "ada@contoso.example"')}`;
    const own = (await scim(t.app, other, 'GET', `${other.base}/Users?${filter}`)).json();
    expect(own.totalResults).toBe(1);
    expect(own.Resources[0].id).not.toBe(member);
    expect(own.Resources[0].groups.map((g: { display: string }) => g.display)).toEqual(['Zeta']);
    // Other's token at A's URL: refused, though A holds a user of that name.
    expect((await scim(t.app, other, 'GET', `${a.base}/Users?${filter}`)).statusCode).toBe(401);
    // A second token of A, revoked between two lookups: the very next one is refused.
    const second = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: a.adminToken,
        body: { provider: 'entra', providerDisplayName: 'Second' },
      })
    ).json();
    const withSecond = { scimToken: second.token as string };
    const found = await scim(t.app, withSecond, 'GET', `${a.base}/Users?${filter}`);
    expect(found.json().Resources.map((u: { id: string }) => u.id)).toEqual([member]);
    const revoked = await call(t.app, 'DELETE', `/iam/v1/scim/${second.id}`, { token: a.adminToken });
    expect(revoked.statusCode).toBe(204);
    expect((await scim(t.app, withSecond, 'GET', `${a.base}/Users?${filter}`)).statusCode).toBe(401);
    // More matches than the page holds: the store declines, and the page and its total are the general path's.
    for (const userName of ['twin1@contoso.example', 'twin2@contoso.example']) {
      await scim(t.app, other, 'POST', `${other.base}/Users`, entraUser(userName, 'shared-oid'));
    }
    const queries = recordQueries();
    const page = await scim(
      t.app,
      other,
      'GET',
      `${other.base}/Users?filter=${encodeURIComponent('externalId eq "shared-oid"')}&count=1`,
    );
    expect(page.json()).toMatchObject({ totalResults: 2, itemsPerPage: 1, startIndex: 1 });
    // On PostgreSQL: the token's statement (its page one row too long), then the page and the count as before.
    const reads = queries.all().filter((q) => scimReads(q.sql));
    if (kind === 'postgres')
      expect(reads.map((q) => mainTable(q.sql))).toEqual(['scim_tokens', 'scim_users', 'scim_users']);
  });

  it('renders the groups read in the statement exactly as a separate read does (names, $ref, order)', async () => {
    const viaGet = (await scim(t.app, a, 'GET', `${a.base}/Users/${member}`)).json().groups;
    // A page of every user takes the general path, which reads the groups apart.
    const page = (await scim(t.app, a, 'GET', `${a.base}/Users?startIndex=1&count=10`)).json();
    const viaPage = page.Resources.find((u: { id: string }) => u.id === member).groups;
    expect(viaGet).toEqual(viaPage);
    expect(viaGet.map((g: { display: string }) => g.display).sort()).toEqual(['Alpha', 'Mid "quoted" é', 'Zeta']);
  });

  it('a user write reads the domain policy in the token statement, never apart, and a policy change holds on the next request', async () => {
    const restrict = async (tenant: ScimTenant, on: boolean) =>
      expect(
        (
          await call(t.app, 'PATCH', '/iam/v1/settings', {
            token: tenant.adminToken,
            body: { domainPolicy: { scimRestrictToVerifiedDomains: on } },
          })
        ).statusCode,
      ).toBe(200);
    const writes = [
      () =>
        scim(t.app, a, 'POST', `${a.base}/Users`, entraUser(`w${Math.random()}@contoso.example`, `w-${Math.random()}`)),
      () =>
        scim(
          t.app,
          a,
          'PATCH',
          `${a.base}/Users/${loner}`,
          patch({ op: 'Replace', path: 'userName', value: `l${Math.random()}@contoso.example` }),
        ),
    ];
    for (const write of writes) {
      const queries = recordQueries();
      expect((await write()).statusCode).toBeLessThan(300);
      const reads = queries.all().filter((q) => /^\s*select\b/i.test(q.sql));
      expect(reads.filter((q) => mainTable(q.sql) === 'tenant_settings')).toEqual([]);
      expect(reads.find((q) => mainTable(q.sql) === 'scim_tokens')?.sql).toMatch(/tenant_settings/);
      // Another tenant's policy is not this tenant's.
      await restrict(other, true);
      expect((await write()).statusCode).toBeLessThan(300);
      // This tenant's policy, switched on, refuses the very next write (no verified domain); off, accepts it.
      await restrict(a, true);
      const refused = await write();
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json().detail).toContain('scimRestrictToVerifiedDomains');
      await restrict(a, false);
      await restrict(other, false);
      expect((await write()).statusCode).toBeLessThan(300);
    }
  });
});

// ADR 0057: on PostgreSQL a user POST, PATCH and PUT is the token's statement and ONE write statement, run without
// BEGIN/COMMIT (one statement is atomic). What it stores — the user, its email index, its default role, its event
// with the user's direct groups — is what the transaction stored, and a failed write stores none of it.
describe.each(STORE_KINDS)('statements per SCIM user write on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let groupId = '';
  let member = '';
  const db = () => t.db.store.db;
  const admin = (method: 'POST' | 'PATCH', url: string, body: unknown) =>
    call(t.app, method, url, { token: a.adminToken, body });

  /** Statements of the write path: SCIM rows, roles, events written, and transaction control. */
  const writePath = (sql: string) =>
    /^\s*(begin|commit|savepoint|release|rollback)\b/i.test(sql) ||
    /scim_(tokens|users|user_emails|group_members|groups)\b|user_roles|insert into "?events|^\s*select pg_advisory/i.test(
      sql,
    );
  /** A statement's name: its leading keyword and main table, or `with` for a data-modifying CTE. */
  const named = (sql: string) => {
    const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? '?';
    if (/^\s*select pg_advisory_xact_lock/i.test(sql)) return 'select pg_advisory_xact_lock';
    return verb === 'select' || verb === 'insert' || verb === 'update' || verb === 'delete'
      ? `${verb} ${mainTable(sql.replace(/^\s*(insert into|update|delete from)\s+"?(\w+)"?/i, 'from $2')) ?? '?'}`
      : verb;
  };
  /**
   * Runs `request` (a fresh write each time) until one ran alone: background work (the provisioning log's flush,
   * webhook rounds) only ever adds statements, so the fewest a run made are the request's own.
   */
  async function fewest(request: (i: number) => Promise<{ statusCode: number; body: string }>) {
    let best: string[] | undefined;
    for (let i = 0; i < 4; i++) {
      const queries = recordQueries();
      const res = await request(i);
      expect(res.statusCode, res.body).toBeLessThan(300);
      const mine = queries
        .all()
        .filter((q) => writePath(q.sql))
        .map((q) => named(q.sql));
      if (best === undefined || mine.length < best.length) best = mine;
    }
    return best!;
  }
  const rows = async (table: 'scim_user_emails' | 'user_roles' | 'events', column: string, userId: string) => {
    const where = table === 'events' ? sql`data like ${`{"id":"${userId}"%`}` : sql`user_id = ${userId}`;
    return (
      await sql<{ v: string }>`select ${sql.ref(column)} as v from ${sql.table(table)}
        where tenant_id = ${a.tenantId} and ${where} order by 1`.execute(db())
    ).rows.map((r) => r.v);
  };
  const userEvents = async (userId: string) =>
    (
      await sql<{ type: string; data: string }>`select type, data from events
        where tenant_id = ${a.tenantId} and data like ${`{"id":"${userId}"%`}
        order by ${sql.raw(kind === 'postgres' ? 'xid, seq' : 'seq')}`.execute(db())
    ).rows.map((r) => ({ type: r.type, data: JSON.parse(r.data) }));

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'Writes');
    for (const key of ['staff', 'contractor']) {
      expect((await admin('POST', '/iam/v1/roles', { key, name: `Role ${key}` })).statusCode).toBe(201);
    }
    expect((await admin('PATCH', '/iam/v1/settings', { defaultRole: 'staff' })).statusCode).toBe(200);
    member = (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('member@contoso.example', 'oid-m'))).json().id;
    const body = { schemas: [CORE_GROUP], displayName: 'Writers', members: [{ value: member }] };
    groupId = (await scim(t.app, a, 'POST', `${a.base}/Groups`, body)).json().id;
  });
  afterAll(() => t?.dispose());

  const twoEmails = (i: number, userName: string) =>
    entraUser(userName, `oid-${userName}`, {
      emails: [
        { value: userName, type: 'work', primary: true },
        { value: `Other.${i}@Contoso.example`, type: 'home' },
      ],
    });

  it('POST /Users: one statement after the token on PostgreSQL, storing the user, its emails, its role and user.created', async () => {
    const created: string[] = [];
    const statements = await fewest(async (i) => {
      const res = await scim(t.app, a, 'POST', `${a.base}/Users`, twoEmails(i, `new${i}@contoso.example`));
      created.push(res.json().id);
      return res;
    });
    expect(statements).toEqual(
      kind === 'postgres'
        ? ['select scim_tokens', 'with']
        : [
            'select scim_tokens',
            'begin',
            'savepoint',
            'insert scim_users',
            'insert scim_user_emails',
            'insert user_roles',
            'insert events',
            'release',
            'commit',
          ],
    );
    const id = created[0]!;
    expect(await rows('scim_user_emails', 'value_key', id)).toEqual([
      'new0@contoso.example',
      'other.0@contoso.example',
    ]);
    expect(await rows('user_roles', 'role_key', id)).toEqual(['staff']);
    const [event, ...more] = await userEvents(id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ type: 'user.created', data: { id, roles: ['staff'], groups: [] } });
    expect(event!.data.scim.emails).toHaveLength(2);
    // The token's default role wins over the tenant's; with neither, none.
    const token = await admin('POST', '/iam/v1/scim', {
      provider: 'entra',
      providerDisplayName: 'Contractors',
      defaultRole: 'contractor',
    });
    const viaToken = (
      await scim(t.app, { scimToken: token.json().token }, 'POST', `${a.base}/Users`, twoEmails(9, 'c@contoso.example'))
    ).json().id;
    expect(await rows('user_roles', 'role_key', viaToken)).toEqual(['contractor']);
    expect((await userEvents(viaToken))[0]!.data.roles).toEqual(['contractor']);
    expect((await admin('PATCH', '/iam/v1/settings', { defaultRole: null })).statusCode).toBe(200);
    const none = (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('none@contoso.example', 'oid-n'))).json()
      .id;
    expect(await rows('user_roles', 'role_key', none)).toEqual([]);
    expect((await userEvents(none))[0]!.data.roles).toEqual([]);
    expect((await admin('PATCH', '/iam/v1/settings', { defaultRole: 'staff' })).statusCode).toBe(200);
    // The email index serves the lookup.
    const found = await scim(
      t.app,
      a,
      'GET',
      `${a.base}/Users?filter=${encodeURIComponent('emails.value eq "other.1@contoso.example"')}`,
    );
    expect(found.json().Resources.map((u: { id: string }) => u.id)).toEqual([created[1]]);
  });

  it("Entra's membership PATCH of a group: one statement after the token on PostgreSQL, with its member events", async () => {
    const users: string[] = [];
    for (let i = 0; i < 8; i++) {
      const body = entraUser(`m${i}@contoso.example`, `oid-m${i}`);
      users.push((await scim(t.app, a, 'POST', `${a.base}/Users`, body)).json().id);
    }
    const members = (op: 'Add' | 'Remove', ids: string[]) =>
      patch({ op, path: 'members', value: ids.map((value) => ({ value })) });
    const pairs = (i: number) => [users[2 * i]!, users[2 * i + 1]!];
    const added = await fewest((i) => scim(t.app, a, 'PATCH', `${a.base}/Groups/${groupId}`, members('Add', pairs(i))));
    const removed = await fewest((i) =>
      scim(t.app, a, 'PATCH', `${a.base}/Groups/${groupId}`, members('Remove', pairs(i))),
    );
    const locked = (change: string) => [
      'select scim_tokens',
      ...(kind === 'postgres' ? ['begin', 'select pg_advisory_xact_lock'] : ['begin', 'savepoint']),
      'select scim_groups',
      ...(change === 'insert scim_group_members' ? ['select scim_users', 'select scim_groups'] : []),
      'with', // whether the group carries roles (ADR 0032)
      change,
      'update scim_groups',
      'insert events',
      ...(kind === 'postgres' ? ['commit'] : ['release', 'commit']),
    ];
    expect(added).toEqual(kind === 'postgres' ? ['select scim_tokens', 'with'] : locked('insert scim_group_members'));
    expect(removed).toEqual(kind === 'postgres' ? ['select scim_tokens', 'with'] : locked('delete scim_group_members'));
    const memberEvents = (
      await sql<{ type: string; data: string }>`select type, data from events
        where tenant_id = ${a.tenantId} and type like 'group.member_%' and data like ${`{"groupId":"${groupId}"%`}
        order by ${sql.raw(kind === 'postgres' ? 'xid, seq' : 'seq')}`.execute(db())
    ).rows.map((r) => [r.type.slice('group.member_'.length), JSON.parse(r.data).memberId]);
    const expected = [0, 1, 2, 3].flatMap((i) => pairs(i).map((id) => ['added', id]));
    expect(memberEvents).toEqual([['added', member], ...expected, ...expected.map(([, id]) => ['removed', id])]);
  });

  it('a POST or PATCH whose userName is taken answers 409 uniqueness and stores nothing (no email, role or event)', async () => {
    const count = async () =>
      (
        await sql<{ n: string | number }>`select (select count(*) from events) + (select count(*) from scim_user_emails)
          + (select count(*) from user_roles) + (select count(*) from scim_users) as n`.execute(db())
      ).rows[0]!.n;
    const before = await count();
    const taken = await scim(t.app, a, 'POST', `${a.base}/Users`, twoEmails(5, 'MEMBER@contoso.example'));
    expect(taken.statusCode).toBe(409);
    expect(taken.json().scimType).toBe('uniqueness');
    const renamed = await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Users/${member}`,
      patch(
        { op: 'Replace', path: 'userName', value: 'new1@contoso.example' },
        { op: 'Add', path: 'emails', value: [{ value: 'fresh@contoso.example', type: 'other' }] },
      ),
    );
    expect(renamed.statusCode).toBe(409);
    expect(renamed.json().scimType).toBe('uniqueness');
    expect(await count()).toEqual(before);
    expect((await scim(t.app, a, 'GET', `${a.base}/Users/${member}`)).json().meta.version).toBe('W/"1"');
  });

  it('PATCH and PUT: one statement after the token on PostgreSQL; the event carries the direct groups and the new emails are indexed', async () => {
    const rename = (i: number) => patch({ op: 'Replace', path: 'displayName', value: `Renamed ${i}` });
    const patched = await fewest((i) => scim(t.app, a, 'PATCH', `${a.base}/Users/${member}`, rename(i)));
    expect(patched).toEqual(
      kind === 'postgres'
        ? ['select scim_tokens', 'with']
        : [
            'select scim_tokens',
            'begin',
            'savepoint',
            'select scim_users',
            'update scim_users',
            'select scim_group_members',
            'insert events',
            'release',
            'commit',
          ],
    );
    const current = (await scim(t.app, a, 'GET', `${a.base}/Users/${member}`)).json();
    const put = { ...current, emails: [{ value: 'moved@contoso.example', type: 'work', primary: true }] };
    delete put.meta;
    delete put.groups;
    const replaced = await fewest((i) =>
      scim(t.app, a, 'PUT', `${a.base}/Users/${member}`, { ...put, displayName: `Put ${i}` }),
    );
    expect(replaced.slice(0, 2)).toEqual(
      kind === 'postgres' ? ['select scim_tokens', 'with'] : ['select scim_tokens', 'begin'],
    );
    if (kind === 'postgres') expect(replaced).toHaveLength(2);
    const after = (await scim(t.app, a, 'GET', `${a.base}/Users/${member}`)).json();
    expect(after).toMatchObject({ displayName: 'Put 3', meta: { version: 'W/"9"' } });
    expect(after.groups.map((g: { value: string }) => g.value)).toEqual([groupId]);
    expect(await rows('scim_user_emails', 'value_key', member)).toEqual(['moved@contoso.example']);
    const events = await userEvents(member);
    expect(events.map((e) => e.type)).toEqual(['user.created', ...Array(8).fill('user.updated')]);
    for (const e of events.slice(1)) {
      expect(e.data.groups).toEqual([{ id: groupId, displayName: 'Writers' }]);
      expect(e.data.scim.groups.map((g: { value: string }) => g.value)).toEqual([groupId]);
    }
    expect(events.slice(1).map((e) => e.data.scim.meta.version)).toEqual(
      Array.from({ length: 8 }, (_, i) => `W/"${i + 2}"`),
    );
    expect(events[4]!.data.changedAttributes).toEqual(['displayName']);
    expect(events[5]!.data.changedAttributes).toEqual(['displayName', 'emails']);
  });

  it('a deactivation, a stale If-Match and a write whose user moved take the locked transaction, as before', async () => {
    const user = (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('lock@contoso.example', 'oid-l'))).json();
    const stale = await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Users/${user.id}`,
      patch({ op: 'Replace', path: 'displayName', value: 'x' }),
      {
        'if-match': 'W/"7"',
      },
    );
    expect(stale.statusCode).toBe(412);
    const users: string[] = [user.id];
    for (const n of [1, 2, 3]) {
      users.push(
        (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser(`lock${n}@contoso.example`, `l${n}`))).json().id,
      );
    }
    // Ending the user's sessions is part of the deactivation's transaction: the locked path (on PostgreSQL the
    // writer lock, then the locked read), then its update.
    const off = (i: number) =>
      scim(t.app, a, 'PATCH', `${a.base}/Users/${users[i]}`, patch({ op: 'Replace', path: 'active', value: false }));
    const made = await fewest(off);
    expect(made.slice(0, 4)).toEqual(
      kind === 'postgres'
        ? ['select scim_tokens', 'begin', 'select pg_advisory_xact_lock', 'select scim_users']
        : ['select scim_tokens', 'begin', 'savepoint', 'select scim_users'],
    );
    expect((await userEvents(user.id)).map((e) => e.type)).toEqual(['user.created', 'user.deactivated']);
    if (kind !== 'postgres') return;
    // The store's one-statement write refuses a user read at an older version, or with other groups, and writes
    // nothing (the use case then takes the locked path).
    const writes = t.db.store.scim.singleStatement!;
    const read = (await t.db.store.scim.users.getWithGroups(a.tenantId, member))!;
    const next = { ...read, data: { ...read.data, displayName: 'Never' }, version: read.version + 1 };
    const event = {
      id: 'evt_never',
      type: 'user.updated' as const,
      tenantId: a.tenantId,
      occurredAt: read.lastModified,
      data: {},
    };
    const eventsBefore = (await userEvents(member)).length;
    expect(await writes.updateUser(next, { ...read, version: read.version - 1 }, read.directGroups!, [event])).toBe(
      false,
    );
    expect(await writes.updateUser(next, read, [], [event])).toBe(false);
    expect((await userEvents(member)).length).toBe(eventsBefore);
    expect((await scim(t.app, a, 'GET', `${a.base}/Users/${member}`)).json().meta.version).toBe(`W/"${read.version}"`);
  });
});
