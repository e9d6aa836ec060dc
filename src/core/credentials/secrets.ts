// The secrets of links and enrolment sessions: `<id>.<secret>`, the id to find the row, the whole text kept as a
// keyed digest (as setup links and console sessions are), so a copy of the database opens nothing.
import { randomBytes } from 'node:crypto';
import { newTokenId } from '../../lib/ids.ts';
import { type Digest, digestSecret, type Keyring, verifySecret } from '../../lib/keyring.ts';

const ID_LENGTH = 22;
const SECRET_LENGTH = 43;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface NewSecret {
  readonly id: string;
  readonly text: string;
  readonly digest: Digest;
}

export function newSecret(keyring: Keyring): NewSecret {
  const id = newTokenId();
  const text = `${id}.${randomBytes(32).toString('base64url')}`;
  return { id, text, digest: digestSecret(keyring, text) };
}

/** The row id of a well-formed secret; undefined for anything else (read before any store access). */
export function secretId(text: string | undefined): string | undefined {
  if (text === undefined || text.length !== ID_LENGTH + 1 + SECRET_LENGTH || text[ID_LENGTH] !== '.') return undefined;
  const id = text.slice(0, ID_LENGTH);
  return BASE64URL.test(id) && BASE64URL.test(text.slice(ID_LENGTH + 1)) ? id : undefined;
}

export function secretMatches(keyring: Keyring, text: string, stored: Digest): boolean {
  return verifySecret(keyring, text, stored);
}
