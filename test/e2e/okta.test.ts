// Okta's SCIM 2.0 requests (SPEC and CRUD test collections, Group Push), replayed against Roster through a
// directory connection (ADR 0043): the tenant has no SSO provider at all, as an Okta-only customer's wouldn't.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import {
  CORE_GROUP,
  ERROR,
  LIST_RESPONSE,
  oktaUser,
  patch,
  type ScimTenant,
  scim,
  scimTenant,
} from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const OKTA_HEADERS = { accept: 'application/scim+json; charset=utf-8' };

describe.each(STORE_KINDS)('Okta provisioning on %s', (kind) => {
  let t: TestApp;
  let tenant: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind);
    tenant = await scimTenant(t.app, 'Okta tenant', 'directory');
  });
  afterAll(() => t?.dispose());

  it('runs on a directory connection, with no SSO provider of any kind in the tenant', async () => {
    const providers = await t.db.store.db
      .selectFrom('sso_providers')
      .select('scheme')
      .where('tenant_id', '=', tenant.tenantId)
      .execute();
    expect(providers).toEqual([]);
    const tokens = await call(t.app, 'GET', '/iam/v1/scim', { token: tenant.adminToken });
    expect(tokens.json().items).toEqual([expect.objectContaining({ id: tenant.scimTokenId, provider: 'okta' })]);
  });
  const users = () => `${tenant.base}/Users`;
  const groups = () => `${tenant.base}/Groups`;

  it('answers the connection test and import pages with numbers, not strings', async () => {
    for (const url of [`${users()}?startIndex=1&count=2`, `${groups()}?startIndex=1&count=100`]) {
      const res = await scim(t.app, tenant, 'GET', url, undefined, OKTA_HEADERS);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.schemas).toEqual([LIST_RESPONSE]);
      expect(typeof body.totalResults).toBe('number');
      expect(typeof body.startIndex).toBe('number');
      expect(body.Resources).toEqual([]);
    }
  });

  it('refuses "Authorization: non-token" with a 401 SCIM error carrying status and detail', async () => {
    const res = await t.app.inject({ method: 'GET', url: users(), headers: { authorization: 'non-token' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toEqual({ schemas: [ERROR], status: '401', detail: expect.any(String) });
  });

  it('answers unknown ids with a 404 SCIM error', async () => {
    const res = await scim(t.app, tenant, 'GET', `${users()}/00919288221112222`);
    expect(res.statusCode).toBe(404);
    expect(res.json().status).toBe('404');
  });

  it('creates with password (never returned), application/json accepted, lookup case-insensitive, duplicate 409', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: users(),
      headers: { authorization: `Bearer ${tenant.scimToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify(oktaUser('ann.okta@example.com')),
    });
    expect(res.statusCode).toBe(201);
    const user = res.json();
    expect(user.password).toBeUndefined();
    expect(res.body).not.toContain('Sup3r-Secret');
    expect(user).toMatchObject({ userName: 'ann.okta@example.com', locale: 'en-US', active: true });

    const found = await scim(
      t.app,
      tenant,
      'GET',
      `${users()}?filter=${encodeURIComponent('userName eq "ANN.OKTA@example.com"')}&startIndex=1&count=100`,
    );
    expect(found.json()).toMatchObject({ totalResults: 1, Resources: [{ id: user.id }] });
    expect((await scim(t.app, tenant, 'POST', users(), oktaUser('ann.okta@example.com'))).statusCode).toBe(409);
    // The password is stored only as a hash and cannot be used in a filter.
    const byPassword = await scim(
      t.app,
      tenant,
      'GET',
      `${users()}?filter=${encodeURIComponent('password eq "Sup3r-Secret-Passw0rd!"')}`,
    );
    // docs/scim.md: filtering on `password` is refused with 403 `sensitive`.
    expect(byPassword.statusCode).toBe(403);
    expect(byPassword.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(byPassword.json()).toEqual({
      schemas: [ERROR],
      status: '403',
      scimType: 'sensitive',
      detail: 'password is never returned and cannot be used in a filter',
    });
  });

  it('updates by PUT with the whole user re-sent (id, meta, groups included) and deactivates by path-less replace', async () => {
    const user = (await scim(t.app, tenant, 'POST', users(), oktaUser('put.me@example.com'))).json();
    const put = await scim(t.app, tenant, 'PUT', `${users()}/${user.id}`, {
      ...user,
      name: { givenName: 'Ann', familyName: 'Renamed', middleName: 'Q' },
      groups: [],
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      id: user.id,
      name: { familyName: 'Renamed', middleName: 'Q' },
      meta: { version: 'W/"2"' },
    });
    const off = await scim(
      t.app,
      tenant,
      'PATCH',
      `${users()}/${user.id}`,
      patch({ op: 'replace', value: { active: false } }),
    );
    expect(off.json().active).toBe(false);
    const lookup = await scim(
      t.app,
      tenant,
      'GET',
      `${users()}?filter=${encodeURIComponent('userName eq "put.me@example.com"')}`,
    );
    expect(lookup.json().Resources[0].active).toBe(false);
    const putOff = await scim(t.app, tenant, 'PUT', `${users()}/${user.id}`, {
      ...(put.json() as object),
      active: true,
    });
    expect(putOff.json().active).toBe(true);
  });

  it('pushes groups: create with members [], add, combined remove+add, replace members, rename repeating id, PUT, DELETE', async () => {
    const u = await Promise.all(
      ['g1', 'g2', 'g3'].map(async (n) =>
        (await scim(t.app, tenant, 'POST', users(), oktaUser(`${n}@example.com`))).json(),
      ),
    );
    const group = (
      await scim(t.app, tenant, 'POST', groups(), { schemas: [CORE_GROUP], displayName: 'Engineering', members: [] })
    ).json();
    expect(group.members ?? []).toEqual([]);
    const memberIds = async () =>
      ((await scim(t.app, tenant, 'GET', `${groups()}/${group.id}`)).json().members ?? [])
        .map((m: { value: string }) => m.value)
        .sort();

    await scim(
      t.app,
      tenant,
      'PATCH',
      `${groups()}/${group.id}`,
      patch({ op: 'add', path: 'members', value: [{ value: u[0].id, display: 'g1' }] }),
    );
    expect(await memberIds()).toEqual([u[0].id]);
    await scim(
      t.app,
      tenant,
      'PATCH',
      `${groups()}/${group.id}`,
      patch(
        { op: 'remove', path: `members[value eq "${u[0].id}"]` },
        { op: 'add', path: 'members', value: [{ value: u[1].id, display: 'g2' }] },
      ),
    );
    expect(await memberIds()).toEqual([u[1].id]);
    await scim(
      t.app,
      tenant,
      'PATCH',
      `${groups()}/${group.id}`,
      patch({ op: 'replace', path: 'members', value: [{ value: u[2].id }, { value: u[0].id }] }),
    );
    expect(await memberIds()).toEqual([u[0].id, u[2].id].sort());

    const renamed = await scim(
      t.app,
      tenant,
      'PATCH',
      `${groups()}/${group.id}`,
      patch({ op: 'replace', value: { id: group.id, displayName: 'Eng' } }),
    );
    // RFC 7644 §3.5.2: a group PATCH naming no attributes answers 204 with the new ETag (Okta accepts it).
    expect(renamed.statusCode).toBe(204);
    expect(renamed.body).toBe('');
    const renamedGroup = await scim(t.app, tenant, 'GET', `${groups()}/${group.id}?excludedAttributes=members`);
    expect(renamed.headers.etag).toBe(renamedGroup.json().meta.version);
    expect(renamedGroup.json().displayName).toBe('Eng');

    const put = await scim(t.app, tenant, 'PUT', `${groups()}/${group.id}`, {
      schemas: [CORE_GROUP],
      id: group.id,
      displayName: 'Engineering',
      members: [{ value: u[1].id }],
    });
    expect(put.statusCode).toBe(200);
    expect(await memberIds()).toEqual([u[1].id]);

    expect((await scim(t.app, tenant, 'DELETE', `${groups()}/${group.id}`)).statusCode).toBe(204);
    expect((await scim(t.app, tenant, 'GET', `${groups()}/${group.id}`)).statusCode).toBe(404);
    // Users survive the group's deletion; their groups attribute no longer lists it.
    expect((await scim(t.app, tenant, 'GET', `${users()}/${u[1].id}`)).json().groups ?? []).toEqual([]);
  });

  it('pages stably with count=100 through a full import', async () => {
    const fresh = await scimTenant(t.app, 'Import');
    for (let i = 0; i < 25; i++)
      await scim(t.app, fresh, 'POST', `${fresh.base}/Users`, oktaUser(`imp${i}@example.com`));
    const ids: string[] = [];
    for (let start = 1; start <= 25; start += 10) {
      const page = (await scim(t.app, fresh, 'GET', `${fresh.base}/Users?startIndex=${start}&count=10`)).json();
      ids.push(...page.Resources.map((r: { id: string }) => r.id));
    }
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
  });
});
