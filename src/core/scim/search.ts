// List and .search requests → a store query: filter parsed and checked once, paging per RFC 7644 §3.4.2.4 / RFC 9865.
import { createHash } from 'node:crypto';
import { setBounded } from '../../lib/bounded-map.ts';
import { scimErrors } from '../../scim/errors.ts';
import { parseCheckedFilter } from '../../scim/filter/lookup-cache.ts';
import { parseAttrRef } from '../../scim/path/parse.ts';
import { scimRegistry } from '../../scim/schema/registry.ts';
import { DomainError } from '../errors.ts';
import type { CursorPosition, ScimResourceType, SearchQuery } from './records.ts';

export const PAGING = {
  defaultPageSize: 100,
  maxPageSize: 1000,
  /** Seconds a cursor stays valid (RFC 9865 cursorTimeout). */
  cursorTimeout: 3600,
} as const;

export interface SearchParams {
  readonly filter?: unknown;
  readonly sortBy?: unknown;
  readonly sortOrder?: unknown;
  readonly startIndex?: unknown;
  readonly count?: unknown;
  readonly cursor?: unknown;
}

export interface ParsedSearch {
  readonly query: SearchQuery;
  /** Cursor pagination was asked for (the response carries nextCursor instead of startIndex). */
  readonly cursorMode: boolean;
  /** Binds cursors to the filter and sort they were made for. */
  readonly fingerprint: string;
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d{1,12}$/.test(value.trim())
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n)) throw scimErrors.invalidValue(`${name} must be an integer`);
  return n;
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw scimErrors.invalidValue(`${name} must be a string`);
  return value;
}

interface CursorBody {
  readonly k: string | number | null;
  readonly i: string;
  readonly f: string;
  readonly t: number;
  readonly n: number;
}

export function encodeCursor(last: CursorPosition, fingerprint: string, now: Date, total: number): string {
  const body: CursorBody = { k: last.key, i: last.id, f: fingerprint, t: Math.floor(now.getTime() / 1000), n: total };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function decodeCursor(cursor: string, fingerprint: string, now: Date): { position: CursorPosition; total: number } {
  let body: CursorBody;
  try {
    if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('format');
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorBody;
    const keyOk = body.k === null || typeof body.k === 'string' || typeof body.k === 'number';
    if (!keyOk || typeof body.i !== 'string' || typeof body.f !== 'string' || typeof body.t !== 'number')
      throw new Error('shape');
  } catch {
    // RFC 9865 §3.2: an unparseable cursor is invalidCursor.
    throw new DomainError('scim.cursor_invalid', 'the cursor is not one this server issued');
  }
  if (body.f !== fingerprint)
    throw new DomainError('scim.cursor_invalid', 'the cursor belongs to a different filter or sort order');
  if (now.getTime() / 1000 - body.t > PAGING.cursorTimeout)
    throw new DomainError('scim.cursor_expired', 'the cursor has expired; start again');
  return { position: { key: body.k, id: body.i }, total: body.n };
}

export function parseSearch(resourceTypeId: ScimResourceType, params: SearchParams, now: Date): ParsedSearch {
  const filterText = text(params.filter, 'filter');
  const filter =
    filterText === undefined || filterText.trim() === ''
      ? undefined
      : parseCheckedFilter(filterText, resourceTypeId, scimRegistry);
  const sortByText = text(params.sortBy, 'sortBy');
  let sortBy: SearchQuery['sortBy'];
  if (sortByText !== undefined && sortByText !== '') {
    const ref = parseAttrRef(sortByText);
    const resolved = scimRegistry.resolve(resourceTypeId, ref);
    if (!resolved || resolved.attribute.type === 'complex') {
      throw scimErrors.invalidValue('sortBy must name a simple attribute of the resource type');
    }
    sortBy = {
      schema: resolved.schema,
      attribute: resolved.parent?.name ?? resolved.attribute.name,
      subAttribute: resolved.parent ? resolved.attribute.name : undefined,
    };
  }
  const sortOrder = text(params.sortOrder, 'sortOrder');
  if (sortOrder !== undefined && sortOrder !== 'ascending' && sortOrder !== 'descending') {
    throw scimErrors.invalidValue('sortOrder must be "ascending" or "descending"');
  }
  // RFC 7644 §3.4.2.4: startIndex < 1 is treated as 1; a negative count as 0; count above the maximum is capped.
  const startIndex = Math.max(integer(params.startIndex, 'startIndex') ?? 1, 1);
  const count = Math.min(Math.max(integer(params.count, 'count') ?? PAGING.defaultPageSize, 0), PAGING.maxPageSize);
  const cursor = text(params.cursor, 'cursor');
  if (cursor !== undefined && params.startIndex !== undefined) {
    throw scimErrors.invalidValue('use either cursor or startIndex, not both');
  }
  // Only cursors and index pages after the first need the fingerprint: a lookup's one page never hashes.
  let fingerprint: string | undefined;
  const fingerprintOf = () =>
    (fingerprint ??= createHash('sha256')
      .update(JSON.stringify([resourceTypeId, filterText ?? '', sortBy ?? null, sortOrder ?? 'ascending']))
      .digest('base64url')
      .slice(0, 16));
  const decoded = cursor === undefined || cursor === '' ? undefined : decodeCursor(cursor, fingerprintOf(), now);
  return {
    query: {
      filter,
      sortBy,
      descending: sortOrder === 'descending',
      startIndex,
      count,
      after: decoded?.position,
      knownTotal: decoded?.total,
    },
    cursorMode: cursor !== undefined,
    get fingerprint() {
      return fingerprintOf();
    },
  };
}

/**
 * Index paging (`startIndex`) costs O(offset) in SQL. IdPs page sequentially, so the position after each page served
 * is remembered (per process, bounded, 60 s): a request for the next page continues from that key like a cursor
 * does — same order, no rows skipped or repeated — and reuses the total counted on the first page. A miss (another
 * process, an old position, a jump) falls back to OFFSET. Under concurrent writes the pages are those a cursor would
 * give (RFC 7644 §3.4.2.4 leaves consistency between index pages to the service provider).
 */
export class IndexSeekCache {
  private readonly entries = new Map<string, { position: CursorPosition; total: number; at: number }>();
  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 60_000,
  ) {}

  private key(tenantId: string, fingerprint: string, startIndex: number): string {
    return `${tenantId}|${fingerprint}|${startIndex}`;
  }

  /** The query to run: unchanged, or continued from the remembered position. */
  resume(tenantId: string, parsed: ParsedSearch, now: number): SearchQuery {
    const q = parsed.query;
    if (parsed.cursorMode || q.after !== undefined || q.startIndex === 1 || q.count === 0) return q;
    const key = this.key(tenantId, parsed.fingerprint, q.startIndex);
    const hit = this.entries.get(key);
    if (!hit || now - hit.at > this.ttlMs) return q;
    this.entries.delete(key);
    return { ...q, after: hit.position, knownTotal: hit.total };
  }

  /** After serving an index page that has a successor: where the next page starts. */
  remember(tenantId: string, parsed: ParsedSearch, last: CursorPosition | undefined, total: number, now: number): void {
    if (parsed.cursorMode || last === undefined) return;
    const key = this.key(tenantId, parsed.fingerprint, parsed.query.startIndex + parsed.query.count);
    setBounded(this.entries, key, { position: last, total, at: now }, this.maxEntries);
  }
}
