// The events of SCIM writes, appended through the transaction's repositories so they commit with the change.
import { randomUUID } from 'node:crypto';
import { newId } from '../../lib/ids.ts';
import { directoryGroup, directoryUser, scimBaseUrlOf, userTombstone } from '../events/directory.ts';
import { type DirectoryEvent, type EventType, eventId, newEvent } from '../events/records.ts';
import type { ScimDeps } from './context.ts';
import type { MemberEventsPlan, ScimRepositories } from './ports.ts';
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

/** The data of `group.member_added` and `group.member_removed`. */
const memberEventData = (groupId: string, memberId: string, type: 'User' | 'Group') => ({
  groupId,
  memberId,
  memberType: type === 'Group' ? 'group' : 'user',
});

/** Stands for the member's id in memberEventsPlan's texts; random per process, and NUL is in no stored text. */
const MEMBER_ID_MARK = `\u0000member-${randomUUID()}`;
/** The mark as the texts hold it: a JSON string. */
const MEMBER_ID_MARK_JSON = JSON.stringify(MEMBER_ID_MARK);

/**
 * The member events of a one-statement membership write (ADR 0062), made before the store knows which of the named
 * members change: an event id per named member (in `memberIds` order), one time, and the data's JSON text for a
 * user and for a group member. The store writes the event of each member that changed, in `memberIds` order, with
 * the member's id in place of the mark: the events membersChanged would have written.
 */
export function memberEventsPlan(
  deps: EventDeps,
  groupId: string,
  type: 'group.member_added' | 'group.member_removed',
  memberIds: readonly string[],
): MemberEventsPlan {
  return {
    type,
    occurredAt: deps.clock.now().toISOString(),
    ids: memberIds.map(() => eventId(newId())),
    userData: JSON.stringify(memberEventData(groupId, MEMBER_ID_MARK, 'User')),
    groupData: JSON.stringify(memberEventData(groupId, MEMBER_ID_MARK, 'Group')),
    idMark: MEMBER_ID_MARK_JSON,
  };
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
    event(deps, tenantId, type, memberEventData(groupId, m.value, m.type));
  const events = [
    ...delta.removed.map((m) => memberEvent('group.member_removed', m)),
    ...delta.added.map((m) => memberEvent('group.member_added', m)),
  ];
  if (events.length > 0) await tx.events.append(events);
}
