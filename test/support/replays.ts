// The request sequences Microsoft Entra ID and Okta send (the ones test/e2e/entra.test.ts and okta.test.ts check
// in detail), replayable against any tenant through any Client — in-process, over HTTP, or alternating between
// two processes. Each step checks what an IdP acts on (status, ids, the fields it reads back), so a replay
// passes only when the service behaves as those IdPs need; the detailed field-by-field checks stay in the two
// IdP suites.
import { expect } from 'vitest';
import type { Client, HttpMethod, Res } from './http.ts';
import { CORE_GROUP, ENTERPRISE_USER, entraUser, LIST_RESPONSE, oktaUser, patch } from './scim.ts';

export interface ReplayTenant {
  readonly scimToken: string;
  /** Path prefix of the tenant-URL form, e.g. /<tenantId>/api/scim/v2 */
  readonly base: string;
}

const ADSCIM_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const SCIM_JSON = 'application/scim+json; charset=utf-8';

function scimSender(client: Client, tenant: ReplayTenant) {
  return (method: HttpMethod, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> =>
    client.send(method, path.startsWith('/') ? path : `${tenant.base}/${path}`, {
      token: tenant.scimToken,
      ...(body !== undefined ? { body } : {}),
      headers: { ...(body !== undefined ? { 'content-type': SCIM_JSON } : {}), ...headers },
    });
}

function ok(res: Res, status: number, what: string): Res {
  expect(res.status, `${what}: ${res.body.slice(0, 300)}`).toBe(status);
  if (res.body.length > 0) expect(res.headers['content-type'], what).toBe(SCIM_JSON);
  if (status === 204) expect(res.body, what).toBe('');
  return res;
}

const q = (filter: string) => encodeURIComponent(filter);
const ids = (members: { value: string }[] | undefined) => (members ?? []).map((m) => m.value).sort();

/** Entra ID: Test Connection, lookup-before-create, both PATCH dialects, manager, groups, deprovisioning, paging. */
export async function entraReplay(client: Client, tenant: ReplayTenant, domain = 'contoso.com'): Promise<void> {
  const s = scimSender(client, tenant);
  // Test Connection: form-encoded filter, no SCIM headers.
  const probe = await client.send('GET', `${tenant.base}/Users?filter=userName+eq+%22${crypto.randomUUID()}%22`, {
    token: tenant.scimToken,
  });
  expect(ok(probe, 200, 'test connection').json()).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 0 });

  const name = `Test_User_ab6490ee@${domain}`;
  expect(ok(await s('GET', `Users?filter=${q(`userName eq "${name}"`)}`), 200, 'lookup').json().totalResults).toBe(0);
  const user = ok(await s('POST', 'Users', entraUser(name, 'ab6490ee')), 201, 'create').json();
  expect(user).toMatchObject({ userName: name, externalId: 'ab6490ee', active: true, meta: { version: 'W/"1"' } });
  for (const filter of [
    `userName eq "${name.toLowerCase()}"`,
    'externalId eq "ab6490ee"',
    `emails[type eq "work"].value eq "${name}"`,
  ]) {
    const found = ok(await s('GET', `Users?filter=${q(filter)}`), 200, filter).json();
    expect(
      found.Resources.map((r: { id: string }) => r.id),
      filter,
    ).toEqual([user.id]);
  }
  const dup = ok(await s('POST', 'Users', entraUser(name.toUpperCase(), 'other')), 409, 'duplicate');
  expect(dup.json().scimType).toBe('uniqueness');

  // Default-mode PATCH: capitalised ops, string booleans.
  const p = ok(await s('POST', 'Users', entraUser(`patch.me@${domain}`, 'patchme')), 201, 'create').json();
  const patched = ok(
    await s(
      'PATCH',
      `Users/${p.id}`,
      patch(
        { op: 'Replace', path: 'displayName', value: 'Barbara J.' },
        { op: 'Replace', path: 'name.familyName', value: 'Jensen-Smith' },
        { op: 'Replace', path: 'externalId', value: 'patchme-2' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: `barbara@${domain}` },
        { op: 'Replace', path: `${ENTERPRISE_USER}:employeeNumber`, value: '701984' },
        { op: 'Add', path: 'nickName', value: 'Babs' },
        { op: 'Replace', path: 'active', value: 'False' },
      ),
    ),
    200,
    'default PATCH',
  ).json();
  expect(patched).toMatchObject({ displayName: 'Barbara J.', active: false, meta: { version: 'W/"2"' } });
  expect(ok(await s('GET', `Users/${p.id}`), 200, 'get').json().active).toBe(false);
  const reactivated = await s('PATCH', `Users/${p.id}`, patch({ op: 'Replace', path: 'active', value: 'True' }));
  expect(ok(reactivated, 200, 'reactivate').json().active).toBe(true);

  // A work email for a user without one; clearing with "" and null.
  const noMail = ok(
    await s(
      'POST',
      'Users',
      entraUser(`no.mail@${domain}`, 'nomail', { emails: undefined, title: 'Eng', nickName: 'N' }),
    ),
    201,
    'create',
  ).json();
  const added = await s(
    'PATCH',
    `Users/${noMail.id}`,
    patch({ op: 'Add', path: 'emails[type eq "work"].value', value: `no.mail@${domain}` }),
  );
  expect(ok(added, 200, 'add email').json().emails).toEqual([{ type: 'work', value: `no.mail@${domain}` }]);
  const cleared = ok(
    await s(
      'PATCH',
      `Users/${noMail.id}`,
      patch({ op: 'Replace', path: 'title', value: '' }, { op: 'Replace', path: 'nickName', value: null }),
    ),
    200,
    'clear',
  ).json();
  expect([cleared.title, cleared.nickName]).toEqual([undefined, undefined]);

  // Manager from a bare id, cleared with "".
  const boss = ok(await s('POST', 'Users', entraUser(`boss@${domain}`, 'boss')), 201, 'create').json();
  const report = ok(await s('POST', 'Users', entraUser(`report@${domain}`, 'report')), 201, 'create').json();
  const managed = await s(
    'PATCH',
    `Users/${report.id}`,
    patch({ op: 'Add', path: `${ENTERPRISE_USER}:manager`, value: boss.id }),
  );
  expect(ok(managed, 200, 'manager').json()[ENTERPRISE_USER].manager).toMatchObject({ value: boss.id });
  const unmanaged = await s(
    'PATCH',
    `Users/${report.id}`,
    patch({ op: 'Replace', path: `${ENTERPRISE_USER}:manager`, value: '' }),
  );
  expect(ok(unmanaged, 200, 'manager cleared').json()[ENTERPRISE_USER]?.manager).toBeUndefined();

  // aadOptscim062020: lower-case ops, boolean active, path-less replace with dotted and URN keys.
  const flag = ok(await s('POST', 'Users?aadOptscim062020', entraUser(`flag@${domain}`, 'flag')), 201, 'create');
  const flagged = await s(
    'PATCH',
    `Users/${flag.json().id}?aadOptscim062020`,
    patch({
      op: 'replace',
      value: { 'name.givenName': 'Barb', [`${ENTERPRISE_USER}:employeeNumber`]: '42', active: false },
    }),
  );
  expect(ok(flagged, 200, 'flag PATCH').json()).toMatchObject({ name: { givenName: 'Barb' }, active: false });

  // Groups: lookup, create with the ADSCIM schema, add/re-add/remove members both ways, excludedAttributes.
  const a = ok(await s('POST', 'Users', entraUser(`a@${domain}`, 'a')), 201, 'create').json();
  const b = ok(await s('POST', 'Users', entraUser(`b@${domain}`, 'b')), 201, 'create').json();
  const lookup = await s('GET', `Groups?excludedAttributes=members&filter=${q('displayName eq "Sales"')}`);
  expect(ok(lookup, 200, 'group lookup').json().totalResults).toBe(0);
  const group = ok(
    await s('POST', 'Groups', {
      schemas: [CORE_GROUP, ADSCIM_GROUP],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Sales',
      meta: { resourceType: 'Group' },
    }),
    201,
    'group create',
  ).json();
  const addBoth = patch({
    op: 'Add',
    path: 'members',
    value: [
      { $ref: null, value: a.id },
      { $ref: null, value: b.id },
    ],
  });
  // RFC 7644 §3.5.2: a group PATCH naming no attributes answers 204 (docs/adr/0022-group-patch-204.md).
  ok(await s('PATCH', `Groups/${group.id}`, addBoth), 204, 'add members');
  ok(
    await s('PATCH', `Groups/${group.id}`, patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: a.id }] })),
    204,
    're-add',
  );
  expect(ids(ok(await s('GET', `Groups/${group.id}`), 200, 'group').json().members)).toEqual([a.id, b.id].sort());
  ok(
    await s(
      'PATCH',
      `Groups/${group.id}`,
      patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: a.id }] }),
    ),
    204,
    'remove by value',
  );
  expect(ids(ok(await s('GET', `Groups/${group.id}`), 200, 'group').json().members)).toEqual([b.id]);
  ok(
    await s(
      'PATCH',
      `Groups/${group.id}?aadOptscim062020`,
      patch({ op: 'remove', path: `members[value eq "${b.id}"]` }),
    ),
    204,
    'remove by filter',
  );
  expect(ids(ok(await s('GET', `Groups/${group.id}`), 200, 'group').json().members)).toEqual([]);
  const excluded = ok(await s('GET', `Groups/${group.id}?excludedAttributes=members`), 200, 'excluded').json();
  expect(excluded.members).toBeUndefined();
  ok(await s('PATCH', `Groups/${group.id}`, addBoth), 204, 'add members again');
  expect(ok(await s('GET', `Users/${a.id}`), 200, 'member').json().groups).toEqual([
    expect.objectContaining({ value: group.id, display: 'Sales' }),
  ]);
  const dupGroup = await s('POST', 'Groups', { schemas: [CORE_GROUP], displayName: 'SALES' });
  expect(ok(dupGroup, 409, 'duplicate group').json().scimType).toBe('uniqueness');

  // Deprovisioning: DELETE, 404, the userName is free again.
  const gone = ok(await s('POST', 'Users', entraUser(`gone@${domain}`, 'gone')), 201, 'create').json();
  ok(await s('DELETE', `Users/${gone.id}`), 204, 'delete');
  ok(await s('GET', `Users/${gone.id}`), 404, 'deleted');
  ok(await s('POST', 'Users', entraUser(`gone@${domain}`, 'gone')), 201, 'recreate');

  // Paging with count=5 over a filtered set of 11.
  // (Entra ID provisions with several threads: these creates overlap.)
  await Promise.all(
    Array.from({ length: 11 }, async (_, i) =>
      ok(await s('POST', 'Users', entraUser(`pager${String(i).padStart(2, '0')}@${domain}`, `p${i}`)), 201, 'pager'),
    ),
  );
  const seen: string[] = [];
  for (const start of [1, 6, 11]) {
    const page = ok(
      await s('GET', `Users?filter=${q('userName sw "pager"')}&startIndex=${start}&count=5`),
      200,
      'page',
    ).json();
    expect(page).toMatchObject({ totalResults: 11, startIndex: start, itemsPerPage: start === 11 ? 1 : 5 });
    seen.push(...page.Resources.map((r: { id: string }) => r.id));
  }
  expect(new Set(seen).size).toBe(11);

  // The token alone selects the tenant at /iam/v1/scim.
  const viaToken = ok(
    await s('GET', `/iam/v1/scim/Users?filter=${q(`userName eq "a@${domain}"`)}`),
    200,
    'token URL',
  ).json();
  expect(viaToken.Resources.map((r: { id: string }) => r.id)).toEqual([a.id]);
}

