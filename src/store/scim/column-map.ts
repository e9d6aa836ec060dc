// Where each SCIM attribute of a resource type lives in SQL: a promoted column, a constant, membership rows, or
// (anything not listed) the JSON `search` document. Data only; filter-sql.ts and sort-sql.ts read it.

export type ResourceTypeId = 'User' | 'Group';

/**
 * How a caseExact=false attribute compares against a column:
 *  - `folded`: the column already holds foldCase(value) (written in JavaScript, like `search`);
 *  - `ascii`:  the column holds ASCII-only values, so SQL `lower()` equals foldCase on both dialects;
 *  - `exact`:  the column holds the value as is (only for caseExact=true attributes).
 */
export type ColumnCase = 'folded' | 'ascii' | 'exact';

export type AttributeSource =
  /** `ref` is a fixed `alias.column` from this file, never request text. */
  | { readonly kind: 'column'; readonly ref: string; readonly case: ColumnCase; readonly nullable: boolean }
  /** A value every resource of the type has, e.g. meta.resourceType. */
  | { readonly kind: 'constant'; readonly value: string }
  /** A complex attribute every resource has (meta): `pr` is true, sub-attributes have their own entries. */
  | { readonly kind: 'always' }
  /** Rendered at the HTTP edge (needs the base URL or the ETag format): refused rather than silently false. */
  | { readonly kind: 'unfilterable' };

/** The membership table standing in for Group.members and User.groups (neither is kept in `data`). */
export interface MembershipSource {
  /** The resource `r` is the group (`members`) or the member (`groups`). */
  readonly side: 'group' | 'member';
  /** Sub-attributes that can be filtered; others (display of members, $ref) are refused. */
  readonly subAttributes: Readonly<Record<string, AttributeSource>>;
}

/**
 * A side table holding each folded value of a multi-valued sub-attribute once per (tenant, value, resource), so
 * `eq` on it searches (tenant_id, value_key, <resource>) instead of every `search` document of the tenant.
 */
export interface ValueIndex {
  /** Fixed names from this file, never request text. */
  readonly table: 'scim_user_emails';
  readonly resourceColumn: 'user_id';
}

export interface ColumnMap {
  /** Keyed by canonical `attribute` or `attribute.subAttribute` of the core schema. */
  readonly attributes: Readonly<Record<string, AttributeSource>>;
  /** Keyed by the canonical name of the multi-valued membership attribute. */
  readonly memberships: Readonly<Record<string, MembershipSource>>;
  /** Keyed by canonical `attribute.subAttribute`; the value stays in `search` for every other operator. */
  readonly valueIndexes: Readonly<Record<string, ValueIndex>>;
}

const common = (type: ResourceTypeId) =>
  ({
    id: { kind: 'column', ref: 'r.id', case: 'exact', nullable: false },
    externalId: { kind: 'column', ref: 'r.external_id', case: 'exact', nullable: true },
    meta: { kind: 'always' },
    // ISO-8601 UTC text written by the store, so text order is instant order.
    'meta.created': { kind: 'column', ref: 'r.created_at', case: 'exact', nullable: false },
    'meta.lastModified': { kind: 'column', ref: 'r.last_modified', case: 'exact', nullable: false },
    'meta.resourceType': { kind: 'constant', value: type },
    'meta.location': { kind: 'unfilterable' },
    'meta.version': { kind: 'unfilterable' },
  }) as const satisfies Record<string, AttributeSource>;

export const COLUMN_MAP: Readonly<Record<ResourceTypeId, ColumnMap>> = Object.freeze({
  User: {
    attributes: {
      ...common('User'),
      // The unique index (tenant_id, user_name_key): Entra ID and Okta look users up by userName on every sync.
      userName: { kind: 'column', ref: 'r.user_name_key', case: 'folded', nullable: false },
      // `active` stays in `search`: the column means "may sign in" (true when the attribute was removed), while
      // a filter must match the resource as GET returns it. It has no index, so the column would buy nothing.
    },
    memberships: {
      groups: {
        side: 'member',
        subAttributes: {
          value: { kind: 'column', ref: 'm.group_id', case: 'exact', nullable: false },
          display: { kind: 'column', ref: 'g.display_name_key', case: 'folded', nullable: false },
          // Only direct memberships are stored and rendered (http/scim/render.ts), so type is always "direct".
          type: { kind: 'constant', value: 'direct' },
          $ref: { kind: 'unfilterable' },
        },
      },
    },
    // Migration 0009 (ADR 0023): the lookup IdPs send before linking a user by email.
    valueIndexes: { 'emails.value': { table: 'scim_user_emails', resourceColumn: 'user_id' } },
  },
  Group: {
    attributes: {
      ...common('Group'),
      displayName: { kind: 'column', ref: 'r.display_name_key', case: 'folded', nullable: false },
    },
    memberships: {
      members: {
        side: 'group',
        subAttributes: {
          value: { kind: 'column', ref: 'm.member_id', case: 'exact', nullable: false },
          // member_type is "User" or "Group", written by the store.
          type: { kind: 'column', ref: 'm.member_type', case: 'ascii', nullable: false },
          // display is derived from the member's own row at read time; $ref needs the base URL.
          display: { kind: 'unfilterable' },
          $ref: { kind: 'unfilterable' },
        },
      },
    },
    valueIndexes: {},
  },
});
