// Microsoft Entra ID's provisioning requests, replayed as its documentation and validator send them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import {
  CORE_GROUP,
  ENTERPRISE_USER,
  ERROR,
  entraUser,
  LIST_RESPONSE,
  patch,
  type ScimTenant,
  scim,
  scimTenant,
} from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const ADSCIM_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

describe.each(STORE_KINDS)('Entra ID provisioning on %s', (kind) => {
  let t: TestApp;
  let tenant: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind);
    tenant = await scimTenant(t.app);
  });
  afterAll(() => t?.dispose());

  const users = () => `${tenant.base}/Users`;
  const groups = () => `${tenant.base}/Groups`;

  it('passes Test Connection: form-encoded filter, no SCIM headers, empty ListResponse', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `${users()}?filter=userName+eq+%2200c6d4a2-2c1d-4e8b-9c3f-7d8e9f0a1b2c%22`,
      headers: { authorization: `Bearer ${tenant.scimToken}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(res.json()).toEqual({
      schemas: [LIST_RESPONSE],
      totalResults: 0,
      itemsPerPage: 0,
      startIndex: 1,
      Resources: [],
    });
  });

  it('creates a user after a lookup, finds it by userName, externalId and work email, and refuses a duplicate', async () => {
    const lookup = await scim(
      t.app,
      tenant,
      'GET',
      `${users()}?filter=${encodeURIComponent('userName eq "Test_User_ab6490ee@contoso.com"')}`,
    );
    expect(lookup.json().totalResults).toBe(0);
    const created = await scim(t.app, tenant, 'POST', users(), entraUser('Test_User_ab6490ee@contoso.com', 'ab6490ee'));
    expect(created.statusCode).toBe(201);
    const user = created.json();
    expect(user).toMatchObject({
      schemas: expect.arrayContaining(['urn:ietf:params:scim:schemas:core:2.0:User']),
      userName: 'Test_User_ab6490ee@contoso.com',
      externalId: 'ab6490ee',
      active: true,
      displayName: 'Barbara Jensen',
      name: { familyName: 'Jensen', givenName: 'Barbara', formatted: 'Barbara Jensen' },
      emails: [{ primary: true, type: 'work', value: 'Test_User_ab6490ee@contoso.com' }],
      meta: { resourceType: 'User', location: `https://roster.test${users()}/${user.id}`, version: 'W/"1"' },
    });
    expect(created.headers.location).toBe(`https://roster.test${users()}/${user.id}`);
    expect(created.headers.etag).toBe('W/"1"');
    expect(user.password).toBeUndefined();

    for (const filter of [
      'userName eq "test_user_AB6490EE@contoso.com"',
      'externalId eq "ab6490ee"',
      'emails[type eq "work"].value eq "Test_User_ab6490ee@contoso.com"',
    ]) {
      const found = await scim(t.app, tenant, 'GET', `${users()}?filter=${encodeURIComponent(filter)}`);
      expect(found.json().totalResults, filter).toBe(1);
      expect(found.json().Resources[0].id, filter).toBe(user.id);
    }
    // externalId is caseExact: another case is another value.
    const otherCase = await scim(
      t.app,
      tenant,
      'GET',
      `${users()}?filter=${encodeURIComponent('externalId eq "AB6490EE"')}`,
    );
    expect(otherCase.json().totalResults).toBe(0);

    const dup = await scim(t.app, tenant, 'POST', users(), entraUser('TEST_USER_ab6490ee@contoso.com', 'other'));
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toEqual({ schemas: [ERROR], status: '409', scimType: 'uniqueness', detail: expect.any(String) });
  });

  it('applies default-mode PATCH: capitalised ops, string booleans, one attribute per operation', async () => {
    const user = (await scim(t.app, tenant, 'POST', users(), entraUser('patch.me@contoso.com', 'patchme'))).json();
    const res = await scim(
      t.app,
      tenant,
      'PATCH',
      `${users()}/${user.id}`,
      patch(
        { op: 'Replace', path: 'displayName', value: 'Barbara J.' },
        { op: 'Replace', path: 'name.familyName', value: 'Jensen-Smith' },
        { op: 'Replace', path: 'externalId', value: 'patchme-2' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'barbara@contoso.com' },
        { op: 'Replace', path: `${ENTERPRISE_USER}:employeeNumber`, value: '701984' },
        { op: 'Add', path: 'nickName', value: 'Babs' },
        { op: 'Replace', path: 'active', value: 'False' },
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      displayName: 'Barbara J.',
      name: { familyName: 'Jensen-Smith', givenName: 'Barbara' },
      externalId: 'patchme-2',
      emails: [{ type: 'work', value: 'barbara@contoso.com', primary: true }],
      nickName: 'Babs',
      active: false,
      [ENTERPRISE_USER]: { employeeNumber: '701984' },
      meta: { version: 'W/"2"' },
    });
    // A deactivated user is still returned by GET and by filters.
    expect((await scim(t.app, tenant, 'GET', `${users()}/${user.id}`)).json().active).toBe(false);
    const byName = await scim(
      t.app,
      tenant,
      'GET',
      `${users()}?filter=${encodeURIComponent('userName eq "patch.me@contoso.com"')}`,
    );
    expect(byName.json().Resources[0]).toMatchObject({ id: user.id, active: false });
    const reactivated = await scim(
      t.app,
      tenant,
      'PATCH',
      `${users()}/${user.id}`,
      patch({ op: 'Replace', path: 'active', value: 'True' }),
    );
    expect(reactivated.json().active).toBe(true);
  });

  it('adds a work email to a user that has none, and clears attributes with "" and null', async () => {
    const user = (
      await scim(
        t.app,
        tenant,
        'POST',
        users(),
        entraUser('no.mail@contoso.com', 'nomail', { emails: undefined, title: 'Engineer', nickName: 'N' }),
      )
    ).json();
    const added = await scim(
      t.app,
      tenant,
      'PATCH',
      `${users()}/${user.id}`,
      patch({ op: 'Add', path: 'emails[type eq "work"].value', value: 'no.mail@contoso.com' }),
    );
    expect(added.statusCode).toBe(200);
    expect(added.json().emails).toEqual([{ type: 'work', value: 'no.mail@contoso.com' }]);
    const cleared = await scim(
      t.app,
      tenant,
      'PATCH',
      `${users()}/${user.id}`,
      patch({ op: 'Replace', path: 'title', value: '' }, { op: 'Replace', path: 'nickName', value: null }),
    );
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json().title).toBeUndefined();
    expect(cleared.json().nickName).toBeUndefined();
  });

  it('sets the manager from a bare id, reads it back as {value}, and clears it with ""', async () => {
    const boss = (await scim(t.app, tenant, 'POST', users(), entraUser('boss@contoso.com', 'boss'))).json();
    const user = (await scim(t.app, tenant, 'POST', users(), entraUser('report@contoso.com', 'report'))).json();
    const set = await scim(
      t.app,
      tenant,
      'PATCH',
      `${users()}/${user.id}`,
      patch({ op: 'Add', path: `${ENTERPRISE_USER}:manager`, value: boss.id }),
    );
    expect(set.statusCode).toBe(200);
    expect(set.json()[ENTERPRISE_USER].manager).toMatchObject({ value: boss.id });
    const clear = await scim(
      t.app,
      tenant,
      'PATCH',
      `${users()}/${user.id}`,
      patch({ op: 'Replace', path: `${ENTERPRISE_USER}:manager`, value: '' }),
    );
    expect(clear.statusCode).toBe(200);
    expect(clear.json()[ENTERPRISE_USER]?.manager).toBeUndefined();
  });

  it('applies aadOptscim062020 PATCH: lower-case ops, boolean active, path-less replace with dotted and URN keys', async () => {
    const user = (
      await scim(t.app, tenant, 'POST', `${users()}?aadOptscim062020`, entraUser('flag@contoso.com', 'flag'))
    ).json();
    const res = await scim(
      t.app,
      tenant,
      'PATCH',
      `${users()}/${user.id}?aadOptscim062020`,
      patch({
        op: 'replace',
        value: { 'name.givenName': 'Barb', [`${ENTERPRISE_USER}:employeeNumber`]: '42', active: false },
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: { givenName: 'Barb', familyName: 'Jensen' },
      active: false,
      [ENTERPRISE_USER]: { employeeNumber: '42' },
    });
  });

  it('provisions a group with the ADSCIM schema, then adds and removes members by PATCH as Entra does', async () => {
    const a = (await scim(t.app, tenant, 'POST', users(), entraUser('a@contoso.com', 'a'))).json();
    const b = (await scim(t.app, tenant, 'POST', users(), entraUser('b@contoso.com', 'b'))).json();
    const lookup = await scim(
      t.app,
      tenant,
      'GET',
      `${groups()}?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Sales"')}`,
    );
    expect(lookup.json().totalResults).toBe(0);
    const created = await scim(t.app, tenant, 'POST', groups(), {
      schemas: [CORE_GROUP, ADSCIM_GROUP],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Sales',
      meta: { resourceType: 'Group' },
    });
    expect(created.statusCode).toBe(201);
    const group = created.json();
    expect(group).toMatchObject({ displayName: 'Sales', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159' });
    expect(group.members ?? []).toEqual([]);

    const add = patch({
      op: 'Add',
      path: 'members',
      value: [
        { $ref: null, value: a.id },
        { $ref: null, value: b.id },
      ],
    });
    // Entra's PATCH names no attributes: 204, no body, the new version in ETag (RFC 7644 §3.5.2).
    const added = await scim(t.app, tenant, 'PATCH', `${groups()}/${group.id}`, add);
    expect(added.statusCode).toBe(204);
    expect(added.body).toBe('');
    expect(added.headers.etag).toBe('W/"2"');
    // Re-adding a present member keeps one membership.
    await scim(
      t.app,
      tenant,
      'PATCH',
      `${groups()}/${group.id}`,
      patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: a.id }] }),
    );
    const full = (await scim(t.app, tenant, 'GET', `${groups()}/${group.id}`)).json();
    expect(full.members.map((m: { value: string }) => m.value).sort()).toEqual([a.id, b.id].sort());
    expect(full.members.find((m: { value: string }) => m.value === a.id)).toMatchObject({
      type: 'User',
      display: 'Barbara Jensen',
    });

    // "Remove" with a value array removes only the listed members.
    const removed = await scim(
      t.app,
      tenant,
      'PATCH',
      `${groups()}/${group.id}`,
      patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: a.id }] }),
    );
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBe('');
    const after = (await scim(t.app, tenant, 'GET', `${groups()}/${group.id}`)).json();
    expect(after.members.map((m: { value: string }) => m.value)).toEqual([b.id]);

    // aadOptscim062020: remove by value filter.
    await scim(
      t.app,
      tenant,
      'PATCH',
      `${groups()}/${group.id}?aadOptscim062020`,
      patch({ op: 'remove', path: `members[value eq "${b.id}"]` }),
    );
    const empty = (await scim(t.app, tenant, 'GET', `${groups()}/${group.id}`)).json();
    expect(empty.members ?? []).toEqual([]);

    const excluded = await scim(t.app, tenant, 'GET', `${groups()}/${group.id}?excludedAttributes=members`);
    expect(excluded.json().members).toBeUndefined();
    expect(excluded.json().displayName).toBe('Sales');

    // The user's read-only groups attribute reflects memberships.
    await scim(t.app, tenant, 'PATCH', `${groups()}/${group.id}`, add);
    const member = (await scim(t.app, tenant, 'GET', `${users()}/${a.id}`)).json();
    expect(member.groups).toEqual([expect.objectContaining({ value: group.id, display: 'Sales' })]);

    const dup = await scim(t.app, tenant, 'POST', groups(), { schemas: [CORE_GROUP], displayName: 'SALES' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().scimType).toBe('uniqueness');
  });

  it('deprovisions: DELETE answers 204, then GET 404 as a SCIM error, and the userName is free again', async () => {
    const user = (await scim(t.app, tenant, 'POST', users(), entraUser('gone@contoso.com', 'gone'))).json();
    expect((await scim(t.app, tenant, 'DELETE', `${users()}/${user.id}`)).statusCode).toBe(204);
    const res = await scim(t.app, tenant, 'GET', `${users()}/${user.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(res.json()).toEqual({ schemas: [ERROR], status: '404', detail: expect.any(String) });
    expect((await scim(t.app, tenant, 'POST', users(), entraUser('gone@contoso.com', 'gone'))).statusCode).toBe(201);
  });

  it('pages with count=5, echoing startIndex, over more than two pages', async () => {
    const fresh = await scimTenant(t.app, 'Paging');
    for (let i = 0; i < 11; i++) {
      await scim(
        t.app,
        fresh,
        'POST',
        `${fresh.base}/Users`,
        entraUser(`pager${String(i).padStart(2, '0')}@contoso.com`, `p${i}`),
      );
    }
    const seen: string[] = [];
    for (const start of [1, 6, 11]) {
      const page = (await scim(t.app, fresh, 'GET', `${fresh.base}/Users?startIndex=${start}&count=5`)).json();
      expect(page.totalResults).toBe(11);
      expect(page.startIndex).toBe(start);
      expect(page.itemsPerPage).toBe(start === 11 ? 1 : 5);
      seen.push(...page.Resources.map((r: { id: string }) => r.id));
    }
    expect(new Set(seen).size).toBe(11);
  });

  it('serves the same tenant at /iam/v1/scim, where the token alone selects the tenant', async () => {
    const res = await scim(
      t.app,
      tenant,
      'GET',
      `/iam/v1/scim/Users?filter=${encodeURIComponent('userName eq "a@contoso.com"')}`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().totalResults).toBe(1);
    expect(res.json().Resources[0].meta.location).toMatch(/^https:\/\/roster\.test\/iam\/v1\/scim\/Users\//);
  });
});