/** Okta: SPEC/CRUD collections and Group Push. */
export async function oktaReplay(client: Client, tenant: ReplayTenant, domain = 'example.com'): Promise<void> {
  const okta = { accept: SCIM_JSON };
  const s = scimSender(client, tenant);
  for (const path of ['Users?startIndex=1&count=2', 'Groups?startIndex=1&count=100']) {
    const body = ok(await s('GET', path, undefined, okta), 200, path).json();
    expect(typeof body.totalResults).toBe('number');
  }
  const nonToken = await client.send('GET', `${tenant.base}/Users`, { headers: { authorization: 'non-token' } });
  expect(nonToken.status).toBe(401);
  ok(await s('GET', 'Users/00919288221112222'), 404, 'unknown id');

  const created = await client.send('POST', `${tenant.base}/Users`, {
    token: tenant.scimToken,
    body: oktaUser(`ann.okta@${domain}`),
    headers: { 'content-type': 'application/json' },
  });
  const user = ok(created, 201, 'okta create').json();
  expect(user.password).toBeUndefined();
  expect(created.body).not.toContain('Sup3r-Secret');
  const found = await s('GET', `Users?filter=${q(`userName eq "ANN.OKTA@${domain}"`)}&startIndex=1&count=100`);
  expect(
    ok(found, 200, 'okta lookup')
      .json()
      .Resources.map((r: { id: string }) => r.id),
  ).toEqual([user.id]);
  ok(await s('POST', 'Users', oktaUser(`ann.okta@${domain}`)), 409, 'okta duplicate');
  const byPassword = await s('GET', `Users?filter=${q('password eq "Sup3r-Secret-Passw0rd!"')}`);
  expect(byPassword.status).toBeGreaterThanOrEqual(400);
  expect(byPassword.status).toBeLessThan(500);

  // PUT with the whole user re-sent; deactivate by path-less replace; PUT again.
  const putMe = ok(await s('POST', 'Users', oktaUser(`put.me@${domain}`)), 201, 'create').json();
  const put = ok(
    await s('PUT', `Users/${putMe.id}`, {
      ...putMe,
      name: { givenName: 'Ann', familyName: 'Renamed', middleName: 'Q' },
      groups: [],
    }),
    200,
    'PUT',
  ).json();
  expect(put).toMatchObject({ id: putMe.id, name: { familyName: 'Renamed' }, meta: { version: 'W/"2"' } });
  const off = await s('PATCH', `Users/${putMe.id}`, patch({ op: 'replace', value: { active: false } }));
  expect(ok(off, 200, 'deactivate').json().active).toBe(false);
  expect(ok(await s('PUT', `Users/${putMe.id}`, { ...put, active: true }), 200, 'PUT active').json().active).toBe(true);

  // Group Push.
  const u: { id: string }[] = [];
  for (const n of ['g1', 'g2', 'g3']) u.push(ok(await s('POST', 'Users', oktaUser(`${n}@${domain}`)), 201, n).json());
  const [u0, u1, u2] = u.map((x) => x.id) as [string, string, string];
  const group = ok(
    await s('POST', 'Groups', { schemas: [CORE_GROUP], displayName: 'Engineering', members: [] }),
    201,
    'group',
  ).json();
  const members = async () => ids(ok(await s('GET', `Groups/${group.id}`), 200, 'group').json().members);
  const gp = (...ops: object[]) => s('PATCH', `Groups/${group.id}`, patch(...ops));
  ok(await gp({ op: 'add', path: 'members', value: [{ value: u0, display: 'g1' }] }), 204, 'push add');
  expect(await members()).toEqual([u0]);
  ok(
    await gp(
      { op: 'remove', path: `members[value eq "${u0}"]` },
      { op: 'add', path: 'members', value: [{ value: u1, display: 'g2' }] },
    ),
    204,
    'push remove+add',
  );
  expect(await members()).toEqual([u1]);
  ok(await gp({ op: 'replace', path: 'members', value: [{ value: u2 }, { value: u0 }] }), 204, 'push replace');
  expect(await members()).toEqual([u0, u2].sort());
  const renamed = ok(await gp({ op: 'replace', value: { id: group.id, displayName: 'Eng' } }), 204, 'rename');
  const shown = ok(await s('GET', `Groups/${group.id}?excludedAttributes=members`), 200, 'renamed').json();
  expect(shown.displayName).toBe('Eng');
  expect(renamed.headers.etag).toBe(shown.meta.version);
  ok(
    await s('PUT', `Groups/${group.id}`, {
      schemas: [CORE_GROUP],
      id: group.id,
      displayName: 'Engineering',
      members: [{ value: u1 }],
    }),
    200,
    'group PUT',
  );
  expect(await members()).toEqual([u1]);
  ok(await s('DELETE', `Groups/${group.id}`), 204, 'group delete');
  ok(await s('GET', `Groups/${group.id}`), 404, 'group gone');
  expect(ok(await s('GET', `Users/${u1}`), 200, 'user stays').json().groups ?? []).toEqual([]);

  // Import: pages of 10 over 25 users.
  await Promise.all(
    Array.from({ length: 25 }, async (_, i) =>
      ok(await s('POST', 'Users', oktaUser(`imp${i}@${domain}`)), 201, 'import'),
    ),
  );
  const seen: string[] = [];
  for (let start = 1; start <= 25; start += 10) {
    const page = ok(
      await s('GET', `Users?filter=${q('userName sw "imp"')}&startIndex=${start}&count=10`),
      200,
      'import page',
    ).json();
    seen.push(...page.Resources.map((r: { id: string }) => r.id));
  }
  expect(new Set(seen).size).toBe(25);
}
