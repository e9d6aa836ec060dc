// The statements a SCIM request costs, counted at the driver (ADR 0045). On PostgreSQL, where every statement is a
// round trip, a GET of a user and an IdP's `eq` lookup are the token's read plus ONE statement that reads the user
// with its direct groups, which must be the groups a separate read gives, in the same order, per tenant. SQLite
// reads the groups apart (three synchronous statements). On both, a user write reads the domain policy in the
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
