// SCIM Group use cases: members are rows changed by deltas, so a PATCH costs what it names, not the group's size.
import { newId } from '../../lib/ids.ts';
import { scimErrors } from '../../scim/errors.ts';
import { applyPatch } from '../../scim/patch/apply.ts';
import { parsePatchRequest } from '../../scim/patch/message.ts';
import { toStoredResource } from '../../scim/resource/validate.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import { DomainError } from '../errors.ts';
import { changedAttributes } from '../events/directory.ts';
import { withMembershipRoleEvents } from '../roles/membership-events.ts';
import type { ScimCaller, ScimDeps } from './context.ts';
import { currentForWrite, existing, ifMatchHolds } from './etag.ts';
import { groupWritten, memberEventsPlan, membersChanged } from './events.ts';
import type { ScimRepositories } from './ports.ts';
import { idsNamed, type MemberChange, type ResourceData, type StoredGroup } from './records.ts';

/** Members named in one request: bounded so one call cannot hold a transaction for long. */
export const MAX_MEMBERS_PER_REQUEST = 1000;

const notFound = () => new DomainError('scim.not_found', 'no such Group');

/** `members` of a POST/PUT body → member ids (types are learnt from the store, never trusted from the body). */
function membersOf(body: unknown): string[] {
  const members = (body as { members?: unknown } | null)?.members;
  if (members === undefined || members === null) return [];
  if (!Array.isArray(members)) throw scimErrors.invalidValue('members must be an array');
  if (members.length > MAX_MEMBERS_PER_REQUEST) {
    throw scimErrors.invalidValue(`at most ${MAX_MEMBERS_PER_REQUEST} members may be named in one request`);
  }
  return members.map((m, i) => {
    const value = (m as { value?: unknown } | null)?.value;
    if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
      throw scimErrors.invalidValue(`members[${i}].value must be a non-empty string id`);
    }
    return value;
  });
}

function withoutMembers(resource: Record<string, unknown>): ResourceData {
  const { members: _members, ...data } = resource;
  return data;
}

/** Every id added as a member must be a user or group of this tenant (another tenant's id is "unknown"). */
async function checkMembersExist(
  tx: ScimRepositories,
  tenantId: string,
  groupId: string,
  ids: readonly string[],
): Promise<ReadonlyMap<string, 'User' | 'Group'> | undefined> {
  if (ids.length === 0) return undefined;
  // Key-share locks: a member deleted concurrently either waits for this transaction (and then takes the new
  // membership with it) or has committed first (and is then unknown here).
  const known = await tx.groups.resolveMembers(tenantId, ids, { lock: true });
  const unknown = ids.find((id) => !known.has(id));
  if (unknown !== undefined)
    throw scimErrors.invalidValue(`member "${unknown.slice(0, 64)}" is not a User or Group of this tenant`);
  if (ids.includes(groupId)) throw scimErrors.invalidValue('a group cannot be a member of itself');
  return known;
}

function memberIdsAdded(changes: readonly MemberChange[]): string[] {
  return changes.flatMap((c) => (c.kind === 'add' ? idsNamed(c) : []));
}

export async function createGroup(deps: ScimDeps, caller: ScimCaller, body: unknown): Promise<StoredGroup> {
  const memberIds = membersOf(body);
  const data = withoutMembers(toStoredResource(body, 'Group', scimRegistry, { mode: 'create' }));
  const now = deps.clock.now().toISOString();
  const group: StoredGroup = {
    tenantId: caller.tenantId,
    id: newId(),
    data,
    version: 1,
    createdAt: now,
    lastModified: now,
    createdByToken: caller.tokenId,
    provider: caller.provider,
  };
  await deps.scim.transaction(async (tx) => {
    const known = await checkMembersExist(tx, caller.tenantId, group.id, memberIds);
    await tx.groups.insert(group);
    const delta =
      memberIds.length > 0
        ? await tx.groups.applyMemberChanges(
            caller.tenantId,
            group.id,
            [{ kind: 'add', members: memberIds.map((value) => ({ value })) }],
            known,
          )
        : { added: [], removed: [] };
    await groupWritten(deps, tx, 'group.created', group, delta.added.length);
    await membersChanged(deps, tx, caller.tenantId, group.id, delta);
  });
  return group;
}

