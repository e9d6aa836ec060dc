// One table per resource type binding the SCIM use cases to the wire: the routes below are shared by Users and Groups.
import type { ScimCaller, ScimDeps } from '../../core/scim/context.ts';
import { createGroup, deleteGroup, getGroup, patchGroup, replaceGroup } from '../../core/scim/groups.ts';
import type { MemberView, ScimResourceType, StoredGroup, StoredUser } from '../../core/scim/records.ts';
import { createUser, deleteUser, getUser, patchUser, replaceUser } from '../../core/scim/users.ts';
import { groupText, renderGroup, renderUser, userText } from './render.ts';

export interface PatchOutcome {
  readonly resource: StoredUser | StoredGroup;
  readonly changed: readonly string[];
}

export interface ResourceBinding {
  readonly type: ScimResourceType;
  readonly endpoint: '/Users' | '/Groups';
  /** The computed, potentially large attribute read only when the response includes it. */
  readonly computed: 'groups' | 'members';
  /**
   * What a successful PATCH answers when the request names neither `attributes` nor `excludedAttributes`
   * (RFC 7644 §3.5.2: 200 with the resource, or 204). 'no-content' where the resource grows with its computed
   * attribute, so a membership write costs what it names (docs/adr/0022-group-patch-204.md).
   */
  readonly unprojectedPatchAnswer: 'resource' | 'no-content';
  create(deps: ScimDeps, caller: ScimCaller, body: unknown): Promise<StoredUser | StoredGroup>;
  get(deps: ScimDeps, caller: ScimCaller, id: string): Promise<StoredUser | StoredGroup>;
  replace(
    deps: ScimDeps,
    caller: ScimCaller,
    id: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<StoredUser | StoredGroup>;
  patch(deps: ScimDeps, caller: ScimCaller, id: string, body: unknown, ifMatch?: string): Promise<PatchOutcome>;
  delete(deps: ScimDeps, caller: ScimCaller, id: string, ifMatch?: string): Promise<void>;
  /** Full representations; `withComputed` decides whether groups/members are read at all. */
  render(
    deps: ScimDeps,
    tenantId: string,
    items: readonly (StoredUser | StoredGroup)[],
    baseUrl: string,
    withComputed: boolean,
  ): Promise<Record<string, unknown>[]>;
  /** The same full representations as JSON text, splicing the stored data (see `storedDataIsDefaultShape`). */
  renderText(
    deps: ScimDeps,
    tenantId: string,
    items: readonly (StoredUser | StoredGroup)[],
    baseUrl: string,
    withComputed: boolean,
  ): Promise<string[]>;
}

async function groupsOfUsers(deps: ScimDeps, tenantId: string, items: readonly StoredUser[], withComputed: boolean) {
  if (!withComputed) return () => undefined;
  // A write's result carries the groups its transaction read: no second lookup for its response.
  if (items.every((u) => u.directGroups !== undefined)) {
    const known = new Map(items.map((u) => [u.id, u.directGroups!]));
    return (id: string) => known.get(id) ?? [];
  }
  const groups = await deps.scim.users.groupsOf(
    tenantId,
    items.map((u) => u.id),
  );
  return (id: string) => groups.get(id) ?? [];
}

/** Each group with its members, read only when the response includes them. */
async function eachGroup<R>(
  deps: ScimDeps,
  tenantId: string,
  items: readonly StoredGroup[],
  withComputed: boolean,
  render: (group: StoredGroup, members: readonly MemberView[] | undefined) => R,
): Promise<R[]> {
  const out: R[] = [];
  for (const g of items) out.push(render(g, withComputed ? await deps.scim.groups.members(tenantId, g.id) : undefined));
  return out;
}

export const userBinding: ResourceBinding = {
  type: 'User',
  endpoint: '/Users',
  computed: 'groups',
  // Okta and Entra read the user back from the PATCH answer; a user's answer does not grow with anything.
  unprojectedPatchAnswer: 'resource',
  create: createUser,
  get: getUser,
  replace: replaceUser,
  async patch(deps, caller, id, body, ifMatch) {
    const r = await patchUser(deps, caller, id, body, ifMatch);
    return { resource: r.user, changed: r.changed };
  },
  delete: deleteUser,
  async render(deps, tenantId, items, baseUrl, withComputed) {
    const groupsOf = await groupsOfUsers(deps, tenantId, items as StoredUser[], withComputed);
    return items.map((u) => renderUser(u as StoredUser, baseUrl, groupsOf(u.id)));
  },
  async renderText(deps, tenantId, items, baseUrl, withComputed) {
    const groupsOf = await groupsOfUsers(deps, tenantId, items as StoredUser[], withComputed);
    return items.map((u) => userText(u as StoredUser, baseUrl, groupsOf(u.id)));
  },
};

export const groupBinding: ResourceBinding = {
  type: 'Group',
  endpoint: '/Groups',
  computed: 'members',
  // The whole group would carry every member: 2.2 MB per 100-member PATCH at 10,000 members.
  unprojectedPatchAnswer: 'no-content',
  create: createGroup,
  get: getGroup,
  replace: replaceGroup,
  async patch(deps, caller, id, body, ifMatch) {
    const r = await patchGroup(deps, caller, id, body, ifMatch);
    return { resource: r.group, changed: r.changed };
  },
  delete: deleteGroup,
  render: (deps, tenantId, items, baseUrl, withComputed) =>
    eachGroup(deps, tenantId, items, withComputed, (g, members) => renderGroup(g, baseUrl, members)),
  renderText: (deps, tenantId, items, baseUrl, withComputed) =>
    eachGroup(deps, tenantId, items, withComputed, (g, members) => groupText(g, baseUrl, members)),
};
