// The directory API (issue 11, item 4; ADR 0021) on both stores: shapes, filters, keyset pages with one eventCursor
// per listing, members with nested groups, tenant isolation, the operator with ?tenantId=, problem+json for bad
// input, and the mirror recipe (list everything, then follow the feed from eventCursor) under concurrent writers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDirectoryUsers } from '../../src/core/directory/directory.ts';
import { call, OPERATOR_TOKEN, startTestApp, type TestApp } from '../support/app.ts';
import { applyEvents, comparable, follow, listAll, snapshot } from '../support/directory-mirror.ts';
import {
  injectClient,
  inProcessTarget,
  makeTenant,
  type Target,
  type TenantHandles,
  twoProcessTarget,
} from '../support/http.ts';
import { CORE_GROUP, entraUser, patch, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('directory API on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let b: ScimTenant;
  const ids = { users: [] as string[], groups: {} as Record<string, string> };

  const s = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, tenant = a) =>
    scim(t.app, tenant, method, `${tenant.base}${path}`, body);
  const dir = (path: string, token = a.adminToken) => call(t.app, 'GET', `/iam/v1/directory${path}`, { token });

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'A');
    b = await scimTenant(t.app, 'B');
    // 25 users: every 5th inactive, user 3 with two emails (the primary second), user 7 without emails.
    for (let i = 0; i < 25; i++) {
      const overrides: Record<string, unknown> = { active: i % 5 !== 4 };
      if (i === 3) {
        overrides.emails = [
          { type: 'home', value: 'Three.Home@Example.org' },
          { type: 'work', value: 'three@a.example', primary: true },
        ];
      }
      if (i === 7) overrides.emails = [];
      const res = await s('POST', '/Users', entraUser(`u${i}@a.example`, `ext-${i}`, overrides));
      expect(res.statusCode, res.body).toBe(201);
      ids.users.push(res.json().id);
    }
    ids.users.sort();
    for (const name of ['Engineering', 'Platform', 'Empty']) {
      const res = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: name, externalId: `g-${name}` });
      expect(res.statusCode, res.body).toBe(201);
      ids.groups[name] = res.json().id;
    }
    // Engineering: 12 users and the nested group Platform; Platform: 3 users.
    const add = (group: string, members: string[]) =>
      s(
        'PATCH',
        `/Groups/${ids.groups[group]}`,
        patch({ op: 'add', path: 'members', value: members.map((value) => ({ value })) }),
      );
    expect((await add('Engineering', [...ids.users.slice(0, 12), ids.groups.Platform!])).statusCode).toBeLessThan(300);
    expect((await add('Platform', ids.users.slice(10, 13))).statusCode).toBeLessThan(300);
    // Tenant B has a user of its own, with A's first user's userName and externalId.
    const scimA = (await s('GET', `/Users/${ids.users[0]}`)).json();
    expect((await s('POST', '/Users', entraUser(scimA.userName, scimA.externalId), b)).statusCode).toBe(201);
  }, 60_000);
  afterAll(() => t?.dispose());

  it('a directory user has every field, the primary email, its groups, and the SCIM representation GET /Users/{id} answers', async () => {
    const listed = await listAll(injectClient(t.app), a.adminToken, '/iam/v1/directory/users', 100);
    const three = listed.items.find((u) => u.externalId === 'ext-3')!;
    const res = await dir(`/users/${three.id}`);
    expect(res.statusCode).toBe(200);
    const user = res.json();
    expect(user).toEqual(three);
    const scimGet = await s('GET', `/Users/${three.id}`);
    expect(JSON.stringify(user.scim)).toBe(scimGet.body);
    expect(user).toEqual({
      id: three.id,
      tenantId: a.tenantId,
      externalId: 'ext-3',
      userName: 'u3@a.example',
      displayName: 'Barbara Jensen',
      givenName: 'Barbara',
      familyName: 'Jensen',
      email: 'three@a.example',
      emails: [
        { value: 'Three.Home@Example.org', type: 'home', primary: false },
        { value: 'three@a.example', type: 'work', primary: true },
      ],
      active: true,
      groups: expect.any(Array),
      roles: [],
      createdAt: scimGet.json().meta.created,
      updatedAt: scimGet.json().meta.lastModified,
      scim: scimGet.json(),
    });
    expect(Object.keys(user)).toEqual([
      'id',
      'tenantId',
      'externalId',
      'userName',
      'displayName',
      'givenName',
      'familyName',
      'email',
      'emails',
      'active',
      'groups',
      'roles',
      'createdAt',
      'updatedAt',
      'scim',
    ]);
    // Groups of a user: direct memberships only, in id order.
    const inBoth = ids.users[11]!;
    const both = (await dir(`/users/${inBoth}`)).json();
    expect(both.groups).toEqual(
      [
        { id: ids.groups.Engineering, displayName: 'Engineering' },
        { id: ids.groups.Platform, displayName: 'Platform' },
      ].sort((x, y) => (x.id! < y.id! ? -1 : 1)),
    );
    expect(JSON.stringify(both.scim)).toBe((await s('GET', `/Users/${inBoth}`)).body);
    const noEmail = listed.items.find((u) => u.externalId === 'ext-7')!;
    expect([noEmail.email, noEmail.emails]).toEqual([null, []]);
  });

  it('a directory group: fields and member count; members of a group in id order, nested groups included', async () => {
    const res = await dir(`/groups/${ids.groups.Engineering}`);
    expect(res.statusCode).toBe(200);
    const scimGroup = (await s('GET', `/Groups/${ids.groups.Engineering}`)).json();
    expect(res.json()).toEqual({
      id: ids.groups.Engineering,
      tenantId: a.tenantId,
      externalId: 'g-Engineering',
      displayName: 'Engineering',
      memberCount: 13,
      createdAt: scimGroup.meta.created,
      updatedAt: scimGroup.meta.lastModified,
    });
    const members = await listAll(
      injectClient(t.app),
      a.adminToken,
      `/iam/v1/directory/groups/${ids.groups.Engineering}/members`,
      4,
    );
    expect(members.pages).toBe(4);
    const expected = [
      ...ids.users.slice(0, 12).map((id) => ({ id, type: 'user', displayName: 'Barbara Jensen' })),
      { id: ids.groups.Platform, type: 'group', displayName: 'Platform' },
    ].sort((x, y) => (x.id! < y.id! ? -1 : 1));
    expect(members.items).toEqual(expected);
    const groups = await listAll(injectClient(t.app), a.adminToken, '/iam/v1/directory/groups', 2);
    expect(groups.items.map((g) => [g.displayName, g.memberCount])).toEqual(
      Object.entries({ Engineering: 13, Platform: 3, Empty: 0 }).sort(([x], [y]) =>
        ids.groups[x]! < ids.groups[y]! ? -1 : 1,
      ),
    );
    const empty = await dir(`/groups/${ids.groups.Empty}/members`);
    expect(empty.json()).toEqual({ data: [], nextCursor: null, eventCursor: expect.any(String) });
  });

  it('pages: more than two, in id order, nextCursor null at the end, one eventCursor for the whole listing', async () => {
    const first = (await dir('/users?limit=10')).json();
    const listed = await listAll(injectClient(t.app), a.adminToken, '/iam/v1/directory/users', 10);
    expect(listed.pages).toBe(3);
    expect(listed.items.map((u) => u.id)).toEqual(ids.users);
    // A write between two pages moves the horizon, but not the listing's eventCursor.
    const second = (await dir(`/users?limit=10&cursor=${first.nextCursor}`)).json();
    await s('PATCH', `/Users/${ids.users[0]}`, patch({ op: 'replace', path: 'title', value: 'moved' }));
    const fresh = (await dir('/users?limit=10')).json();
    expect(fresh.eventCursor).not.toBe(first.eventCursor);
    const third = (await dir(`/users?limit=10&cursor=${second.nextCursor}`)).json();
    expect([second.eventCursor, third.eventCursor]).toEqual([first.eventCursor, first.eventCursor]);
    expect(third.nextCursor).toBeNull();
    expect(third.data).toHaveLength(5);
    // An exact fit: the last full page says null, no empty page follows.
    const fit = (await dir('/users?limit=25')).json();
    expect([fit.data.length, fit.nextCursor]).toEqual([25, null]);
  });

  it('filters: userName, email (any, case-insensitive), externalId, groupId (direct members), active, displayName', async () => {
    const idsOf = async (q: string) =>
      (await listAll(injectClient(t.app), a.adminToken, `/iam/v1/directory/users?${q}`, 3)).items.map((u) => u.id);
    const byExt = (n: number) => (async () => (await dir(`/users?externalId=ext-${n}`)).json().data[0].id)();
    const u3 = await byExt(3);
    const u1 = await byExt(1);
    expect(await idsOf('userName=U3%40A.example')).toEqual([u3]);
    expect(await idsOf('email=three.home%40example.ORG')).toEqual([u3]);
    expect(await idsOf('email=THREE%40a.example')).toEqual([u3]);
    expect(await idsOf('email=nobody%40a.example')).toEqual([]);
    expect(await idsOf('externalId=ext-3')).toEqual([u3]);
    expect(await idsOf('externalId=EXT-3')).toEqual([]);
    expect(await idsOf(`groupId=${ids.groups.Engineering}`)).toEqual(ids.users.slice(0, 12));
    expect(await idsOf(`groupId=${ids.groups.Platform}`)).toEqual(ids.users.slice(10, 13));
    expect(await idsOf(`groupId=${ids.groups.Empty}`)).toEqual([]);
    const all = (await listAll(injectClient(t.app), a.adminToken, '/iam/v1/directory/users', 100)).items;
    const inactive = all.filter((u) => !u.active).map((u) => u.id);
    expect(inactive).toHaveLength(5);
    expect(await idsOf('active=false')).toEqual(inactive);
    expect(await idsOf('active=true')).toEqual(all.filter((u) => u.active).map((u) => u.id));
    const inactiveEngineers = ids.users.slice(0, 12).filter((id) => inactive.includes(id));
    expect(await idsOf(`groupId=${ids.groups.Engineering}&active=false`)).toEqual(inactiveEngineers);
    // Emails kept in step with writes: a PATCH replacing them, a PUT, a user deleted (a user of its own here).
    const mover = (await s('POST', '/Users', entraUser('mover@a.example', 'ext-mover'))).json().id as string;
    expect(await idsOf('email=MOVER%40a.example')).toEqual([mover]);
    const moved = await s(
      'PATCH',
      `/Users/${mover}`,
      patch({ op: 'replace', path: 'emails', value: [{ value: 'Moved@A.example' }, { value: 'moved@a.EXAMPLE' }] }),
    );
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await idsOf('email=mover%40a.example')).toEqual([]);
    expect(await idsOf('email=moved%40a.example')).toEqual([mover]);
    expect(await idsOf('email=moved%40a.example&active=true')).toEqual([mover]);
    expect(await idsOf('email=moved%40a.example&active=false')).toEqual([]);
    // A write that leaves the emails alone leaves them findable.
    await s('PATCH', `/Users/${mover}`, patch({ op: 'replace', path: 'displayName', value: 'Mover' }));
    expect(await idsOf('email=moved%40a.example')).toEqual([mover]);
    await s('PATCH', `/Groups/${ids.groups.Empty}`, patch({ op: 'add', path: 'members', value: [{ value: mover }] }));
    expect(await idsOf(`email=moved%40a.example&groupId=${ids.groups.Empty}`)).toEqual([mover]);
    expect(await idsOf(`email=moved%40a.example&groupId=${ids.groups.Platform}`)).toEqual([]);
    expect(await idsOf(`email=u1%40a.example&groupId=${ids.groups.Engineering}`)).toEqual(
      ids.users.slice(0, 12).filter((id) => id === u1),
    );
    expect((await s('DELETE', `/Users/${mover}`)).statusCode).toBe(204);
    expect(await idsOf('email=moved%40a.example')).toEqual([]);
    // The directory and SCIM's own filter agree on emails.
    const viaScim = await s('GET', `/Users?filter=${encodeURIComponent('emails.value eq "THREE.HOME@example.org"')}`);
    expect(viaScim.json().Resources.map((r: { id: string }) => r.id)).toEqual([u3]);
    expect((await dir('/groups?displayName=PLATFORM')).json().data.map((g: { id: string }) => g.id)).toEqual([
      ids.groups.Platform,
    ]);
    expect((await dir('/groups?displayName=Nope')).json().data).toEqual([]);
  });

  it('eventCursor is read before the page: a write committing right after the rows were read has its event after it', async () => {
    // The real store, with a SCIM write slipped in between reading the page's rows and answering: the listing does
    // not show it, so the feed from eventCursor must (a horizon read after the rows would put it behind).
    const store = t.db.store.directory;
    let slipped: string | undefined;
    const directory = {
      ...store,
      async users(...args: Parameters<typeof store.users>) {
        const rows = await store.users(...args);
        const res = await s(
          'PATCH',
          `/Users/${rows[0]!.id}`,
          patch({ op: 'replace', path: 'title', value: 'slipped' }),
        );
        expect(res.statusCode).toBe(200);
        slipped = res.json().meta.version;
        return rows;
      },
    };
    const page = await listDirectoryUsers({ directory, publicUrl: 'https://roster.test' }, a.tenantId, {
      cursor: undefined,
      limit: 5,
      filter: {},
    });
    // biome-ignore lint/suspicious/noExplicitAny: a directory user, inspected by field
    const first = page.data[0] as any;
    expect(first.scim.title).not.toBe('slipped');
    const { events } = await follow(injectClient(t.app), a.adminToken, page.eventCursor);
    expect(events.filter((e) => e.data.id === first.id).map((e) => e.data.scim.meta.version)).toContain(slipped);
  });

  it('404s: unknown user, unknown group, members of an unknown group', async () => {
    for (const path of ['/users/nope', '/groups/nope', '/groups/nope/members', `/users/${ids.groups.Engineering}`]) {
      const res = await dir(path);
      expect([res.statusCode, res.headers['content-type'], res.json().code], path).toEqual([
        404,
        'application/problem+json; charset=utf-8',
        'directory.not_found',
      ]);
    }
  });

  it("tenant isolation: B's admin token sees none of A's users, groups or members — by list, by id, by ?tenantId=A", async () => {
    const bUsers = (await dir('/users', b.adminToken)).json().data;
    expect(bUsers).toHaveLength(1);
    expect(bUsers[0].tenantId).toBe(b.tenantId);
    expect((await dir('/groups', b.adminToken)).json().data).toEqual([]);
    for (const filter of [
      'userName=u0%40a.example',
      'externalId=ext-1',
      `groupId=${ids.groups.Engineering}`,
      'email=u1%40a.example',
    ]) {
      const ours = (await dir(`/users?${filter}`, b.adminToken)).json().data;
      expect(
        ours.every((u: { tenantId: string }) => u.tenantId === b.tenantId),
        filter,
      ).toBe(true);
      expect(
        ours.filter((u: { id: string }) => ids.users.includes(u.id)),
        filter,
      ).toEqual([]);
    }
    for (const path of [
      `/users/${ids.users[0]}`,
      `/groups/${ids.groups.Engineering}`,
      `/groups/${ids.groups.Engineering}/members`,
    ]) {
      const res = await dir(path, b.adminToken);
      expect([res.statusCode, res.json().code], path).toEqual([404, 'directory.not_found']);
    }
    for (const path of ['/users', `/users/${ids.users[0]}`, '/groups', `/groups/${ids.groups.Engineering}/members`]) {
      const res = await dir(`${path}?tenantId=${a.tenantId}`, b.adminToken);
      expect([res.statusCode, res.json().code], path).toEqual([404, 'tenant.not_found']);
      expect(res.body).not.toContain(ids.users[0]);
    }
    // Its own tenant named explicitly is fine.
    expect((await dir(`/users?tenantId=${b.tenantId}`, b.adminToken)).json().data).toHaveLength(1);
    // A SCIM token is no credential here.
    expect((await dir('/users', a.scimToken)).statusCode).toBe(401);
  });

  it('the operator token reads any tenant with ?tenantId=, and must name one', async () => {
    const listed = await listAll(
      injectClient(t.app),
      OPERATOR_TOKEN,
      `/iam/v1/directory/users?tenantId=${a.tenantId}`,
      10,
    );
    expect(listed.items.map((u) => u.id)).toEqual(ids.users);
    expect(listed.pages).toBe(3);
    const one = await dir(`/groups/${ids.groups.Platform}?tenantId=${a.tenantId}`, OPERATOR_TOKEN);
    expect(one.json().memberCount).toBe(3);
    // A's group asked for in B: not found there.
    const wrong = await dir(`/groups/${ids.groups.Platform}?tenantId=${b.tenantId}`, OPERATOR_TOKEN);
    expect([wrong.statusCode, wrong.json().code]).toEqual([404, 'directory.not_found']);
    const none = await dir('/users', OPERATOR_TOKEN);
    expect([none.statusCode, none.json().code, none.json().errors]).toEqual([
      400,
      'validation.failed',
      [{ field: 'tenantId', message: 'the operator token must name a tenant' }],
    ]);
    const unknown = await dir('/users?tenantId=no-such-tenant', OPERATOR_TOKEN);
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'tenant.not_found']);
  });

  it('bad input answers problem+json with a stable code, never a 500', async () => {
    const other = (await dir('/users?limit=1')).json().nextCursor as string;
    const forged = Buffer.from(JSON.stringify({ v: 1, a: 'x', e: 'not-a-feed-cursor' })).toString('base64url');
    const cases: [string, number, string][] = [
      ['/users?limit=0', 400, 'validation.failed'],
      ['/users?limit=1001', 400, 'validation.failed'],
      ['/users?limit=abc', 400, 'validation.failed'],
      ['/users?limit=-1', 400, 'validation.failed'],
      ['/groups?limit=0', 400, 'validation.failed'],
      [`/groups/${ids.groups.Engineering}/members?limit=1001`, 400, 'validation.failed'],
      ['/users?active=yes', 400, 'validation.failed'],
      ['/users?active=', 400, 'validation.failed'],
      ['/users?userName=', 400, 'validation.failed'],
      ['/users?unknown=1', 400, 'validation.failed'],
      ['/users?cursor=garbage', 400, 'directory.cursor_invalid'],
      ['/users?cursor=%E2%82%AC', 400, 'directory.cursor_invalid'],
      [`/users?cursor=${forged}`, 400, 'directory.cursor_invalid'],
      [`/users?cursor=${other.slice(0, -2)}`, 400, 'directory.cursor_invalid'],
      ['/groups?cursor=e1.0.0', 400, 'directory.cursor_invalid'],
      [`/users?email=${'x'.repeat(600)}`, 400, 'validation.failed'],
    ];
    for (const [path, status, code] of cases) {
      const res = await dir(path);
      expect([res.statusCode, res.headers['content-type'], res.json().code], path).toEqual([
        status,
        'application/problem+json; charset=utf-8',
        code,
      ]);
    }
    // A filter value SCIM's filter grammar would have to escape is only a value here…
    const odd = ['a" or userName pr or "b', '\u0001'.repeat(512), '\\u0041\\'].map(encodeURIComponent);
    // …and so are a control character escaped six-fold by JSON and bytes that are not UTF-8.
    for (const value of [...odd, '%ED%A0%80x', '%FF']) {
      const quoted = await dir(`/users?email=${value}`);
      expect([quoted.statusCode, quoted.json().data], value).toEqual([200, []]);
    }
    const noToken = await call(t.app, 'GET', '/iam/v1/directory/users');
    expect([noToken.statusCode, noToken.json().code]).toEqual([401, 'auth.missing']);
  });
});

