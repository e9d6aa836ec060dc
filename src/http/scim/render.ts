// Stored resources → their SCIM representation (RFC 7643 §3.1 common attributes, meta with absolute location).
import { etagOf } from '../../core/scim/etag.ts';
import {
  type GroupRef,
  type MemberView,
  type StoredGroup,
  type StoredUser,
  storedTextOf,
} from '../../core/scim/records.ts';

export function userLocation(baseUrl: string, id: string): string {
  return `${baseUrl}/Users/${id}`;
}

export function groupLocation(baseUrl: string, id: string): string {
  return `${baseUrl}/Groups/${id}`;
}

function groupRefs(baseUrl: string, groups: readonly GroupRef[]) {
  return groups.map((g) => ({
    value: g.value,
    $ref: groupLocation(baseUrl, g.value),
    display: g.display,
    type: 'direct',
  }));
}

function memberRefs(baseUrl: string, members: readonly MemberView[]) {
  return members.map((m) => ({
    value: m.value,
    $ref: m.type === 'Group' ? groupLocation(baseUrl, m.value) : userLocation(baseUrl, m.value),
    type: m.type,
    ...(m.display !== undefined ? { display: m.display } : {}),
  }));
}

function metaOf(resourceType: 'User' | 'Group', r: StoredGroup, location: string) {
  return {
    resourceType,
    created: r.createdAt,
    lastModified: r.lastModified,
    location,
    version: etagOf(r.version),
  };
}

/**
 * The JSON text of a full representation (no projection), byte for byte what serialising `renderUser` /
 * `renderGroup` gives: stored data first, then id, the computed attribute and meta. The stored text is spliced
 * when the record came from the store unchanged, so a page of users is not parsed and re-serialised.
 */
function representationText(
  r: StoredGroup,
  computedName: 'groups' | 'members',
  computed: readonly unknown[] | undefined,
  meta: ReturnType<typeof metaOf>,
): string {
  const dataText = storedTextOf(r) ?? JSON.stringify(r.data);
  const inner = dataText.slice(1, -1);
  const computedText =
    computed && (computedName === 'members' || computed.length > 0)
      ? `,${JSON.stringify(computedName)}:${JSON.stringify(computed)}`
      : '';
  return `{${inner}${inner === '' ? '' : ','}"id":${JSON.stringify(r.id)}${computedText},"meta":${JSON.stringify(meta)}}`;
}

export function userText(user: StoredUser, baseUrl: string, groups: readonly GroupRef[] | undefined): string {
  return representationText(
    user,
    'groups',
    groups && groupRefs(baseUrl, groups),
    metaOf('User', user, userLocation(baseUrl, user.id)),
  );
}

export function groupText(group: StoredGroup, baseUrl: string, members: readonly MemberView[] | undefined): string {
  return representationText(
    group,
    'members',
    members && memberRefs(baseUrl, members),
    metaOf('Group', group, groupLocation(baseUrl, group.id)),
  );
}

export function renderUser(
  user: StoredUser,
  baseUrl: string,
  groups: readonly GroupRef[] | undefined,
): Record<string, unknown> {
  return {
    ...user.data,
    id: user.id,
    ...(groups && groups.length > 0 ? { groups: groupRefs(baseUrl, groups) } : {}),
    meta: metaOf('User', user, userLocation(baseUrl, user.id)),
  };
}

export function renderGroup(
  group: StoredGroup,
  baseUrl: string,
  members: readonly MemberView[] | undefined,
): Record<string, unknown> {
  return {
    ...group.data,
    id: group.id,
    ...(members ? { members: memberRefs(baseUrl, members) } : {}),
    meta: metaOf('Group', group, groupLocation(baseUrl, group.id)),
  };
}
