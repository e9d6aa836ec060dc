// Stored resources → their SCIM representation (RFC 7643 §3.1 common attributes, meta with absolute location), as
// objects or as JSON text; both assemble the same `renderParts`.
import { etagOf } from '../../core/scim/etag.ts';
import {
  type GroupRef,
  type MemberView,
  type StoredGroup,
  type StoredUser,
  storedTextOf,
} from '../../core/scim/records.ts';
import { partsToObject, partsToText, renderParts } from '../../scim/projection/render-parts.ts';

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

function userParts(user: StoredUser, baseUrl: string, groups: readonly GroupRef[] | undefined) {
  return renderParts({
    id: user.id,
    computed: { name: 'groups', values: groups && groupRefs(baseUrl, groups) },
    meta: metaOf('User', user, userLocation(baseUrl, user.id)),
  });
}

function groupParts(group: StoredGroup, baseUrl: string, members: readonly MemberView[] | undefined) {
  return renderParts({
    id: group.id,
    computed: { name: 'members', values: members && memberRefs(baseUrl, members) },
    meta: metaOf('Group', group, groupLocation(baseUrl, group.id)),
  });
}

/**
 * The stored data's JSON text: spliced when the record came from the store unchanged, so a page of users is not
 * parsed and re-serialised; otherwise the data serialised (the same bytes, as render-stored-text.test.ts checks).
 */
const dataTextOf = (r: StoredGroup) => storedTextOf(r) ?? JSON.stringify(r.data);

export function userText(user: StoredUser, baseUrl: string, groups: readonly GroupRef[] | undefined): string {
  return partsToText(dataTextOf(user), userParts(user, baseUrl, groups));
}

export function groupText(group: StoredGroup, baseUrl: string, members: readonly MemberView[] | undefined): string {
  return partsToText(dataTextOf(group), groupParts(group, baseUrl, members));
}

export function renderUser(
  user: StoredUser,
  baseUrl: string,
  groups: readonly GroupRef[] | undefined,
): Record<string, unknown> {
  return partsToObject(user.data, userParts(user, baseUrl, groups));
}

export function renderGroup(
  group: StoredGroup,
  baseUrl: string,
  members: readonly MemberView[] | undefined,
): Record<string, unknown> {
  return partsToObject(group.data, groupParts(group, baseUrl, members));
}
