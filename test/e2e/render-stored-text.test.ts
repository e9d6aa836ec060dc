// Responses that keep stored resources as they are splice the stored JSON text instead of parsing, projecting and
// re-serialising it. Forcing the general path (a projection that changes nothing: `id` is always returned) must
// give the same bytes, for single resources and pages, users and groups, on both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CORE_GROUP, ENTERPRISE_USER, entraUser, patch, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('stored-text rendering on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  const userIds: string[] = [];
  let groupId = '';
  let emptiedGroupId = '';
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app);
    const bodies = [
      entraUser('ada@contoso.example', 'oid-1'),
      entraUser('émile@contoso.example', 'oid-2', {
        displayName: 'Émile 😀 "quoted" \\ back',
        password: 'Secret-Passw0rd!',
        nickName: 'mile',
        [ENTERPRISE_USER]: { employeeNumber: '7', manager: { value: 'boss' }, department: 'R&D' },
      }),
      entraUser('zoë@contoso.example', 'oid-3', { active: false, emails: [], name: { givenName: 'Zoë' } }),
    ];
    for (const body of bodies) userIds.push((await scim(t.app, a, 'POST', `${a.base}/Users`, body)).json().id);
    groupId = (
      await scim(t.app, a, 'POST', `${a.base}/Groups`, {
        schemas: [CORE_GROUP],
        displayName: 'Engineering',
        externalId: 'g-1',
        members: [{ value: userIds[0] }, { value: userIds[1] }],
      })
    ).json().id;
    // A group whose last member was removed, and a user whose lists were emptied by PATCH and by PUT.
    emptiedGroupId = (
      await scim(t.app, a, 'POST', `${a.base}/Groups`, {
        schemas: [CORE_GROUP],
        displayName: 'Emptied',
        members: [{ value: userIds[0] }],
      })
    ).json().id;
    await scim(t.app, a, 'PATCH', `${a.base}/Groups/${emptiedGroupId}`, patch({ op: 'remove', path: 'members' }));
    await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Users/${userIds[1]}`,
      patch({ op: 'Remove', path: 'emails[type eq "work"]' }, { op: 'Add', path: 'phoneNumbers', value: [] }),
    );
    // A PATCHed resource too: its stored text is the one the PATCH wrote.
    await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Users/${userIds[2]}`,
      patch({ op: 'Replace', path: 'title', value: 'CTO' }),
    );
  });
  afterAll(() => t?.dispose());

  // `id` is always returned, so excluding it changes nothing but forces the general (projecting) path.
  const general = (path: string) =>
    path.includes('excludedAttributes=')
      ? path.replace(/excludedAttributes=([a-z]+)/, 'excludedAttributes=$1,id')
      : `${path}${path.includes('?') ? '&' : '?'}excludedAttributes=id`;

  it.each([
    ['a user with its groups', () => `/Users/${userIds[1]}`],
    ['a user without groups', () => `/Users/${userIds[2]}?excludedAttributes=groups`],
    ['a group with members', () => `/Groups/${groupId}`],
    ['a group without members', () => `/Groups/${groupId}?excludedAttributes=members`],
    ['an emptied group', () => `/Groups/${emptiedGroupId}`],
    ['a page with an emptied group', () => '/Groups?count=10'],
    ['a page of users', () => '/Users?startIndex=1&count=10'],
    ['a cursor page of users', () => '/Users?cursor=&count=2&excludedAttributes=groups'],
    ['a filtered page of groups', () => '/Groups?filter=displayName eq "engineering"'],
  ])('%s: same bytes as the general path', async (_name, path) => {
    const one = await scim(t.app, a, 'GET', encodeURI(`${a.base}${path()}`));
    const two = await scim(t.app, a, 'GET', encodeURI(`${a.base}${general(path())}`));
    expect(one.statusCode).toBe(200);
    expect(one.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(two.headers['content-type']).toBe(one.headers['content-type']);
    const body = one.json();
    const withoutCursor = (text: string) => text.replace(/"nextCursor":"[^"]*"/, '"nextCursor":"…"');
    expect(withoutCursor(one.body)).toBe(withoutCursor(two.body));
    expect(one.body).not.toContain('Secret-Passw0rd');
    expect(JSON.stringify(body)).not.toContain('password');
  });

  it('omits emptied multi-valued attributes rather than answering [] (RFC 7643 §2.5), on both paths', async () => {
    for (const path of [`/Groups/${emptiedGroupId}`, `/Groups/${emptiedGroupId}?excludedAttributes=id`]) {
      const res = await scim(t.app, a, 'GET', `${a.base}${path}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toStrictEqual({
        schemas: [CORE_GROUP],
        displayName: 'Emptied',
        id: emptiedGroupId,
        meta: expect.objectContaining({ resourceType: 'Group' }),
      });
    }
    // Emptied by PATCH (remove of the last email) and by PUT (empty lists): absent, never [].
    const put = await scim(
      t.app,
      a,
      'PUT',
      `${a.base}/Users/${userIds[2]}`,
      entraUser('zoë@contoso.example', 'oid-3', { emails: [], phoneNumbers: [], roles: [] }),
    );
    expect(put.statusCode).toBe(200);
    for (const id of [userIds[1]!, userIds[2]!]) {
      for (const query of ['', '?excludedAttributes=id']) {
        const body = (await scim(t.app, a, 'GET', `${a.base}/Users/${id}${query}`)).json();
        expect(body).not.toHaveProperty('emails');
        expect(body).not.toHaveProperty('phoneNumbers');
        expect(body).not.toHaveProperty('roles');
      }
    }
    expect((await scim(t.app, a, 'GET', `${a.base}/Users/${userIds[2]}`)).json()).not.toHaveProperty('groups');
  });

  it('write responses render the written resource, not a stale stored text', async () => {
    const id = userIds[0]!;
    const patched = await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Users/${id}`,
      patch({ op: 'Replace', path: 'displayName', value: 'Ada L.' }),
    );
    expect(patched.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(patched.json().displayName).toBe('Ada L.');
    expect((await scim(t.app, a, 'GET', `${a.base}/Users/${id}`)).json().displayName).toBe('Ada L.');
    const put = await scim(
      t.app,
      a,
      'PUT',
      `${a.base}/Users/${id}`,
      entraUser('ada@contoso.example', 'oid-1', { displayName: 'Ada Lovelace' }),
    );
    expect(put.json()).toMatchObject({ id, displayName: 'Ada Lovelace', groups: [{ value: groupId }] });
  });
});
