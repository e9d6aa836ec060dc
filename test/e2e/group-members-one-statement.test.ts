// An IdP's membership PATCH of a group (members added, or members removed, nothing else) is ONE statement on
// PostgreSQL after the token's (ADR 0062), and the locked transaction on SQLite and wherever the one statement cannot
// decide. Both must leave the same members, version, lastModified and events, and answer the same errors; the
// one statement must write nothing when it hands over to the locked path.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberEventsPlan } from '../../src/core/scim/events.ts';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import { CORE_GROUP, entraUser, patch, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)("a group's membership PATCH on %s", (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  const users: string[] = [];
  const db = () => t.db.store.db;
  const s = (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown, headers = {}) =>
    scim(t.app, a, method, `${a.base}${path}`, body, headers);
  const members = (op: 'Add' | 'Remove', ids: string[]) =>
    patch({ op, path: 'members', value: ids.map((value) => ({ value })) });
  const newGroup = async (displayName: string) =>
    (await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName })).json().id as string;
  /** The group as SCIM answers it: member ids (sorted), version and lastModified. */
  const state = async (id: string) => {
    const g = (await s('GET', `/Groups/${id}`)).json();
    const ids = ((g.members ?? []) as { value: string }[]).map((m) => m.value).sort();
    return { members: ids, version: g.meta.version as string, lastModified: g.meta.lastModified as string };
  };
  /** This tenant's events after `after` events, in feed order, without ids. */
  const eventsAfter = async (after: number) =>
    (
      await sql<{ id: string; type: string; occurred_at: string; data: string }>`select id, type, occurred_at, data
        from events where tenant_id = ${a.tenantId}
        order by ${sql.raw(kind === 'postgres' ? 'xid, seq' : 'seq')}`.execute(db())
    ).rows
      .slice(after)
      .map((r) => ({ id: r.id, type: r.type, at: r.occurred_at, data: JSON.parse(r.data) }));
  const eventCount = async () =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from events where tenant_id = ${a.tenantId}`.execute(db()))
        .rows[0]!.n,
    );

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'Members');
    for (let i = 0; i < 6; i++) {
      users.push((await s('POST', '/Users', entraUser(`u${i}@contoso.example`, `oid-u${i}`))).json().id);
    }
  });
  afterAll(() => t?.dispose());

  it('adds and removes as the locked path does: set semantics, one version per change, an event per member in the order named', async () => {
    const g = await newGroup('Engineering');
    const nested = await newGroup('Nested');
    const start = await state(g);
    const before = await eventCount();
    t.clock.advance(1000);
    // A duplicate and a group among the members named: each member once, each event once, in the order named.
    const add = members('Add', [users[2]!, users[0]!, users[2]!, nested, users[1]!]);
    expect((await s('PATCH', `/Groups/${g}`, add)).statusCode).toBe(204);
    const added = await state(g);
    expect(added.members).toEqual([users[0]!, users[1]!, users[2]!, nested].sort());
    expect(added.version).toBe(`W/"${Number(/\d+/.exec(start.version)![0]) + 1}"`);
    expect(added.lastModified).toBe(t.clock.now().toISOString());
    const events = await eventsAfter(before);
    expect(events.map((e) => [e.type, e.data])).toEqual(
      [users[2]!, users[0]!, nested, users[1]!].map((id) => [
        'group.member_added',
        { groupId: g, memberId: id, memberType: id === nested ? 'group' : 'user' },
      ]),
    );
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    for (const e of events) {
      expect(e.id).toMatch(/^evt_/);
      expect(e.at).toBe(t.clock.now().toISOString());
    }

    // Members already there, or already gone: not a write (no version, no lastModified, no event).
    t.clock.advance(1000);
    expect((await s('PATCH', `/Groups/${g}`, members('Add', [users[0]!, nested]))).statusCode).toBe(204);
    expect((await s('PATCH', `/Groups/${g}`, members('Remove', [users[5]!]))).statusCode).toBe(204);
    expect(await state(g)).toEqual(added);
    expect(await eventCount()).toBe(before + 4);

    // A remove naming present and absent members: only the present ones leave, each with its event.
    t.clock.advance(1000);
    expect((await s('PATCH', `/Groups/${g}`, members('Remove', [users[5]!, users[2]!, nested]))).statusCode).toBe(204);
    const removed = await state(g);
    expect(removed.members).toEqual([users[0]!, users[1]!].sort());
    expect(removed.version).toBe(`W/"${Number(/\d+/.exec(added.version)![0]) + 1}"`);
    expect(removed.lastModified).toBe(t.clock.now().toISOString());
    expect((await eventsAfter(before + 4)).map((e) => [e.type, e.data.memberId, e.data.memberType])).toEqual([
      ['group.member_removed', users[2]!, 'user'],
      ['group.member_removed', nested, 'group'],
    ]);
  });

  it('an unknown member, the group itself, a stale If-Match, a missing group: the same answers, and nothing written', async () => {
    const g = await newGroup('Errors');
    expect((await s('PATCH', `/Groups/${g}`, members('Add', [users[0]!]))).statusCode).toBe(204);
    const kept = await state(g);
    const before = await eventCount();
    const unknown = await s('PATCH', `/Groups/${g}`, members('Add', [users[1]!, 'no-such-user']));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().scimType).toBe('invalidValue');
    expect(unknown.json().detail).toMatch(/no-such-user/);
    const self = await s('PATCH', `/Groups/${g}`, members('Add', [users[1]!, g]));
    expect(self.statusCode).toBe(400);
    expect(self.json().scimType).toBe('invalidValue');
    const stale = await s('PATCH', `/Groups/${g}`, members('Add', [users[1]!]), { 'if-match': 'W/"1"' });
    expect(stale.statusCode).toBe(412);
    expect(await state(g)).toEqual(kept);
    expect(await eventCount()).toBe(before);
    const missing = await s('PATCH', '/Groups/no-such-group', members('Add', [users[1]!]));
    expect(missing.statusCode).toBe(404);
    // The If-Match of the version it is at: the write goes ahead.
    const current = await s('PATCH', `/Groups/${g}`, members('Add', [users[1]!]), { 'if-match': kept.version });
    expect(current.statusCode).toBe(204);
    expect((await state(g)).members).toEqual([users[0]!, users[1]!].sort());
  });

  it("another tenant's user is unknown here, and its group cannot be changed through this tenant's token", async () => {
    const b = await scimTenant(t.app, 'Other');
    const theirs = (await scim(t.app, b, 'POST', `${b.base}/Users`, entraUser('x@b.example', 'oid-x'))).json().id;
    const theirGroup = (
      await scim(t.app, b, 'POST', `${b.base}/Groups`, { schemas: [CORE_GROUP], displayName: 'Theirs' })
    ).json().id;
    const g = await newGroup('Mine');
    expect((await s('PATCH', `/Groups/${g}`, members('Add', [theirs]))).statusCode).toBe(400);
    expect((await s('PATCH', `/Groups/${theirGroup}`, members('Add', [users[0]!]))).statusCode).toBe(404);
    const listed = (await scim(t.app, b, 'GET', `${b.base}/Groups/${theirGroup}`)).json();
    expect(listed.members ?? []).toEqual([]);
  });

  it('a group whose tenant maps groups to roles still makes the role events of a membership change', async () => {
    const admin = (method: 'POST', url: string, body: unknown) =>
      call(t.app, method, url, { token: a.adminToken, body });
    const g = await newGroup('Admins');
    expect((await admin('POST', '/iam/v1/roles', { key: 'admin', name: 'Admin' })).statusCode).toBe(201);
    expect((await admin('POST', '/iam/v1/role-mappings', { groupId: g, role: 'admin' })).statusCode).toBe(201);
    const before = await eventCount();
    expect((await s('PATCH', `/Groups/${g}`, members('Add', [users[3]!]))).statusCode).toBe(204);
    const events = await eventsAfter(before);
    expect(events.map((e) => e.type).sort()).toEqual(['group.member_added', 'user.updated']);
    expect(events.find((e) => e.type === 'user.updated')!.data.roles).toEqual(['admin']);
  });

  it.runIf(kind === 'postgres')(
    'the one statement writes nothing for a group that moved since it was read, or an unknown member',
    async () => {
      const single = t.db.store.scim.singleStatement!;
      // A tenant that maps no group to roles (the test above made this one map one).
      a = await scimTenant(t.app, 'Unmapped');
      users.length = 0;
      for (let i = 0; i < 6; i++) {
        users.push((await s('POST', '/Users', entraUser(`u${i}@contoso.example`, `oid-u${i}`))).json().id);
      }
      const g = await newGroup('Moved');
      const read = (await t.db.store.scim.groups.get(a.tenantId, g))!;
      expect((await s('PATCH', `/Groups/${g}`, members('Add', [users[4]!]))).statusCode).toBe(204);
      const before = await eventCount();
      const change = (ids: string[], group = read) => ({
        group,
        kind: 'add' as const,
        ids,
        events: memberEventsPlan({ clock: t.clock, publicUrl: 'https://roster.test' }, g, 'group.member_added', ids),
        lastModified: t.clock.now().toISOString(),
      });
      // Read before that PATCH: its version is gone, so nothing is written and the caller takes the locked path.
      expect(await single.changeGroupMembers(change([users[5]!]))).toBeUndefined();
      const now = (await t.db.store.scim.groups.get(a.tenantId, g))!;
      expect(await single.changeGroupMembers(change([users[5]!, 'nobody'], now))).toBeUndefined();
      expect((await state(g)).members).toEqual([users[4]!]);
      expect(await eventCount()).toBe(before);
      // At the current version it writes, and answers the members that changed.
      const written = await single.changeGroupMembers(change([users[5]!, users[4]!], now));
      expect(written).toEqual({ version: now.version + 1, changed: [{ value: users[5]!, type: 'User' }] });
      expect((await state(g)).members).toEqual([users[4]!, users[5]!].sort());
      expect(await eventCount()).toBe(before + 1);
    },
  );
});
