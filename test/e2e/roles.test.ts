// Roles (issue 13 item 4, ADR 0032) on both stores, through real sign-ins at the stand-in Entra ID: the catalogue,
// group→role mappings through nested groups into the `roles` claim and userinfo, the default role at SCIM create
// and JIT (with a SCIM token's override), direct assignment, `user.updated` events, and tenant isolation.
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/app.ts';
import { CORE_GROUP, entraUser, patch, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { beginAppSignIn, completeAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('roles (%s)', (kind) => {
  let rig: SignInRig;
  let other: ScimTenant;
  beforeAll(async () => {
    rig = await startSignInRig(kind, { autoProvisioningEnabled: true });
    other = await scimTenant(rig.t.app, 'Fabrikam');
  });
  afterAll(() => rig?.dispose());

  const admin = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, token?: string) =>
    call(rig.t.app, method, url, { token: token ?? rig.tenant.adminToken, body });
  const s = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, tenant = rig.tenant) =>
    scim(rig.t.app, tenant, method, `${tenant.base}${path}`, body);

  async function role(key: string) {
    const res = await admin('POST', '/iam/v1/roles', { key, name: `Role ${key}` });
    expect(res.statusCode, res.body).toBe(201);
  }
  async function user(userName: string, externalId = randomUUID(), tenant = rig.tenant) {
    const res = await s('POST', '/Users', entraUser(userName, externalId), tenant);
    expect(res.statusCode, res.body).toBe(201);
    return { id: res.json().id as string, oid: externalId };
  }
  async function group(displayName: string, members: string[] = []) {
    const res = await s('POST', '/Groups', {
      schemas: [CORE_GROUP],
      displayName,
      members: members.map((value) => ({ value })),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }
  async function directoryRoles(id: string) {
    const res = await admin('GET', `/iam/v1/directory/users/${id}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().roles as string[];
  }
  async function signIn(person: { oid: string; upn: string }) {
    rig.entra.signInAs(person);
    const sign = await beginAppSignIn(rig, { scope: 'openid profile roles' });
    const { claims, tokens } = await completeAppSignIn(sign, rig);
    const info = await oidc.fetchUserInfo(sign.config, tokens.access_token, claims.sub!);
    return { claims, info };
  }
  async function roleEvents(after?: string) {
    const q = `limit=1000&types=user.updated${after ? `&after=${after}` : ''}`;
    const res = await admin('GET', `/iam/v1/events?${q}`);
    expect(res.statusCode, res.body).toBe(200);
    const events = (res.json().data as { data: Record<string, unknown> }[]).filter((e) =>
      (e.data.changedAttributes as string[]).includes('roles'),
    );
    return { events, cursor: res.json().nextCursor as string };
  }

  it('the catalogue: safe keys, unique per tenant, and a role in use cannot be deleted (its uses are listed)', async () => {
    await role('viewer');
    const dup = await admin('POST', '/iam/v1/roles', { key: 'viewer', name: 'Again' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('role.key_taken');
    for (const key of ['Viewer', '1st', 'a b', '../x', 'x'.repeat(65), '']) {
      const bad = await admin('POST', '/iam/v1/roles', { key, name: 'Bad' });
      expect(bad.statusCode, key).toBe(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
    }
    expect((await admin('GET', '/iam/v1/roles')).json().items).toContainEqual(
      expect.objectContaining({ key: 'viewer', name: 'Role viewer' }),
    );
    const u = await user('viewer-holder@contoso.com');
    expect((await admin('PUT', `/iam/v1/directory/users/${u.id}/roles`, { roles: ['viewer'] })).statusCode).toBe(200);
    const refused = await admin('DELETE', '/iam/v1/roles/viewer');
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'role.in_use', errors: [{ field: 'users' }] });
    expect((await admin('PUT', `/iam/v1/directory/users/${u.id}/roles`, { roles: [] })).statusCode).toBe(200);
    expect((await admin('DELETE', '/iam/v1/roles/viewer')).statusCode).toBe(204);
    expect((await admin('DELETE', '/iam/v1/roles/viewer')).statusCode).toBe(404);
  });

  it('a user in a nested mapped group gets the role in the ID token and at userinfo; removing the membership over SCIM removes it at the next sign-in', async () => {
    await role('editor');
    const alex = await user('alex@contoso.com');
    const platform = await group('Platform', [alex.id]);
    const engineering = await group('Engineering', [platform]);
    const { cursor } = await roleEvents();
    const mapped = await admin('POST', '/iam/v1/role-mappings', { groupId: engineering, role: 'editor' });
    expect(mapped.statusCode, mapped.body).toBe(201);
    expect(mapped.json()).toMatchObject({ groupId: engineering, role: 'editor' });
    const dupMapping = await admin('POST', '/iam/v1/role-mappings', { groupId: engineering, role: 'editor' });
    expect(dupMapping.json().code).toBe('role_mapping.exists');

    // The mapping changed alex's effective roles: one user.updated carrying them.
    const { events } = await roleEvents(cursor);
    expect(events.map((e) => [e.data.id, e.data.roles])).toEqual([[alex.id, ['editor']]]);
    expect(await directoryRoles(alex.id)).toEqual(['editor']);

    const first = await signIn({ oid: alex.oid, upn: 'alex@contoso.com' });
    expect(first.claims.sub).toBe(alex.id);
    expect(first.claims.roles).toEqual(['editor']);
    expect(first.info.roles).toEqual(['editor']);

    const beforeRemoval = (await roleEvents()).cursor;
    const removed = await s(
      'PATCH',
      `/Groups/${platform}`,
      patch({ op: 'remove', path: `members[value eq "${alex.id}"]` }),
    );
    expect(removed.statusCode, removed.body).toBeLessThan(300);
    // The membership change over SCIM moved alex's roles: its user.updated commits with the PATCH.
    const afterRemoval = await roleEvents(beforeRemoval);
    expect(afterRemoval.events.map((e) => [e.data.id, e.data.roles])).toEqual([[alex.id, []]]);
    const second = await signIn({ oid: alex.oid, upn: 'alex@contoso.com' });
    expect(second.claims.roles).toEqual([]);
    expect(second.info.roles).toEqual([]);
    expect(await directoryRoles(alex.id)).toEqual([]);

    // Without the `roles` scope there is no roles claim.
    rig.entra.signInAs({ oid: alex.oid, upn: 'alex@contoso.com' });
    expect((await completeAppSignIn(await beginAppSignIn(rig), rig)).claims.roles).toBeUndefined();

    // Removing the mapping is refused for another tenant's token, then made by its own.
    expect(
      (await admin('DELETE', `/iam/v1/role-mappings/${mapped.json().id}`, undefined, other.adminToken)).statusCode,
    ).toBe(404);
    expect((await admin('DELETE', `/iam/v1/role-mappings/${mapped.json().id}`)).statusCode).toBe(204);
  });

  it('direct assignment: effective roles are direct ∪ mapped, and each change makes one user.updated', async () => {
    await role('billing');
    await role('support');
    const kim = await user('kim@contoso.com');
    const team = await group('Support team', [kim.id]);
    const { cursor } = await roleEvents();
    const put = await admin('PUT', `/iam/v1/directory/users/${kim.id}/roles`, { roles: ['billing', 'billing'] });
    expect(put.json()).toEqual({ userId: kim.id, roles: ['billing'], effectiveRoles: ['billing'] });
    const mapping = await admin('POST', '/iam/v1/role-mappings', { groupId: team, role: 'support' });
    expect(mapping.statusCode).toBe(201);
    // Mapping a role the user already has directly changes nothing: no event.
    await admin('POST', '/iam/v1/role-mappings', { groupId: team, role: 'billing' });
    const { events } = await roleEvents(cursor);
    expect(events.map((e) => e.data.roles)).toEqual([['billing'], ['billing', 'support']]);
    expect(events[0]?.data).toMatchObject({ id: kim.id, userName: 'kim@contoso.com', changedAttributes: ['roles'] });
    const unknown = await admin('PUT', `/iam/v1/directory/users/${kim.id}/roles`, { roles: ['nope'] });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('role.not_found');
    expect((await admin('PUT', '/iam/v1/directory/users/no-such-user/roles', { roles: [] })).statusCode).toBe(404);
  });

  it('the default role: given at SCIM create and JIT, overridden per SCIM token, and changing it rewrites nobody', async () => {
    await role('member');
    await role('contractor');
    expect((await admin('PATCH', '/iam/v1/settings', { defaultRole: 'nope' })).statusCode).toBe(404);
    const set = await admin('PATCH', '/iam/v1/settings', { defaultRole: 'member' });
    expect(set.json()).toMatchObject({ defaultRole: 'member' });
    expect((await admin('GET', '/iam/v1/settings')).json()).toMatchObject({ defaultRole: 'member' });

    const scimCreated = await user('dana@contoso.com');
    expect(await directoryRoles(scimCreated.id)).toEqual(['member']);

    // JIT: an unknown person signs in (autoProvisioningEnabled) and has the default role in the same token.
    const jit = await signIn({ oid: randomUUID(), upn: 'jit-roles@contoso.com' });
    expect(jit.claims.roles).toEqual(['member']);

    // A SCIM token whose users get another role.
    const token = await admin('POST', '/iam/v1/scim', {
      provider: 'entra',
      providerDisplayName: 'Contractors',
      defaultRole: 'contractor',
    });
    expect(token.statusCode, token.body).toBe(201);
    expect(token.json().defaultRole).toBe('contractor');
    const viaToken = await user('erin@contoso.com', randomUUID(), { ...rig.tenant, scimToken: token.json().token });
    expect(await directoryRoles(viaToken.id)).toEqual(['contractor']);
    const inUse = await admin('DELETE', '/iam/v1/roles/contractor');
    expect(inUse.json().errors).toContainEqual(expect.objectContaining({ field: 'scimTokens' }));

    // Changing the default: existing users keep theirs; new users get the new one; none at all gives none.
    await admin('PATCH', '/iam/v1/settings', { defaultRole: 'contractor' });
    expect(await directoryRoles(scimCreated.id)).toEqual(['member']);
    expect(await directoryRoles((await user('fay@contoso.com')).id)).toEqual(['contractor']);
    await admin('PATCH', '/iam/v1/settings', { defaultRole: null });
    expect(await directoryRoles((await user('gus@contoso.com')).id)).toEqual([]);
    expect(await directoryRoles(scimCreated.id)).toEqual(['member']);
  });

  it('membership changes over SCIM make role events for the users whose roles moved, nested groups included', async () => {
    await role('ops');
    const [ann, bob] = [await user('ann@contoso.com'), await user('bob@contoso.com')];
    const oncall = await group('On-call', [ann.id]);
    const sre = await group('SRE', []);
    expect((await admin('POST', '/iam/v1/role-mappings', { groupId: sre, role: 'ops' })).statusCode).toBe(201);
    let { cursor } = await roleEvents();
    const moved = async () => {
      const next = await roleEvents(cursor);
      cursor = next.cursor;
      return next.events.map((e) => [e.data.id, e.data.roles]).sort();
    };
    const add = (groupId: string, value: string) =>
      s('PATCH', `/Groups/${groupId}`, patch({ op: 'add', path: 'members', value: [{ value }] }));
    // A nested group joins: its users get the role; a direct user joins; re-adding a member changes nothing.
    await add(sre, oncall);
    expect(await moved()).toEqual([[ann.id, ['ops']]]);
    await add(sre, bob.id);
    expect(await moved()).toEqual([[bob.id, ['ops']]]);
    await add(sre, bob.id);
    expect(await moved()).toEqual([]);
    // A group without mapped ancestry makes none.
    await add(await group('Unmapped', []), bob.id);
    expect(await moved()).toEqual([]);
    // Deleting the mapped group takes its mapping: both lose the role.
    expect((await s('DELETE', `/Groups/${sre}`)).statusCode).toBe(204);
    expect(await moved()).toEqual(
      [
        [ann.id, []],
        [bob.id, []],
      ].sort(),
    );
    const mappings = (await admin('GET', '/iam/v1/role-mappings')).json().items as { groupId: string }[];
    expect(mappings.some((m) => m.groupId === sre)).toBe(false);
    expect(await directoryRoles(ann.id)).toEqual([]);
  });

  it('tenant isolation: another tenant can neither see nor use this tenant’s roles, groups or users', async () => {
    await role('secret-role');
    const victim = await user('victim-roles@contoso.com');
    const victimGroup = await group('Victim group', [victim.id]);
    const o = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
      admin(method, url, body, other.adminToken);
    expect((await o('GET', '/iam/v1/roles')).json().items).toEqual([]);
    expect((await o('GET', '/iam/v1/role-mappings')).json().items).toEqual([]);
    expect((await o('DELETE', '/iam/v1/roles/secret-role')).statusCode).toBe(404);
    // Its own group with the other tenant's role key: unknown role.
    const own = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'Own' }, other);
    const withForeignRole = await o('POST', '/iam/v1/role-mappings', { groupId: own.json().id, role: 'secret-role' });
    expect(withForeignRole.json().code).toBe('role.not_found');
    // The same key in its own catalogue, on the other tenant's group: unknown group.
    expect((await o('POST', '/iam/v1/roles', { key: 'secret-role', name: 'Mine' })).statusCode).toBe(201);
    const withForeignGroup = await o('POST', '/iam/v1/role-mappings', { groupId: victimGroup, role: 'secret-role' });
    expect(withForeignGroup.statusCode).toBe(404);
    expect(withForeignGroup.json().code).toBe('directory.not_found');
    const onForeignUser = await o('PUT', `/iam/v1/directory/users/${victim.id}/roles`, { roles: ['secret-role'] });
    expect(onForeignUser.statusCode).toBe(404);
    expect((await o('PATCH', '/iam/v1/settings', { defaultRole: 'secret-role' })).statusCode).toBe(200);
    // Tenant A's catalogue is untouched and its users keep their roles.
    expect(await directoryRoles(victim.id)).toEqual([]);
    expect(
      (await admin('GET', '/iam/v1/roles')).json().items.filter((r: { key: string }) => r.key === 'secret-role'),
    ).toEqual([expect.objectContaining({ name: 'Role secret-role' })]);
  });
});
