// Stored resources → their SCIM representation (RFC 7643 §3.1 common attributes, meta with absolute location).
import { etagOf } from '../../core/scim/etag.ts';
import type { GroupRef, MemberView, StoredGroup, StoredUser } from '../../core/scim/records.ts';

export function userLocation(baseUrl: string, id: string): string {
  return `${baseUrl}/Users/${id}`;
}

export function groupLocation(baseUrl: string, id: string): string {
  return `${baseUrl}/Groups/${id}`;
}

export function renderUser(
  user: StoredUser,
  baseUrl: string,
  groups: readonly GroupRef[] | undefined,
): Record<string, unknown> {
  return {
    ...user.data,
    id: user.id,
    ...(groups && groups.length > 0
      ? {
          groups: groups.map((g) => ({
            value: g.value,
            $ref: groupLocation(baseUrl, g.value),
            display: g.display,
            type: 'direct',
          })),
        }
      : {}),
    meta: {
      resourceType: 'User',
      created: user.createdAt,
      lastModified: user.lastModified,
      location: userLocation(baseUrl, user.id),
      version: etagOf(user.version),
    },
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
    ...(members
      ? {
          members: members.map((m) => ({
            value: m.value,
            $ref: m.type === 'Group' ? groupLocation(baseUrl, m.value) : userLocation(baseUrl, m.value),
            type: m.type,
            ...(m.display !== undefined ? { display: m.display } : {}),
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: group.createdAt,
      lastModified: group.lastModified,
      location: groupLocation(baseUrl, group.id),
      version: etagOf(group.version),
    },
  };
}
