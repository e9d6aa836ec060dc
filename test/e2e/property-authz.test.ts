// Security plan §4.3, property-level authorization (M1–M8) through HTTP, on both stores: server-owned fields,
// privilege-bearing attributes, prototype paths, numeric externalIds, passwords, PATCH atomicity and limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, OPERATOR_TOKEN, startTestApp, type TestApp } from '../support/app.ts';
import { dumpDatabase } from '../support/dump.ts';
import {
  CORE_GROUP,
  CORE_USER,
  ENTERPRISE_USER,
  entraUser,
  type Method,
  PATCH_OP,
  patch,
  type ScimTenant,
  scim,
  scimTenant,
} from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('property-level authorization on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'Properties');
  });
  afterAll(() => t?.dispose());

  const s = (method: Method, path: string, body?: unknown) => scim(t.app, a, method, `${a.base}${path}`, body);
  const create = async (userName: string, overrides: Record<string, unknown> = {}) => {
    const res = await s('POST', '/Users', entraUser(userName, userName, overrides));
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  it('M1: id, meta and schemas are server-owned — ignored on POST/PUT, 400 mutability on PATCH; internal names are 400', async () => {
    const forged = {
      id: 'forged-id',
      meta: {
        created: '2000-01-01T00:00:00Z',
        lastModified: '2000-01-01T00:00:00Z',
        version: 'W/"999"',
        resourceType: 'Group',
        location: 'https://evil.example/x',
      },
    };
    const user = await create('m1@a.com', forged);
    expect(user.id).not.toBe('forged-id');
    expect(user.meta).toMatchObject({ resourceType: 'User', version: 'W/"1"', created: '2026-11-23T10:00:00.000Z' });
    expect(user.meta.location).toBe(`https://roster.test${a.base}/Users/${user.id}`);
    expect((await s('GET', '/Users/forged-id')).statusCode).toBe(404);
    const url = `/Users/${user.id}`;
    const put = await s('PUT', url, entraUser('m1@a.com', 'm1@a.com', { ...forged, id: 'other', title: 'put' }));
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ id: user.id, title: 'put', meta: { created: user.meta.created } });
    const before = (await s('GET', url)).json();
    for (const [path, value] of [
      ['id', 'forged'],
      ['meta', { created: '2000-01-01T00:00:00Z' }],
      ['meta.created', '2000-01-01T00:00:00Z'],
      ['meta.version', 'W/"1"'],
      ['meta.resourceType', 'Group'],
      ['groups', [{ value: user.id }]],
    ] as const) {
      for (const op of ['add', 'replace', 'remove']) {
        const res = await s('PATCH', url, patch({ op, path, value }));
        expect(res.statusCode, `${op} ${path}`).toBe(400);
        expect(res.json().scimType, `${op} ${path}`).toBe('mutability');
      }
    }
    for (const name of ['tenantId', 'tenant_id', 'connectionId', 'provider', 'version', 'userNameKey', 'search']) {
      const res = await s('POST', '/Users', entraUser(`m1-${name}@a.com`, name, { [name]: 'x' }));
      expect(res.statusCode, name).toBe(400);
      expect(res.json().scimType).toBe('invalidValue');
      const patched = await s('PATCH', url, patch({ op: 'add', path: name, value: 'x' }));
      expect(patched.statusCode, name).toBe(400);
    }
    // Path-less PATCH values carrying server-owned names are refused as well.
    const pathless = await s('PATCH', url, patch({ op: 'replace', value: { id: 'forged', displayName: 'x' } }));
    expect(pathless.statusCode).toBe(400);
    expect((await s('GET', url)).json()).toEqual(before);
  });

  it('M2: groups on User is read-only; privilege-looking attributes are refused or plain data that grants nothing', async () => {
    const group = (await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'Admins' })).json();
    const user = await create('m2@a.com', {
      groups: [{ value: group.id, display: 'Admins' }],
      roles: [{ value: 'admin', primary: true }],
      entitlements: [{ value: 'superuser' }],
      x509Certificates: [{ value: 'MIIB' }],
    });
    expect(user.groups ?? []).toEqual([]);
    expect((await s('GET', `/Groups/${group.id}`)).json().members ?? []).toEqual([]);
    const put = await s(
      'PUT',
      `/Users/${user.id}`,
      entraUser('m2@a.com', 'm2@a.com', { groups: [{ value: group.id }] }),
    );
    expect(put.json().groups ?? []).toEqual([]);
    const patched = await s(
      'PATCH',
      `/Users/${user.id}`,
      patch({ op: 'add', path: 'groups', value: [{ value: group.id }] }),
    );
    expect(patched.statusCode).toBe(400);
    expect(patched.json().scimType).toBe('mutability');
    for (const extra of [{ isAdmin: true }, { admin: true }, { superuser: true }]) {
      const res = await s('POST', '/Users', entraUser('m2x@a.com', 'm2x', extra));
      expect(res.statusCode).toBe(400);
    }
    const verified = await s(
      'POST',
      '/Users',
      entraUser('m2v@a.com', 'm2v', { emails: [{ value: 'v@a.com', verified: true }] }),
    );
    expect(verified.statusCode).toBe(400);
    // Membership only ever changes through the group.
    expect((await s('GET', `/Groups/${group.id}`)).json().members ?? []).toEqual([]);
    // Roles are stored as the IdP sent them and confer no Roster privilege: the user's SCIM id is no credential
    // anywhere, and the admin API knows nothing of it.
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: user.id })).statusCode).toBe(401);
  });

  it('M3: prototype paths are 400 invalidPath (or reserved-name 400) and no prototype is polluted', async () => {
    const user = await create('m3@a.com');
    const url = `/Users/${user.id}`;
    const paths = [
      '__proto__',
      '__proto__.polluted',
      'constructor.prototype.polluted',
      'constructor',
      'prototype',
      `${CORE_USER}:__proto__`,
      `${ENTERPRISE_USER}:__proto__`,
      'emails[type eq "work"].__proto__',
      'name.__proto__',
      'emails[__proto__ eq "x"].value',
    ];
    for (const path of paths) {
      for (const op of ['add', 'replace', 'remove']) {
        const res = await s('PATCH', url, patch({ op, path, value: { polluted: true } }));
        expect(res.statusCode, `${op} ${path}`).toBe(400);
        expect(['invalidPath', 'invalidValue', 'invalidFilter', 'invalidSyntax'], `${op} ${path}`).toContain(
          res.json().scimType,
        );
      }
    }
    const raw = [
      `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","value":{"\\u005f_proto__":{"polluted":true}}}]}`,
      `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","value":{"name":{"\\u005f_proto__":{"polluted":true}}}}]}`,
      `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","path":"name","value":{"constructor":{"prototype":{"polluted":true}}}}]}`,
    ];
    for (const body of raw) expect((await s('PATCH', url, body)).statusCode, body).toBe(400);
    for (const body of [
      `{"schemas":["${CORE_USER}"],"userName":"m3b@a.com","\\u005f_proto__":{"polluted":true}}`,
      `{"schemas":["${CORE_USER}"],"userName":"m3b@a.com","name":{"\\u005f_proto__":{"polluted":true}}}`,
      `{"schemas":["${CORE_USER}"],"userName":"m3b@a.com","urn:x":{"__proto__":{"polluted":true}}}`,
    ]) {
      expect((await s('POST', '/Users', body)).statusCode, body).toBe(400);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect((await s('GET', url)).json()).toEqual(user);
  });

  it("M4: SCIM cannot reach Roster's own principals — tenants and admin/SCIM tokens are not resources and not members", async () => {
    // Roster keeps no locally managed users or admin roles that SCIM could edit: management principals are tokens in
    // their own tables. Their ids are unknown to SCIM as resources and as members.
    const group = (await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'M4' })).json();
    const tokens = (
      await call(t.app, 'GET', `/iam/v1/tenants/${a.tenantId}/admin-tokens`, { token: OPERATOR_TOKEN })
    ).json();
    const ids = [a.tenantId, a.scimTokenId, tokens.items[0].id];
    for (const id of ids) {
      expect((await s('GET', `/Users/${id}`)).statusCode).toBe(404);
      expect((await s('DELETE', `/Groups/${id}`)).statusCode).toBe(404);
      const add = await s(
        'PATCH',
        `/Groups/${group.id}`,
        patch({ op: 'add', path: 'members', value: [{ value: id }] }),
      );
      expect(add.statusCode).toBe(400);
      expect(add.json().scimType).toBe('invalidValue');
    }
    expect((await s('GET', `/Groups/${group.id}`)).json().members ?? []).toEqual([]);
  });

  it('M5: externalId is opaque data — "1", "0", another resource\'s id — and resolves to nothing else', async () => {
    const target = await create('m5-target@a.com');
    const group = (await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'M5', externalId: '1' })).json();
    const users = [];
    for (const externalId of ['1', '0', target.id, group.id]) {
      const res = await s('POST', '/Users', entraUser(`m5-${users.length}@a.com`, externalId));
      expect(res.statusCode).toBe(201);
      expect(res.json().externalId).toBe(externalId);
      users.push(res.json());
    }
    expect((await s('GET', '/Users/1')).statusCode).toBe(404);
    expect((await s('GET', '/Users/0')).statusCode).toBe(404);
    expect((await s('GET', `/Users/${target.id}`)).json().userName).toBe('m5-target@a.com');
    const byExternal = (await s('GET', `/Users?filter=${encodeURIComponent(`externalId eq "${target.id}"`)}`)).json();
    expect(byExternal.Resources.map((r: { id: string }) => r.id)).toEqual([users[2].id]);
    const byId = (await s('GET', `/Users?filter=${encodeURIComponent(`id eq "${target.id}"`)}`)).json();
    expect(byId.Resources.map((r: { id: string }) => r.id)).toEqual([target.id]);
    // Members are resolved by id only, never by externalId.
    const add = await s('PATCH', `/Groups/${group.id}`, patch({ op: 'add', path: 'members', value: [{ value: '1' }] }));
    expect(add.statusCode).toBe(400);
    expect((await s('GET', `/Groups/${group.id}`)).json().members ?? []).toEqual([]);
  });

  it('M6: password is accepted, stored only hashed, never returned, and cannot be filtered on', async () => {
    const password = 'M6-Pa55word-only-hashed';
    const created = await s('POST', '/Users', { ...entraUser('m6@a.com', 'm6'), password });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain(password);
    expect(created.json()).not.toHaveProperty('password');
    const url = `/Users/${created.json().id}`;
    const patched = await s('PATCH', url, patch({ op: 'replace', path: 'password', value: `${password}-2` }));
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).not.toHaveProperty('password');
    for (const query of ['', '?attributes=password', '?attributes=password,userName']) {
      const got = await s('GET', `${url}${query}`);
      expect(got.statusCode).toBe(200);
      expect(got.json()).not.toHaveProperty('password');
    }
    const list = await s('GET', '/Users?attributes=password');
    expect(list.body).not.toContain(password);
    const filtered = await s('GET', `/Users?filter=${encodeURIComponent(`password eq "${password}"`)}`);
    expect(filtered.statusCode).toBe(403);
    expect(filtered.json().scimType).toBe('sensitive');
    const sorted = await s('GET', '/Users?sortBy=password');
    expect(sorted.statusCode).toBe(400);
    const dump = await dumpDatabase(t.db);
    expect(dump).not.toContain(password);
    expect(dump).not.toContain(Buffer.from(password).toString('base64'));
  });

  it('M7: a PATCH whose last operation fails leaves users and groups byte-identical (members included)', async () => {
    const user = await create('m7@a.com');
    const member = await create('m7-member@a.com');
    const group = (
      await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'M7', members: [{ value: member.id }] })
    ).json();
    const before = {
      user: (await s('GET', `/Users/${user.id}`)).body,
      group: (await s('GET', `/Groups/${group.id}`)).body,
    };
    const userPatch = await s(
      'PATCH',
      `/Users/${user.id}`,
      patch(
        { op: 'replace', path: 'displayName', value: 'Changed' },
        { op: 'add', path: 'emails', value: [{ value: 'new@a.com', type: 'home' }] },
        { op: 'remove', path: 'name.givenName' },
        { op: 'replace', path: 'active', value: 'perhaps' },
      ),
    );
    expect(userPatch.statusCode).toBe(400);
    const groupPatch = await s(
      'PATCH',
      `/Groups/${group.id}`,
      patch(
        { op: 'add', path: 'members', value: [{ value: user.id }] },
        { op: 'remove', path: `members[value eq "${member.id}"]` },
        { op: 'replace', path: 'displayName', value: 'M7 renamed' },
        { op: 'add', path: 'members', value: [{ value: '00000000-0000-7000-8000-000000000000' }] },
      ),
    );
    expect(groupPatch.statusCode).toBe(400);
    expect({
      user: (await s('GET', `/Users/${user.id}`)).body,
      group: (await s('GET', `/Groups/${group.id}`)).body,
    }).toEqual(before);
  });

  it('M8: 101 operations or 1,001 member values are 400 and write nothing; the limits hold exactly at 100 and 1,000', async () => {
    const user = await create('m8@a.com');
    const group = (await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'M8' })).json();
    const ops = (n: number) =>
      patch(...Array.from({ length: n }, (_, i) => ({ op: 'replace', path: 'title', value: `t${i}` })));
    const tooMany = await s('PATCH', `/Users/${user.id}`, ops(101));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().scimType).toBe('invalidValue');
    expect((await s('GET', `/Users/${user.id}`)).json().title).toBeUndefined();
    expect((await s('PATCH', `/Users/${user.id}`, ops(100))).json().title).toBe('t99');
    const values = (n: number) => Array.from({ length: n }, () => ({ value: user.id }));
    const tooManyMembers = await s(
      'PATCH',
      `/Groups/${group.id}`,
      patch({ op: 'add', path: 'members', value: values(1001) }),
    );
    expect(tooManyMembers.statusCode).toBe(400);
    expect(tooManyMembers.json().scimType).toBe('invalidValue');
    const split = await s(
      'PATCH',
      `/Groups/${group.id}`,
      patch({ op: 'add', path: 'members', value: values(600) }, { op: 'add', path: 'members', value: values(401) }),
    );
    expect(split.statusCode).toBe(400);
    expect((await s('GET', `/Groups/${group.id}`)).json().members ?? []).toEqual([]);
    const created = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'M8 big', members: values(1001) });
    expect(created.statusCode).toBe(400);
    const ok = await s('PATCH', `/Groups/${group.id}`, patch({ op: 'add', path: 'members', value: values(1000) }));
    expect(ok.statusCode).toBe(204);
    expect((await s('GET', `/Groups/${group.id}`)).json().members).toHaveLength(1);
  });
});
