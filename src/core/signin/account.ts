// What apps learn about a subject: OpenID Connect claims from the SCIM resource, by scope.
import type { GroupRef, StoredUser } from '../scim/records.ts';

/** Scope → claims, as announced in discovery. `tenant_id` is always present so apps can scope their data. */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub', 'tenant_id'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email'],
  groups: ['groups'],
  /** Effective role keys (ADR 0032): direct roles and roles mapped to the user's groups, nested included. */
  roles: ['roles'],
} as const;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The primary email, else the first one (RFC 7643 §4.1.2: at most one is primary). */
function primaryEmail(data: Record<string, unknown>): string | undefined {
  const emails = Array.isArray(data.emails) ? (data.emails as Record<string, unknown>[]) : [];
  return text((emails.find((e) => e?.primary === true) ?? emails[0])?.value);
}

export function isSignInAllowed(user: StoredUser | undefined): user is StoredUser {
  return user !== undefined && user.data.active !== false;
}

export function accountClaims(
  user: StoredUser,
  groups: readonly GroupRef[] | undefined,
  roles?: readonly string[],
): Record<string, string | readonly string[]> {
  const data = user.data;
  const name = (data.name ?? {}) as Record<string, unknown>;
  const claims: Record<string, string | readonly string[]> = { sub: user.id, tenant_id: user.tenantId };
  const set = (claim: string, value: string | undefined) => {
    if (value !== undefined) claims[claim] = value;
  };
  set('preferred_username', text(data.userName));
  set('name', text(data.displayName) ?? text(name.formatted));
  set('given_name', text(name.givenName));
  set('family_name', text(name.familyName));
  set('email', primaryEmail(data));
  if (groups) claims.groups = groups.map((g) => g.display);
  if (roles) claims.roles = roles;
  return claims;
}
