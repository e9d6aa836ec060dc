// SCIM resources as the core stores them: canonical attributes plus the server-owned fields kept beside them.
import type { FilterNode } from '../../scim/filter/ast.ts';
import type { AttrRef } from '../../scim/path/types.ts';

export type ScimResourceType = 'User' | 'Group';

/** Canonical SCIM attributes (with `schemas`), without id, meta, password and computed attributes. */
export type ResourceData = Record<string, unknown>;

export interface StoredResource {
  readonly tenantId: string;
  readonly id: string;
  readonly data: ResourceData;
  readonly version: number;
  readonly createdAt: string;
  readonly lastModified: string;
  /** The SCIM token and SSO provider scheme that created the resource (provenance, never used for access). */
  readonly createdByToken: string | null;
  readonly provider: string | null;
}

export interface StoredUser extends StoredResource {
  readonly passwordHash: string | null;
  /**
   * The user's direct groups as the write's own transaction read them (for its event), or as a read fetched them
   * in the same statement as the user (ADR 0045): the response renders them instead of reading them again. Never
   * stored.
   */
  readonly directGroups?: readonly GroupRef[];
}

export type StoredGroup = StoredResource;

export interface MemberRef {
  readonly value: string;
  readonly type: 'User' | 'Group';
}

export interface MemberView extends MemberRef {
  readonly display: string | undefined;
}

export interface GroupRef {
  readonly value: string;
  readonly display: string;
}

/** What a set of member changes did: the members that were not there before, and those that are gone. */
export interface MemberDelta {
  readonly added: readonly MemberRef[];
  readonly removed: readonly MemberRef[];
}

export type MemberChange =
  | { readonly kind: 'add'; readonly members: readonly { readonly value: string }[] }
  | { readonly kind: 'remove'; readonly values: readonly string[] }
  | { readonly kind: 'removeAll' }
  | { readonly kind: 'removeWhere'; readonly filter: FilterNode };

/** The member ids a change names: those an add adds or a remove removes (none for removeAll or removeWhere). */
export function idsNamed(change: MemberChange): readonly string[] {
  return change.kind === 'add' ? change.members.map((m) => m.value) : change.kind === 'remove' ? change.values : [];
}

export interface SearchQuery {
  /** Checked filter (canonical names), or undefined for all. */
  readonly filter: FilterNode | undefined;
  readonly sortBy: AttrRef | undefined;
  readonly descending: boolean;
  /** 1-based index pagination (RFC 7644 §3.4.2.4) … */
  readonly startIndex: number;
  readonly count: number;
  /** … or keyset pagination after this position (RFC 9865). */
  readonly after: CursorPosition | undefined;
  /**
   * On later cursor pages: the total counted when the iteration started, so a page costs what it returns instead
   * of a count over the whole tenant.
   */
  readonly knownTotal?: number | undefined;
}

export interface CursorPosition {
  /** The sort key of the last row returned (null when the row had no value). */
  readonly key: string | number | null;
  readonly id: string;
}

/**
 * The first page of an `attr eq "value"` lookup (what IdPs send before every create), which a store may read in the
 * SCIM token's own statement (ADR 0055). `filter` is checked; the store answers only shapes it can compile once.
 */
export interface FirstPageLookup {
  readonly resourceType: ScimResourceType;
  readonly filter: FilterNode;
  readonly count: number;
}

export interface SearchResult<T> {
  readonly total: number;
  readonly items: readonly T[];
  /** Set when more rows follow the page (keyset pagination). */
  readonly last: CursorPosition | undefined;
}

export interface ScimLogEntry {
  readonly id: string;
  readonly tenantId: string;
  readonly at: string;
  readonly tokenId: string | null;
  readonly method: string;
  readonly path: string;
  readonly operation: string;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly status: number;
  readonly scimType: string | null;
  readonly durationMs: number;
  readonly summary: Readonly<Record<string, unknown>>;
}

export interface ScimLogQuery {
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly status?: number | undefined;
  readonly outcome?: 'success' | 'failure' | undefined;
  readonly resourceId?: string | undefined;
  readonly operation?: string | undefined;
  readonly before?: string | undefined;
  readonly limit: number;
}

/**
 * The store's own JSON text of a record's `data`, for records read from the store and not changed since: a
 * response can splice it instead of re-serialising the parsed object. A WeakMap rather than a field, so a record
 * derived by spreading (`{ ...current, data }`) can never carry a stale text along.
 */
const storedText = new WeakMap<StoredResource, string>();

export function withStoredText<T extends StoredResource>(record: T, text: string): T {
  storedText.set(record, text);
  return record;
}

export function storedTextOf(record: StoredResource): string | undefined {
  return storedText.get(record);
}
