// Pure mappings from stored SCIM resources to the directory shapes that events (and the directory API) carry.
import { partsToObject, renderParts } from '../../scim/projection/render-parts.ts';
import { etagOf } from '../scim/etag.ts';
import type { GroupRef, StoredGroup, StoredUser } from '../scim/records.ts';

type Json = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The tenant's SCIM base URL as Roster advertises it (seed 000's URL, which names the tenant). */
export function scimBaseUrlOf(publicUrl: string, tenantId: string): string {
  return `${publicUrl}/${tenantId}/api/scim/v2`;
}

/** The SCIM representation, as GET /Users/{id} answers it (groups as `direct` references). */
export function scimUser(user: StoredUser, groups: readonly GroupRef[], baseUrl: string): Json {
  return partsToObject(
    user.data,
    renderParts({
      id: user.id,
      computed: {
        name: 'groups',
        values: groups.map((g) => ({
          value: g.value,
          $ref: `${baseUrl}/Groups/${g.value}`,
          display: g.display,
          type: 'direct',
        })),
      },
      meta: {
        resourceType: 'User',
        created: user.createdAt,
        lastModified: user.lastModified,
        location: `${baseUrl}/Users/${user.id}`,
        version: etagOf(user.version),
      },
    }),
  );
}

function primaryEmail(emails: readonly Json[]): string | null {
  const primary = emails.find((e) => e.primary === true) ?? emails[0];
  return primary ? str(primary.value) : null;
}

/**
 * The directory user: plain camelCase fields for a vendor's backend, with the SCIM representation beside them.
 * `roles` (effective role keys, ADR 0032) where the caller read them: the directory API and role-change events.
 */
export function directoryUser(
  user: StoredUser,
  groups: readonly GroupRef[],
  baseUrl: string,
  roles?: readonly string[],
): Json {
  const d = user.data;
  const name = (d.name ?? {}) as Json;
  const emails = Array.isArray(d.emails) ? (d.emails as Json[]) : [];
  return {
    id: user.id,
    tenantId: user.tenantId,
    externalId: str(d.externalId),
    userName: str(d.userName),
    displayName: str(d.displayName),
    givenName: str(name.givenName),
    familyName: str(name.familyName),
    email: primaryEmail(emails),
    emails: emails.map((e) => ({
      value: str(e.value),
      type: str(e.type),
      primary: e.primary === true,
    })),
    active: d.active !== false,
    groups: groups.map((g) => ({ id: g.value, displayName: g.display })),
    ...(roles === undefined ? {} : { roles }),
    createdAt: user.createdAt,
    updatedAt: user.lastModified,
    scim: scimUser(user, groups, baseUrl),
  };
}

/** What `user.deleted` keeps of an erased user. */
export function userTombstone(user: StoredUser): Json {
  return { id: user.id, externalId: str(user.data.externalId), userName: str(user.data.userName) };
}

/** The directory group, without members. */
export function directoryGroup(group: StoredGroup, memberCount: number): Json {
  return {
    id: group.id,
    tenantId: group.tenantId,
    externalId: str(group.data.externalId),
    displayName: str(group.data.displayName),
    memberCount,
    createdAt: group.createdAt,
    updatedAt: group.lastModified,
  };
}

/** Top-level attribute names whose values differ (a PUT's changed attributes; `schemas` is not an attribute). */
export function changedAttributes(before: Json, after: Json): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  names.delete('schemas');
  return [...names].filter((n) => JSON.stringify(before[n]) !== JSON.stringify(after[n])).sort();
}