/**
 * The recipe under load: while concurrent SCIM writers create, patch, deactivate and delete users and change
 * memberships (nested groups included), a consumer lists everything in small pages and then applies the feed from
 * the listing's eventCursor. Once the writers stop, that mirror must equal a fresh listing exactly.
 */
const MIRROR_TARGETS: readonly string[] = [
  ...STORE_KINDS,
  ...(STORE_KINDS.includes('postgres') ? ['postgres, two processes'] : []),
];

describe.each(MIRROR_TARGETS)('the directory mirror recipe under concurrent writers on %s', (name) => {
  let target: Target;
  let tenant: TenantHandles;
  beforeAll(async () => {
    // Two processes: requests alternate between them, so a listing's pages and the feed come from both.
    target =
      name === 'postgres, two processes'
        ? // One public URL, as behind a load balancer: the SCIM representation names it in meta.location.
          await twoProcessTarget({ ROSTER_PUBLIC_URL: 'https://roster.test' })
        : await inProcessTarget(name as 'sqlite' | 'postgres', 'listen');
    tenant = await makeTenant(target.client, 'Mirror');
  }, 60_000);
  afterAll(() => target?.dispose());

  it('list everything while writers run, follow the feed from eventCursor: equal to the final listing', async () => {
    const client = target.client;
    const s = (method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
      client.send(method, `${tenant.base}${path}`, { token: tenant.scimToken, ...(body ? { body } : {}) });
    const groups: string[] = [];
    for (let g = 0; g < 4; g++) {
      const res = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: `Team ${g}` });
      groups.push(res.json().id);
    }
    // Team 3 inside Team 0.
    await s('PATCH', `/Groups/${groups[0]}`, patch({ op: 'add', path: 'members', value: [{ value: groups[3] }] }));
    const users: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await s('POST', '/Users', entraUser(`seed${i}@mirror.example`, `seed-${i}`));
      users.push(res.json().id);
      await s(
        'PATCH',
        `/Groups/${groups[i % 4]}`,
        patch({ op: 'add', path: 'members', value: [{ value: res.json().id }] }),
      );
    }

    let writing = true;
    let writes = 0;
    const live = [...users];
    const pick = () => live[Math.floor(Math.random() * live.length)];
    // Groups made during the run come and go; the four base groups stay (Team 3 nested in Team 0 moves in and out).
    const extra: string[] = [];
    const writer = async (w: number) => {
      for (let n = 0; writing; n++) {
        const r = Math.random();
        const id = pick();
        const all = [...groups, ...extra];
        const group = all[Math.floor(Math.random() * all.length)]!;
        let res: Awaited<ReturnType<typeof s>>;
        if (r < 0.15) {
          res = await s('POST', '/Users', entraUser(`w${w}.${n}@mirror.example`, `w-${w}-${n}`));
          if (res.status === 201) live.push(res.json().id);
        } else if (r < 0.32 && id) {
          res = await s('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'displayName', value: `W${w} ${n}` }));
        } else if (r < 0.4 && id) {
          res = await s('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'active', value: Math.random() < 0.5 }));
        } else if (r < 0.56 && id) {
          res = await s('PATCH', `/Groups/${group}`, patch({ op: 'add', path: 'members', value: [{ value: id }] }));
        } else if (r < 0.68 && id) {
          res = await s('PATCH', `/Groups/${group}`, patch({ op: 'remove', path: `members[value eq "${id}"]` }));
        } else if (r < 0.74) {
          const op = Math.random() < 0.5 ? 'add' : 'remove';
          res = await s(
            'PATCH',
            `/Groups/${groups[0]}`,
            op === 'add'
              ? patch({ op, path: 'members', value: [{ value: groups[3] }] })
              : patch({ op, path: `members[value eq "${groups[3]}"]` }),
          );
        } else if (r < 0.8) {
          // A rename (group.updated), which also renames the group in its members' `groups`.
          res = await s(
            'PATCH',
            `/Groups/${group}`,
            patch({ op: 'replace', path: 'displayName', value: `G${w}.${n}` }),
          );
        } else if (r < 0.85) {
          const members = live.slice(0, 3).map((value) => ({ value }));
          res = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: `New ${w}.${n}`, members });
          if (res.status === 201) extra.push(res.json().id);
        } else if (r < 0.9 && extra.length > 0) {
          const doomed = extra.splice(Math.floor(Math.random() * extra.length), 1)[0]!;
          res = await s('DELETE', `/Groups/${doomed}`);
        } else if (id) {
          live.splice(live.indexOf(id), 1);
          res = await s('DELETE', `/Users/${id}`);
        } else continue;
        // 404 and 400: a writer raced another that deleted the user or group first.
        expect([200, 201, 204, 400, 404], res.body).toContain(res.status);
        writes++;
      }
    };
    const writers = Array.from({ length: 6 }, (_, w) => writer(w));
    // Let the writers get going, then list in small pages while they run.
    while (writes < 40) await new Promise((r) => setTimeout(r, 5));
    // Three listings while the writers run (users pages of 4, groups and members pages of 4), each mirrored.
    const before = writes;
    const snapshots: Awaited<ReturnType<typeof snapshot>>[] = [];
    for (let round = 0; round < 3; round++) snapshots.push(await snapshot(client, tenant.adminToken, { limit: 4 }));
    const during = writes - before;
    writing = false;
    await Promise.all(writers);

    const final = await snapshot(client, tenant.adminToken, { limit: 1000 });
    const expected = comparable(final.mirror);
    // The final listing is quiescent: the groups it gives each user are what its member lists say.
    for (const u of final.mirror.users.values()) {
      expect(u.groups).toEqual(expected.users.find((x) => x.id === u.id)?.groups);
    }
    expect(during, 'writes made while the listings ran').toBeGreaterThan(30);
    for (const { mirror, eventCursor } of snapshots) {
      const { events } = await follow(client, tenant.adminToken, eventCursor);
      applyEvents(mirror, events);
      expect(comparable(mirror)).toEqual(expected);
    }
  }, 120_000);
});
