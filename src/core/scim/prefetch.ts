// An IdP's lookup read in the SCIM token's own statement (ADR 0055): before the token is read, the request's search
// parameters are parsed; when they ask for the first page of an `attr eq "value"` lookup, a store that can reads
// that page along with the token. The page is used only once the token is verified and the request rate-limited,
// and only by the list request whose parameters it was parsed from; nothing is kept past the request.
import type { FirstPageLookup, ScimResourceType, SearchResult, StoredGroup, StoredUser } from './records.ts';
import { type ParsedSearch, parseSearch, type SearchParams } from './search.ts';

/** The parameters that decide a search's rows: a request is served the prefetched page only if they are its own. */
const SEARCH_PARAMS = ['filter', 'sortBy', 'sortOrder', 'startIndex', 'count', 'cursor'] as const;

export interface PlannedLookup extends FirstPageLookup {
  /** The raw parameters the lookup was parsed from, and their parse (reused by the list request they belong to). */
  readonly params: SearchParams;
  readonly parsed: ParsedSearch;
}

/** A lookup's first page, read in the token's statement. */
export interface PrefetchedLookup {
  readonly planned: PlannedLookup;
  readonly result: SearchResult<StoredUser | StoredGroup>;
}

/**
 * The lookup a list request's parameters ask for, when they ask for the first page of `attr eq "string"` with no
 * sort and no cursor; undefined for anything else, including parameters the list request will refuse (it parses
 * them again and reports the error itself, after authentication).
 */
export function planLookup(type: ScimResourceType, params: SearchParams, now: Date): PlannedLookup | undefined {
  if (typeof params.filter !== 'string') return undefined;
  let parsed: ParsedSearch;
  try {
    parsed = parseSearch(type, params, now);
  } catch {
    return undefined;
  }
  const { query } = parsed;
  const filter = query.filter;
  if (filter?.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string') return undefined;
  if (query.sortBy || query.descending || query.after || parsed.cursorMode) return undefined;
  if (query.startIndex !== 1 || query.count < 1 || query.knownTotal !== undefined) return undefined;
  const raw = Object.fromEntries(SEARCH_PARAMS.map((name) => [name, params[name]])) as SearchParams;
  return { resourceType: type, filter, count: query.count, params: raw, parsed };
}

/** The prefetched page, if it was read for exactly this search (same type, same raw parameters). */
export function prefetchedFor(
  prefetched: PrefetchedLookup | undefined,
  type: ScimResourceType,
  params: SearchParams,
): PrefetchedLookup | undefined {
  if (prefetched === undefined || prefetched.planned.resourceType !== type) return undefined;
  const planned = prefetched.planned.params;
  return SEARCH_PARAMS.every((name) => planned[name] === params[name]) ? prefetched : undefined;
}
