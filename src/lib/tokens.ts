// Bearer token format: `<kind>_<id>.<secret>` — a typed prefix, a public lookup id and a 256-bit secret.
import { randomBytes } from 'node:crypto';
import { newTokenId } from './ids.ts';

export type TokenKind = 'op' | 'adm' | 'scim';

export interface IssuedToken {
  readonly kind: TokenKind;
  readonly id: string;
  readonly secret: string;
  readonly value: string;
}

export interface ParsedToken {
  readonly kind: TokenKind;
  readonly id: string;
  readonly secret: string;
}

const KINDS: readonly TokenKind[] = ['op', 'adm', 'scim'];
const ID_LENGTH = 22; // 128 bits, base64url
const SECRET_LENGTH = 43; // 256 bits, base64url
const MAX_TOKEN_LENGTH = 5 + ID_LENGTH + 1 + SECRET_LENGTH;

export function issueToken(kind: TokenKind): IssuedToken {
  const id = newTokenId();
  const secret = randomBytes(32).toString('base64url');
  return { kind, id, secret, value: `${kind}_${id}.${secret}` };
}

function isBase64Url(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 /* - */ || c === 95; /* _ */
    if (!ok) return false;
  }
  return true;
}

/** Parses without touching the store: malformed input is rejected before any lookup. */
export function parseToken(value: string): ParsedToken | undefined {
  if (value.length > MAX_TOKEN_LENGTH) return undefined;
  const underscore = value.indexOf('_');
  const dot = value.indexOf('.');
  if (underscore < 1 || dot < underscore) return undefined;
  const kind = value.slice(0, underscore) as TokenKind;
  if (!KINDS.includes(kind)) return undefined;
  const id = value.slice(underscore + 1, dot);
  const secret = value.slice(dot + 1);
  if (id.length !== ID_LENGTH || secret.length !== SECRET_LENGTH) return undefined;
  if (!isBase64Url(id) || !isBase64Url(secret)) return undefined;
  return { kind, id, secret };
}

/** `Authorization: Bearer <token>` → the token text; anything else → undefined (RFC 6750 §2.1). */
export function bearerFrom(header: string | undefined): string | undefined {
  if (!header || header.length > 1024) return undefined;
  const space = header.indexOf(' ');
  if (space === -1 || header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = header.slice(space + 1);
  return token.length > 0 && !token.includes(' ') ? token : undefined;
}
