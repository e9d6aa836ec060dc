// The events of SCIM writes, appended through the transaction's repositories so they commit with the change.

import { newId } from '../../lib/ids.ts';
import { directoryGroup, directoryUser, scimBaseUrlOf, userTombstone } from '../events/directory.ts';
import { type DirectoryEvent, type EventType, newEvent } from '../events/records.ts';
import type { ScimDeps } from './context.ts';
import type { ScimRepositories } from './ports.ts';
import type { GroupRef, MemberDelta, StoredGroup, StoredUser } from './records.ts';

type EventDeps = Pick<ScimDeps, 'clock' | 'publicUrl'>;

function event(deps: EventDeps, tenantId: string, type: EventType, data: Record<string, unknown>): DirectoryEvent {
  return newEvent(newId(), deps.clock.now(), tenantId, type, data);
}

/**
 * A user's write: `user.created`, or `user.updated` (with `changedAttributes`, unless only `active` changed), then
 * by `user.deactivated` / `user.reactivated` when `active` flips. `groups`: the user's direct groups now (a new
 * user has none); `createdRoles`: a create's roles (its default role), which `user.created` carries.
 */
export function userEvents(
  deps: EventDeps,
  before: StoredUser | undefined,
  after: StoredUser,
  changed: readonly string[],
  groups: readonly GroupRef[],
  createdRoles?: readonly string[],
): DirectoryEvent[] {
  const user = directoryUser(
    after,
    groups,
    scimBaseUrlOf(deps.publicUrl, after.tenantId),
    before === undefined ? createdRoles : undefined,
  );
  const events: DirectoryEvent[] = [];
  if (before === undefined) {
    events.push(event(deps, after.tenantId, 'user.created', user));
  } else {
    const others = changed.filter((a) => a !== 'active');
    const wasActive = before.data.active !== false;
    const isActive = after.data.active !== false;
    // Every write moves the version and updatedAt, so one that flips nothing is an update even when a PUT restated
    // every value (changedAttributes is then empty).
    if (others.length > 0 || wasActive === isActive) {
      events.push(event(deps, after.tenantId, 'user.updated', { ...user, changedAttributes: others }));
    }
    if (wasActive !== isActive) {
      events.push(event(deps, after.tenantId, isActive ? 'user.reactivated' : 'user.deactivated', user));
    }
  }
  return events;
}

/**
 * A user's events (userEvents), appended in the write's transaction. `groups` costs one indexed lookup of this
 * user's direct groups (a new user has none, so a create costs nothing more). Answers those groups, so the write's
 * response need not read them again.
 */
export async function userWritten(
  deps: EventDeps,
  tx: ScimRepositories,
  before: StoredUser | undefined,
  after: StoredUser,
  changed: readonly string[],
  /** A create's roles (its default role): known without a read, so `user.created` carries them. */
  createdRoles?: readonly string[],
): Promise<readonly GroupRef[]> {
  const groups =
    before === undefined ? [] : ((await tx.users.groupsOf(after.tenantId, [after.id])).get(after.id) ?? []);
  const events = userEvents(deps, before, after, changed, groups, createdRoles);
  if (events.length > 0) await tx.events.append(events);
  return groups;
}

export async function userDeleted(deps: EventDeps, tx: ScimRepositories, user: StoredUser): Promise<void> {
  await tx.events.append([event(deps, user.tenantId, 'user.deleted', userTombstone(user))]);
}

/** `group.created`, `group.updated` (attributes other than members changed) or `group.deleted`. */
export async function groupWritten(
  deps: EventDeps,
  tx: ScimRepositories,
  type: 'group.created' | 'group.updated' | 'group.deleted',
  group: StoredGroup,
  memberCount: number,
  changed?: readonly string[],
): Promise<void> {
  const data = directoryGroup(group, memberCount);
  await tx.events.append([
    event(deps, group.tenantId, type, changed === undefined ? data : { ...data, changedAttributes: changed }),
  ]);
}

/** One event per member actually added or removed (a no-op add or remove of a member makes none). */
export async function membersChanged(
  deps: EventDeps,
  tx: ScimRepositories,
  tenantId: string,
  groupId: string,
  delta: MemberDelta,
): Promise<void> {
  const memberEvent = (type: EventType, m: { value: string; type: 'User' | 'Group' }) =>
    event(deps, tenantId, type, {
      groupId,
      memberId: m.value,
      memberType: m.type === 'Group' ? 'group' : 'user',
    });
  const events = [
    ...delta.removed.map((m) => memberEvent('group.member_removed', m)),
    ...delta.added.map((m) => memberEvent('group.member_added', m)),
  ];
  if (events.length > 0) await tx.events.append(events);
}
