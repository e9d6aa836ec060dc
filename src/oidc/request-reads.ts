// What one protocol request already read beside its code or refresh token: the grant and the subject (ADR 0058).
// oidc-provider asks for them in separate calls (Grant.find, findAccount); the adapter read all three in one
// statement and hands each out once, to the same request only: a later call, or another request, reads afresh.
import type { StoredUser } from '../core/scim/records.ts';
import type { TokenWithGrant } from '../core/signin/ports.ts';

interface Prefetched {
  grant?: { readonly id: string; readonly payload: Record<string, unknown> | undefined };
  subject?: { readonly id: string; readonly user: StoredUser | undefined };
}

/** Keyed by oidc-provider's request context: gone with the request. */
const byRequest = new WeakMap<object, Prefetched>();

export function rememberReads(request: object | undefined, read: TokenWithGrant): void {
  if (request === undefined) return;
  const { grantId, accountId } = read.token;
  const prefetched: Prefetched = {};
  if (typeof grantId === 'string') prefetched.grant = { id: grantId, payload: read.grant };
  if (typeof accountId === 'string') prefetched.subject = { id: accountId, user: read.subject };
  byRequest.set(request, prefetched);
}

/** The grant read with this request's token, when it is the one asked for; `found: false` means read it. */
export function takeGrant(
  request: object | undefined,
  grantId: string,
): { found: true; payload: Record<string, unknown> | undefined } | { found: false } {
  const prefetched = request === undefined ? undefined : byRequest.get(request);
  const grant = prefetched?.grant;
  if (grant === undefined || grant.id !== grantId) return { found: false };
  delete prefetched!.grant;
  return { found: true, payload: grant.payload };
}

/** The subject read with this request's token, when it is the one asked for; `found: false` means read it. */
export function takeSubject(
  request: object | undefined,
  accountId: string,
): { found: true; user: StoredUser | undefined } | { found: false } {
  const prefetched = request === undefined ? undefined : byRequest.get(request);
  const subject = prefetched?.subject;
  if (subject === undefined || subject.id !== accountId) return { found: false };
  delete prefetched!.subject;
  return { found: true, user: subject.user };
}
