// What a generic OpenID Connect provider may be configured with: an https issuer (http only on loopback), the claims
// that link a person to a SCIM subject (never email), and the optional Google `hd` pin (ADR 0036).
import { invalid } from '../errors.ts';
import { isLoopbackHost } from './authority.ts';

/** Google's issuer: without an `hd` pin any Google account (gmail.com included) could sign in, so it is pinned. */
export const GOOGLE_ISSUER = 'https://accounts.google.com';
/** `hostedDomain: "verified"` — the `hd` claim must be one of the tenant's verified domains at sign-in time. */
export const HD_VERIFIED = 'verified';
export const DEFAULT_SUBJECT_CLAIM = 'sub';
export const DEFAULT_USERNAME_CLAIM = 'preferred_username';

/**
 * Email claims are mutable and, at many IdPs, self-asserted: linking on them lets anyone who can set an address
 * take over the account that owns it (nOAuth, docs/providers.md).
 */
const EMAIL_CLAIMS = new Set(['email', 'emails', 'email_verified', 'upn_email', 'mail', 'unique_name']);
const CLAIM = /^[A-Za-z0-9_:.\-/]{1,128}$/;
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The issuer exactly as the IdP announces it (a trailing slash is significant: discovery compares it verbatim). */
export function checkIssuer(raw: string): string {
  const field = 'properties.issuer';
  const issuer = raw.trim();
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw invalid(field, 'must be an absolute URL, e.g. https://your-org.okta.com or https://accounts.google.com');
  }
  if (url.username || url.password) throw invalid(field, 'must not contain credentials');
  if (url.search || url.hash) throw invalid(field, 'must not contain a query or fragment');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw invalid(field, 'must use https (http is accepted only for loopback hosts)');
  }
  return issuer;
}

export function checkClaimName(field: string, raw: string | undefined, fallback: string): string {
  const claim = raw === undefined || raw.trim() === '' ? fallback : raw.trim();
  if (!CLAIM.test(claim)) throw invalid(field, 'must be a claim name (letters, digits, "_", ":", ".", "-", "/")');
  if (EMAIL_CLAIMS.has(claim.toLowerCase())) {
    throw invalid(
      field,
      'an email claim is never used to link accounts: it is mutable and often unverified (nOAuth). Use a stable id or login name',
    );
  }
  return claim;
}

/** undefined: no pin; "verified": any verified domain of the tenant; otherwise one domain, lower-cased. */
export function checkHostedDomain(raw: string | undefined | null, issuer: string): string | undefined {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '') return issuer === GOOGLE_ISSUER ? HD_VERIFIED : undefined;
  if (value === HD_VERIFIED || DOMAIN.test(value)) return value;
  throw invalid('properties.hostedDomain', 'must be "verified" or a domain name, e.g. example.com');
}
