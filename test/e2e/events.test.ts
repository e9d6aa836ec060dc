// Directory events (issue 11, items 1–2): written in the transaction of each SCIM write, on both stores, and read
// back through the feed — per tenant with an admin token, for all tenants with the operator token.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneEvents } from '../../src/core/events/feed.ts';
import { call, OPERATOR_TOKEN, SEED_001_PROVIDER, startTestApp, type TestApp } from '../support/app.ts';
import { injectClient } from '../support/http.ts';
import { entraReplay, oktaReplay } from '../support/replays.ts';
import { CORE_GROUP, entraUser, patch, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

interface Envelope {
  id: string;
  type: string;
  tenantId: string;
  occurredAt: string;
  // biome-ignore lint/suspicious/noExplicitAny: event bodies are inspected field by field
  data: any;
}

/** Follows the feed from `after` to its end, checkpointing the cursor after every page. */
async function follow(
  app: FastifyInstance,
  token: string,
  after?: string,
  options: { path?: string; limit?: number; types?: string } = {},
): Promise<{ events: Envelope[]; cursor: string }> {
  const events: Envelope[] = [];
  let cursor = after;
  for (;;) {
    const q = new URLSearchParams();
    if (cursor !== undefined) q.set('after', cursor);
    q.set('limit', String(options.limit ?? 100));
    if (options.types) q.set('types', options.types);
    const res = await call(app, 'GET', `${options.path ?? '/iam/v1/events'}?${q}`, { token });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json();
    events.push(...page.data);
    cursor = page.nextCursor;
    if (!page.hasMore) return { events, cursor: cursor! };
  }
}

describe.each(STORE_KINDS)('directory events on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let b: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'A');
    b = await scimTenant(t.app, 'B');
  });
  afterAll(() => t?.dispose());

  /** The events of tenant A since `cursor`, and the cursor after them. */
  const since = (cursor: string | undefined, tenant: ScimTenant = a) => follow(t.app, tenant.adminToken, cursor);
  const s = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, h = {}) =>
    scim(t.app, a, method, `${a.base}${path}`, body, h);

  it('a user lifecycle: created, updated, deactivated, reactivated, deleted — and nothing for a PATCH that changes nothing', async () => {
    let { cursor } = await since(undefined);
    const created = await s('POST', '/Users', entraUser('ev.life@a.example', 'ext-life'));
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    let step = await since(cursor);
    expect(step.events.map((e) => e.type)).toEqual(['user.created']);
    const [ev] = step.events;
    expect(ev!.id).toMatch(/^evt_/);
    expect(ev!.tenantId).toBe(a.tenantId);
    expect(new Date(ev!.occurredAt).toISOString()).toBe(ev!.occurredAt);
    expect(ev!.data).toEqual({
      id,
      tenantId: a.tenantId,
      externalId: 'ext-life',
      userName: 'ev.life@a.example',
      displayName: 'Barbara Jensen',
      givenName: 'Barbara',
      familyName: 'Jensen',
      email: 'ev.life@a.example',
      emails: [{ value: 'ev.life@a.example', type: 'work', primary: true }],
      active: true,
      groups: [],
      roles: [],
      createdAt: created.json().meta.created,
      updatedAt: created.json().meta.lastModified,
      scim: created.json(),
    });
    expect(ev!.data.scim.meta.location).toBe(`https://roster.test${a.base}/Users/${id}`);
    cursor = step.cursor;

    const renamed = await s('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'name.givenName', value: 'Babs' }));
    expect(renamed.statusCode).toBe(200);
    step = await since(cursor);
    expect(step.events.map((e) => [e.type, e.data.changedAttributes, e.data.givenName])).toEqual([
      ['user.updated', ['name.givenName'], 'Babs'],
    ]);
    expect(step.events[0]!.data.scim.meta.version).toBe(renamed.json().meta.version);
    cursor = step.cursor;

    // The same value again: no write, no event.
    expect(
      (await s('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'name.givenName', value: 'Babs' }))).statusCode,
    ).toBe(200);
    step = await since(cursor);
    expect(step.events).toEqual([]);
    cursor = step.cursor;

    await s('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'active', value: 'False' }));
    await s('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'active', value: true }));
    step = await since(cursor);
    expect(step.events.map((e) => [e.type, e.data.active])).toEqual([
      ['user.deactivated', false],
      ['user.reactivated', true],
    ]);
    cursor = step.cursor;

    // A PUT that changes the display name and deactivates: an update naming what changed, then the deactivation.
    const put = await s(
      'PUT',
      `/Users/${id}`,
      entraUser('ev.life@a.example', 'ext-life', { displayName: 'B. J.', active: false }),
    );
    expect(put.statusCode).toBe(200);
    step = await since(cursor);
    expect(step.events.map((e) => [e.type, e.data.changedAttributes])).toEqual([
      ['user.updated', expect.arrayContaining(['displayName', 'name'])],
      ['user.deactivated', undefined],
    ]);
    cursor = step.cursor;

    expect((await s('DELETE', `/Users/${id}`)).statusCode).toBe(204);
    step = await since(cursor);
    expect(step.events.map((e) => [e.type, e.data])).toEqual([
      ['user.deleted', { id, externalId: 'ext-life', userName: 'ev.life@a.example' }],
    ]);
  });

  it('groups: created with members, 100 members added in one PATCH make 100 events, renamed, member removed, deleted', async () => {
    let { cursor } = await since(undefined);
    const users: string[] = [];
    for (let i = 0; i < 102; i++) {
      users.push((await s('POST', '/Users', entraUser(`ev.m${i}@a.example`, `m${i}`))).json().id);
    }
    cursor = (await since(cursor)).cursor;
    const g = await s('POST', '/Groups', {
      schemas: [CORE_GROUP],
      displayName: 'Events Team',
      externalId: 'g-ext',
      members: [{ value: users[0] }, { value: users[1] }],
    });
    expect(g.statusCode).toBe(201);
    const gid = g.json().id;
    let step = await since(cursor);
    expect(step.events.map((e) => e.type)).toEqual(['group.created', 'group.member_added', 'group.member_added']);
    expect(step.events[0]!.data).toEqual({
      id: gid,
      tenantId: a.tenantId,
      externalId: 'g-ext',
      displayName: 'Events Team',
      memberCount: 2,
      createdAt: g.json().meta.created,
      updatedAt: g.json().meta.lastModified,
    });
    expect(step.events.slice(1).map((e) => e.data)).toEqual(
      expect.arrayContaining([
        { groupId: gid, memberId: users[0], memberType: 'user' },
        { groupId: gid, memberId: users[1], memberType: 'user' },
      ]),
    );
    cursor = step.cursor;

    // 100 new members plus one already present: 100 events, none for the one already there.
    const hundred = users.slice(1, 102).map((value) => ({ value }));
    const added = await s('PATCH', `/Groups/${gid}`, patch({ op: 'add', path: 'members', value: hundred }));
    expect(added.statusCode, added.body).toBe(204);
    step = await since(cursor);
    expect(step.events).toHaveLength(100);
    expect(new Set(step.events.map((e) => e.type))).toEqual(new Set(['group.member_added']));
    expect(step.events.map((e) => e.data.memberId).sort()).toEqual(users.slice(2, 102).sort());
    cursor = step.cursor;

    // Adding members already present changes nothing: not a write — no event, and the
    // group keeps its version and lastModified (a mirror fed by events stays exact).
    const before = (await s('GET', `/Groups/${gid}?excludedAttributes=members`)).json().meta;
    const readd = await s(
      'PATCH',
      `/Groups/${gid}`,
      patch({ op: 'add', path: 'members', value: [{ value: users[5] }] }),
    );
    expect([readd.statusCode, readd.headers.etag]).toEqual([204, before.version]);
    expect((await s('GET', `/Groups/${gid}?excludedAttributes=members`)).json().meta).toEqual(before);
    expect((await since(cursor)).events).toEqual([]);

    await s('PATCH', `/Groups/${gid}`, patch({ op: 'replace', path: 'displayName', value: 'Renamed Team' }));
    await s('PATCH', `/Groups/${gid}`, patch({ op: 'remove', path: `members[value eq "${users[3]}"]` }));
    // A nested group is a member of type group.
    const inner = (await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'Inner' })).json().id;
    await s('PATCH', `/Groups/${gid}`, patch({ op: 'add', path: 'members', value: [{ value: inner }] }));
    step = await since(cursor);
    expect(step.events.map((e) => [e.type, e.data.changedAttributes ?? e.data.memberId])).toEqual([
      ['group.updated', ['displayName']],
      ['group.member_removed', users[3]],
      ['group.created', undefined],
      ['group.member_added', inner],
    ]);
    expect(step.events[0]!.data.memberCount).toBe(102);
    expect(step.events[3]!.data).toEqual({ groupId: gid, memberId: inner, memberType: 'group' });
    cursor = step.cursor;

    // PUT restating two members, dropping one and adding one: no churn for the members kept.
    const p = (
      await s('POST', '/Groups', {
        schemas: [CORE_GROUP],
        displayName: 'Put Team',
        members: [users[0], users[1], users[2]].map((value) => ({ value })),
      })
    ).json().id;
    cursor = (await since(cursor)).cursor;
    const put = await s('PUT', `/Groups/${p}`, {
      schemas: [CORE_GROUP],
      displayName: 'Put Team',
      members: [users[1], users[2], users[4]].map((value) => ({ value })),
    });
    expect(put.statusCode, put.body).toBe(200);
    step = await since(cursor);
    expect(step.events.map((e) => [e.type, e.data.changedAttributes ?? e.data.memberId, e.data.memberCount])).toEqual([
      ['group.updated', [], 3],
      ['group.member_removed', users[0], undefined],
      ['group.member_added', users[4], undefined],
    ]);
    cursor = step.cursor;

    expect((await s('DELETE', `/Groups/${gid}`)).statusCode).toBe(204);
    step = await since(cursor);
    expect(step.events.map((e) => [e.type, e.data.id, e.data.memberCount])).toEqual([['group.deleted', gid, 102]]);
  });

  it('a rolled-back write has no event: uniqueness conflict, failed If-Match, unknown member, failed Bulk operation', async () => {
    const { cursor } = await since(undefined);
    const u = (await s('POST', '/Users', entraUser('ev.rb@a.example', 'rb'))).json();
    const g = (await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'RB' })).json();
    const mid = await since(cursor);
    expect(mid.events.map((e) => e.type)).toEqual(['user.created', 'group.created']);

    expect((await s('POST', '/Users', entraUser('EV.RB@a.example', 'rb2'))).statusCode).toBe(409);
    expect((await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'rb' })).statusCode).toBe(409);
    const stale = await s('PATCH', `/Users/${u.id}`, patch({ op: 'replace', path: 'displayName', value: 'X' }), {
      'if-match': 'W/"99"',
    });
    expect(stale.statusCode).toBe(412);
    expect((await s('DELETE', `/Users/${u.id}`, undefined, { 'if-match': 'W/"99"' })).statusCode).toBe(412);
    // All or nothing: a valid add beside an unknown member writes neither.
    const bad = await s(
      'PATCH',
      `/Groups/${g.id}`,
      patch({ op: 'add', path: 'members', value: [{ value: u.id }, { value: 'no-such-member' }] }),
    );
    expect(bad.statusCode).toBe(400);
    const bulk = await s('POST', '/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [{ method: 'POST', path: '/Users', bulkId: 'dup', data: entraUser('ev.rb@a.example', 'rb3') }],
    });
    expect(bulk.json().Operations[0].status).toBe('409');
    expect((await since(mid.cursor)).events).toEqual([]);
  });

  it('Bulk makes the same events as the equivalent single requests', async () => {
    const typesAndShapes = (events: Envelope[], ids: Map<string, string>) =>
      events.map((e) => {
        const d = e.data;
        const name = (id: string) => ids.get(id) ?? id;
        if (e.type.startsWith('group.member')) return [e.type, name(d.groupId), name(d.memberId), d.memberType];
        return [e.type, d.userName ?? d.displayName, d.active, d.changedAttributes, d.memberCount];
      });
    // Singles in tenant B.
    const single = { cursor: (await since(undefined, b)).cursor };
    const sb = (method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
      scim(t.app, b, method, `${b.base}${path}`, body);
    const bu = (await sb('POST', '/Users', entraUser('bulk.one@x.example', 'b1'))).json().id;
    const bg = (
      await sb('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'Bulk G', members: [{ value: bu }] })
    ).json().id;
    await sb('PATCH', `/Users/${bu}`, patch({ op: 'replace', path: 'active', value: false }));
    await sb('PATCH', `/Groups/${bg}`, patch({ op: 'remove', path: 'members', value: [{ value: bu }] }));
    await sb('DELETE', `/Users/${bu}`);
    const singles = (await since(single.cursor, b)).events;

    // The same through one Bulk request in tenant A.
    const before = (await since(undefined)).cursor;
    const res = await s('POST', '/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'u', data: entraUser('bulk.one@x.example', 'b1') },
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'g',
          data: { schemas: [CORE_GROUP], displayName: 'Bulk G', members: [{ value: 'bulkId:u' }] },
        },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const created = res.json().Operations as { status: string; location: string }[];
    expect(created.map((o) => o.status)).toEqual(['201', '201']);
    const au = created[0]!.location.split('/').pop()!;
    const ag = created[1]!.location.split('/').pop()!;
    const more = await s('POST', '/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'PATCH', path: `/Users/${au}`, data: patch({ op: 'replace', path: 'active', value: false }) },
        {
          method: 'PATCH',
          path: `/Groups/${ag}`,
          data: patch({ op: 'remove', path: 'members', value: [{ value: au }] }),
        },
        { method: 'DELETE', path: `/Users/${au}` },
      ],
    });
    expect(more.json().Operations.map((o: { status: string }) => o.status)).toEqual(['200', '204', '204']);
    const bulked = (await since(before)).events;
    expect(bulked.map((e) => e.type)).toEqual([
      'user.created',
      'group.created',
      'group.member_added',
      'user.deactivated',
      'group.member_removed',
      'user.deleted',
    ]);
    expect(
      typesAndShapes(
        bulked,
        new Map([
          [au, 'U'],
          [ag, 'G'],
        ]),
      ),
    ).toEqual(
      typesAndShapes(
        singles,
        new Map([
          [bu, 'U'],
          [bg, 'G'],
        ]),
      ),
    );
  });

  it('SCIM tokens and SSO providers: created, updated, revoked, deleted — without secrets', async () => {
    const c = await scimTenant(t.app, 'Admin events');
    const patched = await call(t.app, 'PATCH', '/iam/v1/sso/entra', {
      token: c.adminToken,
      body: { displayName: 'Renamed IdP' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await call(t.app, 'DELETE', `/iam/v1/scim/${c.scimTokenId}`, { token: c.adminToken })).statusCode).toBe(
      204,
    );
    expect((await call(t.app, 'DELETE', '/iam/v1/sso/entra', { token: c.adminToken })).statusCode).toBe(204);
    const { events } = await follow(t.app, c.adminToken);
    expect(events.map((e) => [e.type, e.data.scheme ?? e.data.id])).toEqual([
      ['sso_provider.created', 'entra'],
      ['scim_token.created', c.scimTokenId],
      ['sso_provider.updated', 'entra'],
      ['scim_token.revoked', c.scimTokenId],
      ['sso_provider.deleted', 'entra'],
    ]);
    expect(events[1]!.data).toEqual({
      id: c.scimTokenId,
      provider: 'entra',
      providerDisplayName: 'Contoso Entra ID',
      createdAt: expect.any(String),
      expiresAt: null,
      defaultRole: null,
    });
    expect(events[2]!.data).toMatchObject({
      scheme: 'entra',
      kind: 'azuread',
      displayName: 'Renamed IdP',
      enabled: true,
    });
    const text = JSON.stringify(events);
    expect(text).not.toContain(c.scimToken);
    expect(text).not.toMatch(/secret/i);
    // A refused change makes none: the scheme is taken.
    await call(t.app, 'POST', '/iam/v1/sso/azuread', {
      token: c.adminToken,
      body: { ...SEED_001_PROVIDER, scheme: 'x' },
    });
    const before = (await follow(t.app, c.adminToken)).cursor;
    const taken = await call(t.app, 'POST', '/iam/v1/sso/azuread', {
      token: c.adminToken,
      body: { ...SEED_001_PROVIDER, scheme: 'x' },
    });
    expect(taken.statusCode).toBe(409);
    expect((await follow(t.app, c.adminToken, before)).events).toEqual([]);
  });

  it('tenant isolation: each admin sees its own tenant only; the operator sees every tenant', async () => {
    const ofA = await follow(t.app, a.adminToken);
    const ofB = await follow(t.app, b.adminToken);
    expect(ofA.events.length).toBeGreaterThan(0);
    expect(ofB.events.length).toBeGreaterThan(0);
    expect(new Set(ofA.events.map((e) => e.tenantId))).toEqual(new Set([a.tenantId]));
    expect(new Set(ofB.events.map((e) => e.tenantId))).toEqual(new Set([b.tenantId]));
    const all = await follow(t.app, OPERATOR_TOKEN, undefined, { path: '/iam/v1/operator/events', limit: 7 });
    const ofAB = all.events.filter((e) => e.tenantId === a.tenantId || e.tenantId === b.tenantId);
    expect(ofAB.map((e) => e.id).sort()).toEqual([...ofA.events, ...ofB.events].map((e) => e.id).sort());
    // The operator reads the other tenants made here too.
    expect(all.events.length).toBeGreaterThan(ofAB.length);
    // Tenant order is the operator's order restricted to the tenant.
    expect(all.events.filter((e) => e.tenantId === a.tenantId).map((e) => e.id)).toEqual(ofA.events.map((e) => e.id));
    // The wrong token kinds are refused.
    expect((await call(t.app, 'GET', '/iam/v1/operator/events', { token: a.adminToken })).statusCode).toBe(403);
    expect((await call(t.app, 'GET', '/iam/v1/events', { token: OPERATOR_TOKEN })).statusCode).toBe(403);
    expect((await call(t.app, 'GET', '/iam/v1/events')).statusCode).toBe(401);
  });

  it('pages: each event once at any page size; a type filter; malformed cursors and limits are 400', async () => {
    const whole = await follow(t.app, a.adminToken);
    for (const limit of [1, 3, 1000]) {
      const paged = await follow(t.app, a.adminToken, undefined, { limit });
      expect(paged.events.map((e) => e.id)).toEqual(whole.events.map((e) => e.id));
    }
    const deletes = await follow(t.app, a.adminToken, undefined, { types: 'user.deleted,group.deleted' });
    expect(deletes.events.map((e) => e.id)).toEqual(
      whole.events.filter((e) => e.type === 'user.deleted' || e.type === 'group.deleted').map((e) => e.id),
    );
    // The cursor at the end stays valid and answers nothing new.
    const end = await call(t.app, 'GET', `/iam/v1/events?after=${whole.cursor}`, { token: a.adminToken });
    expect(end.json()).toEqual({ data: [], nextCursor: expect.stringMatching(/^e1\./), hasMore: false });
    for (const query of [
      'after=nope',
      'after=e1.1',
      'after=e1.-1.2',
      'limit=0',
      'limit=1001',
      'limit=x',
      'types=user.bogus',
    ]) {
      const res = await call(t.app, 'GET', `/iam/v1/events?${query}`, { token: a.adminToken });
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const bad = await call(t.app, 'GET', '/iam/v1/events?after=nope', { token: a.adminToken });
    expect(bad.json().code).toBe('events.cursor_invalid');
  });

  it('the Entra ID and Okta replays: the feed alone rebuilds the users and groups SCIM answers with', async () => {
    const c = await scimTenant(t.app, 'Replay');
    const client = injectClient(t.app);
    await entraReplay(client, c, 'contoso.com');
    await oktaReplay(client, c, 'example.com');
    const { events } = await follow(t.app, c.adminToken, undefined, { limit: 17 });
    const users = new Map<string, boolean>();
    const groups = new Map<string, Set<string>>();
    for (const e of events) {
      if (e.type === 'user.deleted') {
        users.delete(e.data.id);
        for (const m of groups.values()) m.delete(e.data.id);
      } else if (e.type.startsWith('user.')) users.set(e.data.id, e.data.active);
      else if (e.type === 'group.created') groups.set(e.data.id, new Set());
      else if (e.type === 'group.deleted') {
        groups.delete(e.data.id);
        for (const m of groups.values()) m.delete(e.data.id);
      } else if (e.type === 'group.member_added') groups.get(e.data.groupId)!.add(e.data.memberId);
      else if (e.type === 'group.member_removed') groups.get(e.data.groupId)!.delete(e.data.memberId);
    }
    const listed = (await scim(t.app, c, 'GET', `${c.base}/Users?count=1000`)).json();
    expect(new Map(listed.Resources.map((u: { id: string; active: boolean }) => [u.id, u.active]))).toEqual(users);
    const listedGroups = (await scim(t.app, c, 'GET', `${c.base}/Groups?count=1000`)).json();
    const actual = new Map<string, Set<string>>(
      listedGroups.Resources.map((g: { id: string; members?: { value: string }[] }) => [
        g.id,
        new Set((g.members ?? []).map((m) => m.value)),
      ]),
    );
    expect(actual).toEqual(groups);
    expect(users.size + groups.size).toBeGreaterThan(0);
  });

  it('retention: pruned events are gone, a cursor before them answers 410, a recent cursor and no cursor work', async () => {
    const old = await follow(t.app, a.adminToken);
    const first = (await call(t.app, 'GET', '/iam/v1/events?limit=1', { token: a.adminToken })).json().nextCursor;
    t.clock.advance(31 * 86_400_000);
    await s('POST', '/Users', entraUser('ev.after.prune@a.example', 'ap'));
    const pruned = await pruneEvents({ events: t.db.store.feed, clock: t.clock }, 30);
    expect(pruned).toBeGreaterThanOrEqual(old.events.length);
    const expired = await call(t.app, 'GET', `/iam/v1/events?after=${first}`, { token: a.adminToken });
    expect(expired.statusCode).toBe(410);
    expect(expired.json().code).toBe('events.cursor_expired');
    const fromOld = await call(t.app, 'GET', `/iam/v1/operator/events?after=${first}`, { token: OPERATOR_TOKEN });
    expect(fromOld.statusCode).toBe(410);
    // The consumer that had read to the end before the prune goes on.
    const next = await follow(t.app, a.adminToken, old.cursor);
    expect(next.events.map((e) => [e.type, e.data.userName])).toEqual([['user.created', 'ev.after.prune@a.example']]);
    // Without a cursor: from the oldest retained event.
    expect((await follow(t.app, a.adminToken)).events.map((e) => e.id)).toEqual(next.events.map((e) => e.id));
  });
});
