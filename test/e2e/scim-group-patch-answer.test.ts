// What a group PATCH answers (RFC 7644 §3.5.2, docs/adr/0022-group-patch-204.md): 204 with the new ETag when the
// request names no projection, as Entra ID and Okta send it; 200 with the projection it names otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import { CORE_GROUP, CORE_USER, entraUser, patch, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('group PATCH answers on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  const userIds: string[] = [];
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'Answers');
    for (let i = 0; i < 4; i++)
      userIds.push((await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser(`m${i}@a.com`, `m${i}`))).json().id);
  });
  afterAll(() => t?.dispose());

  const newGroup = async (displayName: string) =>
    (await scim(t.app, a, 'POST', `${a.base}/Groups`, { schemas: [CORE_GROUP], displayName, members: [] })).json();
  const read = async (id: string) => (await scim(t.app, a, 'GET', `${a.base}/Groups/${id}`)).json();
  const memberIds = async (id: string) =>
    ((await read(id)).members ?? []).map((m: { value: string }) => m.value).sort();

  /** 204, an empty body, and the ETag of the version a following GET shows. */
  const expectNoContent = async (res: Awaited<ReturnType<typeof scim>>, id: string, version: number) => {
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers.etag).toBe(`W/"${version}"`);
    expect((await read(id)).meta.version).toBe(`W/"${version}"`);
  };

  it("answers Entra's group PATCHes (both dialects) with 204, the new ETag and no body", async () => {
    const g = await newGroup('Entra shapes');
    const [u0, u1] = userIds as [string, string];
    const url = `${a.base}/Groups/${g.id}`;
    const add = patch({ op: 'Add', path: 'members', value: [u0, u1].map((value) => ({ $ref: null, value })) });
    await expectNoContent(await scim(t.app, a, 'PATCH', url, add), g.id, 2);
    expect(await memberIds(g.id)).toEqual([u0, u1].sort());
    const remove = patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: u0 }] });
    await expectNoContent(await scim(t.app, a, 'PATCH', url, remove), g.id, 3);
    expect(await memberIds(g.id)).toEqual([u1]);
    const rename = patch({ op: 'Replace', path: 'displayName', value: 'Entra renamed' });
    await expectNoContent(await scim(t.app, a, 'PATCH', url, rename), g.id, 4);
    expect((await read(g.id)).displayName).toBe('Entra renamed');
    // ?aadOptscim062020 is a flag, not a projection: still 204.
    const byFilter = patch({ op: 'remove', path: `members[value eq "${u1}"]` });
    await expectNoContent(await scim(t.app, a, 'PATCH', `${url}?aadOptscim062020`, byFilter), g.id, 5);
    expect(await memberIds(g.id)).toEqual([]);
  });

  it("answers Okta's Group Push PATCHes with 204, the new ETag and no body", async () => {
    const g = await newGroup('Okta shapes');
    const [u0, u1, u2] = userIds as [string, string, string];
    const url = `${a.base}/Groups/${g.id}`;
    const push = (...ops: object[]) => scim(t.app, a, 'PATCH', url, patch(...ops));
    await expectNoContent(await push({ op: 'add', path: 'members', value: [{ value: u0, display: 'm0' }] }), g.id, 2);
    await expectNoContent(
      await push(
        { op: 'remove', path: `members[value eq "${u0}"]` },
        { op: 'add', path: 'members', value: [{ value: u1, display: 'm1' }] },
      ),
      g.id,
      3,
    );
    expect(await memberIds(g.id)).toEqual([u1]);
    await expectNoContent(
      await push({ op: 'replace', path: 'members', value: [{ value: u2 }, { value: u0 }] }),
      g.id,
      4,
    );
    expect(await memberIds(g.id)).toEqual([u0, u2].sort());
    await expectNoContent(await push({ op: 'replace', value: { id: g.id, displayName: 'Okta renamed' } }), g.id, 5);
    expect((await read(g.id)).displayName).toBe('Okta renamed');
  });

  it('answers 200 with only the named attributes when the PATCH names attributes (RFC 7644 §3.5.2 MUST)', async () => {
    const g = await newGroup('Named');
    const res = await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Groups/${g.id}?attributes=displayName`,
      patch({ op: 'Add', path: 'members', value: [{ value: userIds[0] }] }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"2"');
    expect(res.json()).toEqual({ schemas: [CORE_GROUP], id: g.id, displayName: 'Named' });
    const withMembers = await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Groups/${g.id}?attributes=members`,
      patch({ op: 'Add', path: 'members', value: [{ value: userIds[1] }] }),
    );
    expect(withMembers.statusCode).toBe(200);
    expect(
      withMembers
        .json()
        .members.map((m: { value: string }) => m.value)
        .sort(),
    ).toEqual([userIds[0], userIds[1]].sort());
  });

  it('answers 200 with the projected group when the PATCH names only excludedAttributes', async () => {
    const g = await newGroup('Excluded');
    const res = await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Groups/${g.id}?excludedAttributes=members`,
      patch({ op: 'Add', path: 'members', value: [{ value: userIds[0] }] }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"2"');
    const body = res.json();
    expect(body).toMatchObject({ id: g.id, displayName: 'Excluded', meta: { version: 'W/"2"' } });
    expect(body.members).toBeUndefined();
    expect(await memberIds(g.id)).toEqual([userIds[0]]);
  });

  it('stores the same group whichever answer the PATCH asked for', async () => {
    const answers = ['', '?excludedAttributes=members', '?attributes=displayName'];
    const groups = await Promise.all(answers.map((_, i) => newGroup(`Same ${i}`)));
    const ops = [
      patch({ op: 'Add', path: 'members', value: userIds.map((value) => ({ $ref: null, value })) }),
      patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: userIds[2] }] }),
      patch({ op: 'Replace', path: 'externalId', value: 'same-external' }),
    ];
    for (const [i, g] of groups.entries()) {
      for (const op of ops) {
        const res = await scim(t.app, a, 'PATCH', `${a.base}/Groups/${g.id}${answers[i]}`, op);
        expect(res.statusCode).toBe(i === 0 ? 204 : 200);
      }
    }
    const stored = await Promise.all(groups.map((g) => read(g.id)));
    const comparable = (g: Record<string, unknown> & { meta: { version: string } }) => ({
      externalId: g.externalId,
      members: g.members,
      version: g.meta.version,
    });
    expect(comparable(stored[1])).toEqual(comparable(stored[0]));
    expect(comparable(stored[2])).toEqual(comparable(stored[0]));
    expect(stored[0].members).toHaveLength(3);
  });

  it('keeps 200 with the resource for a user PATCH and a group PUT', async () => {
    const user = await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Users/${userIds[3]}`,
      patch({ op: 'Replace', path: 'displayName', value: 'Still answered' }),
    );
    expect(user.statusCode).toBe(200);
    expect(user.json()).toMatchObject({ id: userIds[3], displayName: 'Still answered' });
    const g = await newGroup('Put');
    const put = await scim(t.app, a, 'PUT', `${a.base}/Groups/${g.id}`, {
      schemas: [CORE_GROUP],
      displayName: 'Put',
      members: [{ value: userIds[0] }],
    });
    expect(put.statusCode).toBe(200);
    expect(put.headers.etag).toBe('W/"2"');
    expect(put.json().members.map((m: { value: string }) => m.value)).toEqual([userIds[0]]);
  });

  it('reports a group PATCH inside Bulk as status "204" with location and version, and no response', async () => {
    const g = await newGroup('Bulk target');
    const res = await scim(t.app, a, 'POST', `${a.base}/Bulk`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        {
          method: 'PATCH',
          path: `/Groups/${g.id}`,
          data: patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: userIds[0] }] }),
        },
        {
          method: 'PATCH',
          path: `/Users/${userIds[0]}`,
          data: patch({ op: 'Replace', path: 'displayName', value: 'Bulk patched' }),
        },
        { method: 'POST', path: '/Users', bulkId: 'n', data: { schemas: [CORE_USER], userName: 'bulk@a.com' } },
      ],
    });
    expect(res.statusCode).toBe(200);
    const [group, user] = res.json().Operations;
    expect(group).toEqual({
      method: 'PATCH',
      location: `https://roster.test${a.base}/Groups/${g.id}`,
      version: 'W/"2"',
      status: '204',
    });
    expect(user).toMatchObject({ method: 'PATCH', status: '200' });
    expect(await memberIds(g.id)).toEqual([userIds[0]]);
  });

  it('records the 204 in the provisioning log', async () => {
    const l = await scimTenant(t.app, 'Answer log');
    const u = (await scim(t.app, l, 'POST', `${l.base}/Users`, entraUser('log@l.com', 'log'))).json();
    const g = (await scim(t.app, l, 'POST', `${l.base}/Groups`, { schemas: [CORE_GROUP], displayName: 'L' })).json();
    await scim(
      t.app,
      l,
      'PATCH',
      `${l.base}/Groups/${g.id}`,
      patch({ op: 'Add', path: 'members', value: [{ value: u.id }] }),
    );
    const logs = await call(t.app, 'GET', '/iam/v1/scim/logs', { token: l.adminToken });
    const entry = logs.json().items.find((i: { operation: string }) => i.operation === 'patch');
    expect(entry).toMatchObject({ operation: 'patch', status: 204, resourceType: 'Group', resourceId: g.id });
  });
});
