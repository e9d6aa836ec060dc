// The generic OpenID Connect pin: an ID token counts only if its issuer is the configured one, it names a `sub`, the
// configured subject claim, and — when the provider pins a hosted domain (Google Workspace) — an allowed `hd`.
import type { SsoProperties } from '../records.ts';
import { DEFAULT_SUBJECT_CLAIM, DEFAULT_USERNAME_CLAIM, HD_VERIFIED } from '../sso/issuer.ts';
import type { UpstreamIdentity } from './identity.ts';
import type { PinRefusal } from './outcomes.ts';

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
/** Google sends `sub` as a numeric string; some IdPs send numbers for custom claims. Both are identifiers. */
const id = (value: unknown): string | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : text(value);

/** Whether the `hd` pin lets this token through; `verifiedDomains` is read only when the pin is "verified". */
export function hostedDomainAllowed(pin: string | undefined, hd: unknown, verifiedDomains: readonly string[]): boolean {
  if (pin === undefined) return true;
  const domain = text(hd)?.toLowerCase();
  if (domain === undefined) return false;
  return pin === HD_VERIFIED ? verifiedDomains.includes(domain) : domain === pin;
}

/**
 * Identity = (iss, sub): `sub` is unique only within its issuer, so the pair is the key (with the provider). The
 * subject claim (default `sub`) is what SCIM externalId is matched to; the userName claim (default
 * `preferred_username`) what userName is matched to. Email is carried for a just-in-time profile, never matched.
 */
export function oidcIdentity(
  properties: SsoProperties,
  claims: Readonly<Record<string, unknown>>,
  verifiedDomains: readonly string[],
): UpstreamIdentity | { readonly refused: PinRefusal } {
  if (claims.iss !== properties.authority) return { refused: 'issuer_mismatch' };
  const sub = id(claims.sub);
  if (sub === undefined) return { refused: 'missing_sub' };
  const externalId = id(claims[properties.subjectClaim ?? DEFAULT_SUBJECT_CLAIM]);
  if (externalId === undefined) return { refused: 'missing_subject_claim' };
  if (!hostedDomainAllowed(properties.hostedDomain, claims.hd, verifiedDomains)) {
    return { refused: 'hosted_domain_mismatch' };
  }
  return {
    directory: properties.authority,
    subject: sub,
    ...(externalId === sub ? {} : { externalId }),
    userName: text(claims[properties.userNameClaim ?? DEFAULT_USERNAME_CLAIM]),
    name: text(claims.name),
    givenName: text(claims.given_name),
    familyName: text(claims.family_name),
    email: text(claims.email),
  };
}
