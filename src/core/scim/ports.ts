// What the SCIM use cases need from the store. Every call names its tenant; costs follow the rows named.
import type { EventRepository } from '../events/ports.ts';
import type { DirectoryEvent } from '../events/records.ts';
import type { AuditRepository } from '../ports.ts';
import type { RoleRepository } from '../roles/ports.ts';
import type {
  GroupRef,
  MemberChange,
  MemberDelta,
  MemberRef,
  MemberView,
  ScimLogEntry,
  ScimLogQuery,
  SearchQuery,
  SearchResult,
  StoredGroup,
  StoredUser,
} from './records.ts';

/**
 * Row locks on PostgreSQL (SQLite's single writer needs none). `update` (FOR NO KEY UPDATE) serialises writers of
 * the row but lets transactions that add the row as a group member hold their key-share lock beside it; `delete`
 * (FOR UPDATE) waits for those and makes later ones find the row gone.
 */
export type RowLock = 'update' | 'delete';

export interface UserRepository {
  /** Throws DomainError `scim.uniqueness` when userName collides (case-insensitively) within the tenant. */
  insert(user: StoredUser): Promise<void>;
  /** `lock` takes a row lock (PostgreSQL, see RowLock) so read-modify-write cannot lose a concurrent update. */
  get(tenantId: string, id: string, options?: { lock?: RowLock }): Promise<StoredUser | undefined>;
  /**
   * Writes `user` if the stored version is still `previous.version`; false when it moved or the row is gone.
   * `previous` is the stored user being replaced (read under the write's lock): the store compares the two to
   * write only what changed (its email index, ADR 0023).
   */
  update(user: StoredUser, previous: StoredUser): Promise<boolean>;
  /** Deletes the stored user `previous` (read under the write's lock) and its group memberships. */
  delete(previous: StoredUser): Promise<boolean>;
  search(tenantId: string, query: SearchQuery): Promise<SearchResult<StoredUser>>;
  /** Sign-in's binding rules: the subject whose userName folds to this one, if any. */
  findByUserName(tenantId: string, userName: string): Promise<StoredUser | undefined>;
  /** Sign-in's binding rules: subjects with this externalId (not unique in SCIM, so possibly several). */
  findByExternalId(tenantId: string, externalId: string, limit: number): Promise<readonly StoredUser[]>;
  /**
   * A read outside a write. Where a statement is a round trip (PostgreSQL), the user with `directGroups` set, read
   * in one statement with the user (ADR 0045), so a GET costs one round trip after the token's; elsewhere as `get`.
   */
  getWithGroups(tenantId: string, id: string): Promise<StoredUser | undefined>;
  /** Direct group memberships of each user, for the read-only `groups` attribute. */
  groupsOf(tenantId: string, userIds: readonly string[]): Promise<ReadonlyMap<string, readonly GroupRef[]>>;
}

export interface GroupRepository {
  insert(group: StoredGroup): Promise<void>;
  get(tenantId: string, id: string, options?: { lock?: RowLock }): Promise<StoredGroup | undefined>;
  update(group: StoredGroup, expectedVersion: number): Promise<boolean>;
  delete(tenantId: string, id: string): Promise<boolean>;
  search(tenantId: string, query: SearchQuery): Promise<SearchResult<StoredGroup>>;
  /** Every member with its display name: read only when a response includes `members`. */
  members(tenantId: string, groupId: string): Promise<readonly MemberView[]>;
  /**
   * Applies membership deltas in order; cost follows the members named, not the group's size. Answers the net
   * effect: members absent before and present after, and the reverse. `known`: what `resolveMembers` (with `lock`)
   * already answered in this transaction for the ids added, so they are not resolved a second time.
   */
  applyMemberChanges(
    tenantId: string,
    groupId: string,
    changes: readonly MemberChange[],
    known?: ReadonlyMap<string, MemberRef['type']>,
  ): Promise<MemberDelta>;
  /** How many members the group has (an index range count: read for `group.updated` and `group.deleted` only). */
  countMembers(tenantId: string, groupId: string): Promise<number>;
  /**
   * Which of these ids are users or groups of the tenant (member references must resolve). With `lock`, the rows
   * found cannot be deleted before the transaction ends (PostgreSQL `FOR KEY SHARE`), so a membership is never
   * written for a user or group whose deletion commits alongside.
   */
  resolveMembers(
    tenantId: string,
    ids: readonly string[],
    options?: { lock?: boolean },
  ): Promise<ReadonlyMap<string, MemberRef['type']>>;
}