export function getGroup(deps: ScimDeps, caller: ScimCaller, id: string): Promise<StoredGroup> {
  const prefetched = caller.prefetchedGroup;
  if (prefetched?.id === id) {
    return prefetched.group ? Promise.resolve(prefetched.group) : Promise.reject(notFound());
  }
  return existing(deps.scim.groups, caller.tenantId, id, notFound);
}

/** PUT replaces the whole group, members included (Okta's classic Group Push). */
export async function replaceGroup(
  deps: ScimDeps,
  caller: ScimCaller,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
): Promise<StoredGroup> {
  const memberIds = membersOf(body);
  return deps.scim.transaction(async (tx) => {
    const current = await currentForWrite(tx.groups, caller.tenantId, id, ifMatch, notFound);
    const data = withoutMembers(
      toStoredResource(body, 'Group', scimRegistry, { mode: 'replace', existing: { ...current.data, id } }),
    );
    const known = await checkMembersExist(tx, caller.tenantId, id, memberIds);
    const next: StoredGroup = {
      ...current,
      data,
      version: current.version + 1,
      lastModified: deps.clock.now().toISOString(),
    };
    if (!(await tx.groups.update(next, current.version))) throw notFound();
    const replaced: MemberChange[] = [
      { kind: 'removeAll' },
      { kind: 'add', members: memberIds.map((value) => ({ value })) },
    ];
    const delta = await withMembershipRoleEvents(deps, tx, caller.tenantId, id, replaced, () =>
      tx.groups.applyMemberChanges(caller.tenantId, id, replaced, known),
    );
    // The version moved, so the group is updated even when only its members (or nothing) changed.
    await groupWritten(deps, tx, 'group.updated', next, new Set(memberIds).size, changedAttributes(current.data, data));
    await membersChanged(deps, tx, caller.tenantId, id, delta);
    return next;
  });
}

type PatchedGroup = { group: StoredGroup; changed: readonly string[]; membersChanged: boolean };

/** Member changes that all add or all remove listed ids: their kind and distinct ids in the order named. */
function oneKindOfChange(changes: readonly MemberChange[]): { kind: 'add' | 'remove'; ids: string[] } | undefined {
  const kind = changes[0]?.kind;
  if (kind !== 'add' && kind !== 'remove') return undefined;
  if (changes.some((c) => c.kind !== kind)) return undefined;
  const ids = [...new Set(changes.flatMap(idsNamed))];
  return ids.length > 0 ? { kind, ids } : undefined;
}

/**
 * An IdP's membership PATCH (members added, or members removed, and nothing else) as ONE statement on the group the
 * token's statement read (PostgreSQL, ADR 0062). Answers undefined when this cannot serve the request — no such
 * read, an If-Match naming another version, an error found on the read, other attributes or mixed kinds of member
 * change, a group carrying roles, an unknown member, or a group that moved since — and the caller takes the locked
 * path, which decides on a fresh read exactly as before.
 */
