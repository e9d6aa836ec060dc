// Identifiers: time-ordered UUIDs for rows (index locality) and random url-safe ids for tokens.
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** A UUIDv7: sortable by creation time, so B-tree inserts stay at the right edge. */
export function newId(): string {
  return uuidv7();
}

/**
 * The first 13 characters of a UUIDv7 minted at `ms` (its 48-bit time, as `xxxxxxxx-xxxx`). Compared as text, every
 * UUIDv7 minted before `ms` sorts below it and every one minted at or after `ms` above it: a time bound on a
 * primary key of UUIDv7s, with no index on a time column.
 */
export function uuidv7TimePrefix(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
}

/** 128 random bits, base64url (22 chars): the public id part of a token. */
export function newTokenId(): string {
  return randomBytes(16).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return value.length === 36 && UUID.test(value);
}
