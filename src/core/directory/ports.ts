// What the directory API needs from the store: tenant-scoped keyset pages in id order, each costing its page.
import type { FeedPosition } from '../events/records.ts';
import type { GroupRef, StoredGroup, StoredUser } from '../scim/records.ts';

/** Exact-match filters of a user listing; each is optional and they combine with AND. */
export interface UserFilter {
  readonly userName?: string | undefined;
  /** Any of the user's emails, compared as SCIM compares emails.value (caseExact=false). */
  readonly email?: string | undefined;
  readonly externalId?: string | undefined;
  /** Users who are direct members of this group. */
  readonly groupId?: string | undefined;
  readonly active?: boolean | undefined;
}

/** A page request: rows with an id strictly greater than `afterId`, in id order, at most `limit` of them. */
export interface PageRequest {
  readonly afterId: string | undefined;
  readonly limit: number;
}

export interface DirectoryMember {
  readonly id: string;
  readonly type: 'user' | 'group';
  readonly displayName: string | null;
}

export interface DirectoryStore {
  /**
   * The feed's horizon now: the position `GET /events` hands out as nextCursor when caught up. Every change not
   * visible to a read that starts after this call has its event after this position (ADR 0021).
   */
  horizon(): Promise<FeedPosition>;
  /** Up to `limit + 1` users, so the caller can tell whether more follow. */
  users(tenantId: string, filter: UserFilter, page: PageRequest): Promise<readonly StoredUser[]>;
  user(tenantId: string, id: string): Promise<StoredUser | undefined>;
  groupsOf(tenantId: string, userIds: readonly string[]): Promise<ReadonlyMap<string, readonly GroupRef[]>>;
  /** Effective role keys of each user (direct ∪ mapped through groups, nested included; ADR 0032). */
  rolesOf(tenantId: string, userIds: readonly string[]): Promise<ReadonlyMap<string, readonly string[]>>;
  /** Up to `limit + 1` groups; `displayName` compared as SCIM compares it (caseExact=false). */
  groups(
    tenantId: string,
    filter: { readonly displayName?: string | undefined },
    page: PageRequest,
  ): Promise<readonly StoredGroup[]>;
  group(tenantId: string, id: string): Promise<StoredGroup | undefined>;
  memberCounts(tenantId: string, groupIds: readonly string[]): Promise<ReadonlyMap<string, number>>;
  /** Up to `limit + 1` direct members of the group, in member id order. */
  members(tenantId: string, groupId: string, page: PageRequest): Promise<readonly DirectoryMember[]>;
}
