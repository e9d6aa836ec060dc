// The search use cases: a list or .search request of one resource type (parse, resume, search, remember, cursor)
// and RFC 7644 §3.4.3's search at the root across both types. Rendering is the surface's.
import { ScimError, scimErrors } from '../../scim/errors.ts';
import type { ScimDeps } from './context.ts';
import type { ScimRepositories } from './ports.ts';
import { type PrefetchedLookup, prefetchedFor } from './prefetch.ts';
import type { ScimResourceType, SearchQuery, SearchResult, StoredGroup, StoredUser } from './records.ts';
import { encodeCursor, type IndexSeekCache, type ParsedSearch, parseSearch, type SearchParams } from './search.ts';

export interface ScimSearchDeps extends ScimDeps {
  readonly seekCache: IndexSeekCache;
}

/** One page of a list response, before rendering. */
export interface ListPage {
  readonly items: readonly (StoredUser | StoredGroup)[];
  readonly totalResults: number;
  /** Index pagination: the page's 1-based start. */
  readonly startIndex?: number;
  /** Cursor pagination (RFC 9865): where the next page starts, when one follows. */
  readonly nextCursor?: string;
}

function search(
  repositories: ScimRepositories,
  type: ScimResourceType,
  tenantId: string,
  query: SearchQuery,
): Promise<SearchResult<StoredUser | StoredGroup>> {
  return type === 'User' ? repositories.users.search(tenantId, query) : repositories.groups.search(tenantId, query);
}

/**
 * GET /Users, POST /Groups/.search, …: one page of the tenant's resources of one type. `prefetched`: a lookup read
 * in the token's statement (ADR 0055), served only when it was read for these very parameters.
 */
export async function listResources(
  deps: ScimSearchDeps,
  tenantId: string,
  type: ScimResourceType,
  params: SearchParams,
  prefetched?: PrefetchedLookup,
): Promise<ListPage> {
  const now = deps.clock.now();
  const served = prefetchedFor(prefetched, type, params);
  const parsed = served?.planned.parsed ?? parseSearch(type, params, now);
  const result =
    served?.result ?? (await search(deps.scim, type, tenantId, deps.seekCache.resume(tenantId, parsed, now.getTime())));
  deps.seekCache.remember(tenantId, parsed, result.last, result.total, now.getTime());
  return {
    items: result.items,
    totalResults: result.total,
    ...(parsed.cursorMode ? {} : { startIndex: parsed.query.startIndex }),
    ...(parsed.cursorMode && result.last
      ? { nextCursor: encodeCursor(result.last, parsed.fingerprint, now, result.total) }
      : {}),
  };
}

const isError = (value: ParsedSearch | ScimError): value is ScimError => value instanceof ScimError;

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** RFC 7644 §3.4.3: a POST .search body is a SearchRequest message. */
export function checkSearchRequest(body: { readonly schemas?: unknown }): void {
  if (!Array.isArray(body.schemas) || !body.schemas.includes(SEARCH_REQUEST)) {
    throw scimErrors.invalidSyntax(`a search request must list ${SEARCH_REQUEST} in schemas`);
  }
}

/** A search at the root: each type's share of the page, users first, then groups (one stable order). */
export interface RootPage {
  readonly totalResults: number;
  readonly startIndex: number;
  readonly parts: readonly { readonly type: ScimResourceType; readonly items: readonly (StoredUser | StoredGroup)[] }[];
}

/** POST /.search (RFC 7644 §3.4.3): the filter must make sense for at least one type; cursors are per type. */
export async function searchAllTypes(
  deps: ScimSearchDeps,
  tenantId: string,
  params: SearchParams & { readonly cursor?: unknown },
): Promise<RootPage> {
  if (params.cursor !== undefined) {
    throw scimErrors.invalidValue('cursor pagination is offered per resource type, not at the root');
  }
  const now = deps.clock.now();
  // A filter naming an attribute one type lacks selects nothing of that type; invalid for both is an error.
  const attempt = (type: ScimResourceType): ParsedSearch | ScimError => {
    try {
      return parseSearch(type, { ...params, startIndex: 1, count: 0 }, now);
    } catch (error) {
      if (error instanceof ScimError && error.scimType === 'invalidFilter') return error;
      throw error;
    }
  };
  const searches = (['User', 'Group'] as const).map((type) => ({ type, search: attempt(type) }));
  const valid = searches.filter((s): s is { type: ScimResourceType; search: ParsedSearch } => !isError(s.search));
  if (valid.length === 0) throw searches[0]!.search;
  const requested = parseSearch(valid[0]!.type, params, now).query;
  const counted: { type: ScimResourceType; search: ParsedSearch; total: number }[] = [];
  for (const { type, search: parsed } of valid) {
    counted.push({ type, search: parsed, total: (await search(deps.scim, type, tenantId, parsed.query)).total });
  }
  const parts: { type: ScimResourceType; items: readonly (StoredUser | StoredGroup)[] }[] = [];
  let start = requested.startIndex;
  let remaining = requested.count;
  for (const { type, search: parsed, total } of counted) {
    if (remaining > 0 && start <= total) {
      const page = await search(deps.scim, type, tenantId, { ...parsed.query, startIndex: start, count: remaining });
      parts.push({ type, items: page.items });
      remaining -= page.items.length;
      start = 1;
    } else {
      start = Math.max(1, start - total);
    }
  }
  return {
    totalResults: counted.reduce((sum, c) => sum + c.total, 0),
    startIndex: requested.startIndex,
    parts,
  };
}
