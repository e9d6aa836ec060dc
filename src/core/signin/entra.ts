// The Entra ID pin: an ID token counts only if it comes from the configured directory, and names an object id.
import type { UpstreamIdentity } from './identity.ts';
import type { PinRefusal } from './outcomes.ts';

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The directory an authority pins: its first path segment (`https://login.microsoftonline.com/{tid}/v2.0`). */
export function pinnedDirectory(authority: string): string | undefined {
  const first = new URL(authority).pathname.split('/').filter(Boolean)[0];
  return first ? decodeURIComponent(first).toLowerCase() : undefined;
}

/**
 * `iss` must be the configured authority exactly (a tenant-specific v2.0 issuer), and `tid` the directory it names:
 * a token minted for another directory — a multi-tenant app, a guest's home tenant — is refused. Identity = (tid, oid).
 */
export function entraIdentity(
  authority: string,
  claims: Readonly<Record<string, unknown>>,
): UpstreamIdentity | { readonly refused: PinRefusal } {
  if (claims.iss !== authority) return { refused: 'issuer_mismatch' };
  const tid = text(claims.tid)?.toLowerCase();
  if (tid === undefined || tid !== pinnedDirectory(authority)) return { refused: 'directory_mismatch' };
  const oid = text(claims.oid)?.toLowerCase();
  if (oid === undefined) return { refused: 'missing_oid' };
  return {
    directory: tid,
    subject: oid,
    userName: text(claims.preferred_username),
    name: text(claims.name),
    givenName: text(claims.given_name),
    familyName: text(claims.family_name),
    email: text(claims.email),
  };
}