async function membersInOneStatement(
  deps: ScimDeps,
  caller: ScimCaller,
  id: string,
  operations: ReturnType<typeof parsePatchRequest>,
  ifMatch: string | undefined,
): Promise<PatchedGroup | undefined> {
  const single = deps.scim.singleStatement;
  const current = caller.prefetchedGroup?.id === id ? caller.prefetchedGroup.group : undefined;
  if (single === undefined || !current || !ifMatchHolds(ifMatch, current.version)) return undefined;
  let changes: ReturnType<typeof applyPatch>['changes'];
  try {
    ({ changes } = applyPatch(current.data, operations, {
      resourceTypeId: 'Group',
      registry: scimRegistry,
      resourceId: id,
    }));
  } catch {
    return undefined;
  }
  if (changes.changedAttributes.some((a: string) => a !== 'members')) return undefined;
  const one = oneKindOfChange((changes.members ?? []) as readonly MemberChange[]);
  if (!one || (one.kind === 'add' && one.ids.includes(id))) return undefined;
  const type = one.kind === 'add' ? 'group.member_added' : 'group.member_removed';
  const lastModified = deps.clock.now().toISOString();
  const events = memberEventsPlan(deps, id, type, one.ids);
  const written = await single.changeGroupMembers({
    group: current,
    kind: one.kind,
    ids: one.ids,
    events,
    lastModified,
  });
  if (!written) return undefined;
  if (written.version === undefined) return { group: current, changed: [], membersChanged: false };
  const group = { ...current, version: written.version, lastModified };
  return { group, changed: changes.changedAttributes, membersChanged: true };
}

export async function patchGroup(
  deps: ScimDeps,
  caller: ScimCaller,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
): Promise<PatchedGroup> {
  const operations = parsePatchRequest(body);
  const once = await membersInOneStatement(deps, caller, id, operations, ifMatch);
  if (once) return once;
  return deps.scim.transaction(async (tx) => {
    // The row lock serialises concurrent PATCHes of one group, so version bumps and member deltas never interleave.
    const current = await currentForWrite(tx.groups, caller.tenantId, id, ifMatch, notFound);
    const { next, changes } = applyPatch(current.data, operations, {
      resourceTypeId: 'Group',
      registry: scimRegistry,
      resourceId: id,
    });
    const memberChanges = (changes.members ?? []) as readonly MemberChange[];
    const known = await checkMembersExist(tx, caller.tenantId, id, memberIdsAdded(memberChanges));
    const attributesChanged = changes.changedAttributes.filter((a: string) => a !== 'members');
    // Member deltas first (the group's row is locked): re-adding present members or removing absent ones changes
    // nothing, and a PATCH that changes nothing is not a write — no version, no lastModified, no event.
    const delta =
      memberChanges.length > 0
        ? await withMembershipRoleEvents(deps, tx, caller.tenantId, id, memberChanges, () =>
            tx.groups.applyMemberChanges(caller.tenantId, id, memberChanges, known),
          )
        : { added: [], removed: [] };
    const membersMoved = delta.added.length > 0 || delta.removed.length > 0;
    if (attributesChanged.length === 0 && !membersMoved) {
      return { group: current, changed: [], membersChanged: false };
    }
    const group: StoredGroup = {
      ...current,
      data: attributesChanged.length > 0 ? next : current.data,
      version: current.version + 1,
      lastModified: deps.clock.now().toISOString(),
    };
    if (!(await tx.groups.update(group, current.version))) throw notFound();
    // Member changes alone make member events only; `group.updated` (and its member count) is for other attributes.
    if (attributesChanged.length > 0) {
      const count = await tx.groups.countMembers(caller.tenantId, id);
      await groupWritten(deps, tx, 'group.updated', group, count, attributesChanged);
    }
    await membersChanged(deps, tx, caller.tenantId, id, delta);
    return { group, changed: changes.changedAttributes, membersChanged: membersMoved };
  });
}

export async function deleteGroup(
  deps: ScimDeps,
  caller: ScimCaller,
  id: string,
  ifMatch: string | undefined,
): Promise<void> {
  await deps.scim.transaction(async (tx) => {
    const current = await currentForWrite(tx.groups, caller.tenantId, id, ifMatch, notFound, 'delete');
    const count = await tx.groups.countMembers(caller.tenantId, id);
    // Its mappings go with it (cascade), and its users leave the groups it was nested in: their roles may move.
    await withMembershipRoleEvents(deps, tx, caller.tenantId, id, [{ kind: 'removeAll' }], () =>
      tx.groups.delete(caller.tenantId, id),
    );
    await groupWritten(deps, tx, 'group.deleted', current, count);
  });
}
