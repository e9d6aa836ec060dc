// Identifiers: time-ordered UUIDs for rows (index locality) and random url-safe ids for tokens.
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** A UUIDv7: sortable by creation time, so B-tree inserts stay at the right edge. */
export function newId(): string {
  return uuidv7();
}

/** 128 random bits, base64url (22 chars): the public id part of a token. */
export function newTokenId(): string {
  return randomBytes(16).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return value.length === 36 && UUID.test(value);
}
