// Feed positions as opaque cursors, and their order.
import { DomainError } from '../errors.ts';
import type { FeedPosition } from './records.ts';

const CURSOR = /^e1\.([0-9]{1,20})\.([0-9]{1,20})$/;

export function encodeCursor(p: FeedPosition): string {
  return `e1.${p.xid}.${p.seq}`;
}

/** Throws `events.cursor_invalid` for anything `encodeCursor` did not make. */
export function decodeCursor(cursor: string): FeedPosition {
  const m = CURSOR.exec(cursor);
  if (!m) throw new DomainError('events.cursor_invalid', 'after is not a cursor this feed returned');
  return { xid: BigInt(m[1]!).toString(), seq: BigInt(m[2]!).toString() };
}

export function comparePositions(a: FeedPosition, b: FeedPosition): number {
  const x = BigInt(a.xid) - BigInt(b.xid);
  if (x !== 0n) return x < 0n ? -1 : 1;
  const s = BigInt(a.seq) - BigInt(b.seq);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}