export interface ScimLogRepository {
  /** Entries in as few statements as the store allows (the log buffer's flush). */
  appendMany(entries: readonly ScimLogEntry[]): Promise<void>;
  list(tenantId: string, query: ScimLogQuery): Promise<readonly ScimLogEntry[]>;
  /**
   * At most `limit` entries recorded before `at`, oldest first, found through the primary key (entry ids are
   * UUIDv7s, minted when the entry was recorded); answers how many went.
   */
  purgeBefore(at: string, limit: number): Promise<number>;
}

/** Ends a subject's sign-in sessions and tokens, inside the transaction that deactivates or deletes it. */
export interface SubjectSessions {
  revoke(tenantId: string, userId: string): Promise<number>;
}

export interface ScimRepositories {
  readonly users: UserRepository;
  readonly sessions: SubjectSessions;
  readonly groups: GroupRepository;
  readonly scimLog: ScimLogRepository;
  /** The event outbox: appended in the transaction of the change it describes. */
  readonly events: EventRepository;
  /** Roles (ADR 0032): a SCIM or JIT create assigns the default role in its own transaction. */
  readonly roles: RoleRepository;
  /** The audit trail, for the admin writes that run in these transactions (roles). */
  readonly audit: AuditRepository;
}

/** The member events of a one-statement membership write (memberEventsPlan in events.ts). */
export interface MemberEventsPlan {
  readonly type: 'group.member_added' | 'group.member_removed';
  readonly occurredAt: string;
  /** One event id per named member, in the order the members were named. */
  readonly ids: readonly string[];
  /** The data's JSON text for a user member and for a group member, with `idMark` where the member's id goes. */
  readonly userData: string;
  readonly groupData: string;
  /** A JSON string no data holds (it contains NUL): the store puts the member's id, as a JSON string, in its place. */
  readonly idMark: string;
}

/** A membership PATCH of one kind, as the one-statement write takes it (ADR 0062). */
export interface GroupMembersChange {
  /** The group as read in the token's statement: written only if it is still at this version. */
  readonly group: StoredGroup;
  readonly kind: 'add' | 'remove';
  /** Distinct member ids, in the order the request named them. */
  readonly ids: readonly string[];
  readonly events: MemberEventsPlan;
  /** The group's lastModified if its members change. */
  readonly lastModified: string;
}

/**
 * User writes as ONE statement each, outside any transaction (ADR 0057): offered where a statement is a round trip
 * (PostgreSQL). Each stores all of its rows (the user, its email index, its role, its events) or none.
 */
export interface SingleStatementWrites {
  /**
   * Inserts `user`, its default role (`tokenDefaultRole`, else the tenant's) and the event `created` builds from
   * the roles assigned; answers those roles. Throws DomainError `scim.uniqueness` as UserRepository.insert does.
   */
  createUser(
    user: StoredUser,
    tokenDefaultRole: string | null,
    created: (roles: readonly string[]) => DirectoryEvent,
  ): Promise<readonly string[]>;
  /**
   * Writes `next` and `events` if the stored user is still `previous` (same version) with exactly these direct
   * `groups`, after taking the resource's writer lock (ADR 0018); false, with nothing written, otherwise (the
   * caller then takes the locked path). Throws DomainError `scim.uniqueness` on a userName collision.
   */
  updateUser(
    next: StoredUser,
    previous: StoredUser,
    groups: readonly GroupRef[],
    events: readonly DirectoryEvent[],
  ): Promise<boolean>;
  /**
   * A membership PATCH of one kind (ADR 0062): under the group's writer lock, if the group is still at
   * `change.group.version`, no named member is unknown (an add) and the group carries no roles (whose events the
   * locked path makes), adds or removes the members, moves the version and lastModified if any changed, and writes
   * each changed member's event. Answers the new version (undefined: nothing changed) and the members that changed,
   * in the order named; or undefined, with nothing written, when the locked path must decide.
   */
  changeGroupMembers(
    change: GroupMembersChange,
  ): Promise<{ version: number | undefined; changed: readonly MemberRef[] } | undefined>;
}

export interface ScimStore extends ScimRepositories {
  transaction<T>(work: (tx: ScimRepositories) => Promise<T>): Promise<T>;
  /** Present on PostgreSQL only (ADR 0057). */
  readonly singleStatement?: SingleStatementWrites;
}
