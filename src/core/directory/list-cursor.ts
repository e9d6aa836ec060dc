// The directory's opaque list cursor: where the next page starts, and the eventCursor of the listing's first page.
import { DomainError } from '../errors.ts';
import { decodeCursor } from '../events/position.ts';

export interface ListCursor {
  /** The last id of the previous page. */
  readonly afterId: string;
  /** The first page's eventCursor, carried so that every page of one listing answers the same one. */
  readonly eventCursor: string;
}

const MAX_CURSOR_LENGTH = 1024;

/** base64url of a small JSON object; versioned (`v`) so the format can change without breaking open listings. */
export function encodeListCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, a: c.afterId, e: c.eventCursor })).toString('base64url');
}

function refuse(): never {
  throw new DomainError('directory.cursor_invalid', 'cursor is not a cursor this listing returned');
}

/** Throws `directory.cursor_invalid` for anything `encodeListCursor` did not make. */
export function decodeListCursor(text: string): ListCursor {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    refuse();
  }
  const o = parsed as { v?: unknown; a?: unknown; e?: unknown } | null;
  if (typeof o !== 'object' || o === null || o.v !== 1 || typeof o.a !== 'string' || typeof o.e !== 'string') {
    refuse();
  }
  if (o.a.length === 0 || o.a.length > 256) refuse();
  try {
    decodeCursor(o.e);
  } catch {
    refuse();
  }
  return { afterId: o.a, eventCursor: o.e };
}
