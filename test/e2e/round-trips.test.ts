// The statements a SCIM request costs, counted at the driver (ADR 0045). On PostgreSQL, where every statement is a
// round trip, a GET of a user and an IdP's `eq` lookup are ONE statement that reads the token and the user with its
// direct groups (ADR 0051, ADR 0055), which must be the groups a separate read gives, in the same order, per tenant.
// SQLite reads the groups apart (three synchronous statements). On both, a user write reads the domain policy in the
// token's statement.
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
