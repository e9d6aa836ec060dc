// Whether a person may use Roster ID's own credentials, and whether a tenant offers them at all (ADR 0040).

import { domainOfAddress } from '../domains/names.ts';
import { primaryEmail, readDomainPolicy } from '../domains/policy.ts';
import type { Repositories } from '../ports.ts';
import type { StoredUser } from '../scim/records.ts';
import type { CredentialSettingsRepository } from './ports.ts';

export type CredentialRefusal = 'sso_required';

export type CredentialPermission =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: CredentialRefusal };

/** Whether `domain` is `verified` or one of its subdomains (a verified parent covers its subdomains). */
function covered(domain: string | undefined, verified: readonly string[]): boolean {
  if (domain === undefined) return false;
  return verified.some((v) => domain === v || domain.endsWith(`.${v}`));
}

/**
 * Own credentials are refused to a person of a verified domain (userName or primary email) while the tenant's
 * domainPolicy.ssoRequiredForVerifiedDomains is on, so SSO cannot be bypassed with a password or passkey.
 */
export async function ownCredentialsAllowed(
  deps: { readonly store: Pick<Repositories, 'settings' | 'domains'> },
  tenantId: string,
  user: Pick<StoredUser, 'data'>,
): Promise<CredentialPermission> {
  const policy = await readDomainPolicy(deps.store, tenantId);
  if (!policy.ssoRequiredForVerifiedDomains) return { allowed: true };
  const verified = await deps.store.domains.verifiedOf(tenantId);
  const email = primaryEmail(user.data);
  const userName = typeof user.data.userName === 'string' ? user.data.userName : '';
  const domains = [domainOfAddress(userName), email === undefined ? undefined : domainOfAddress(email)];
  if (domains.some((d) => covered(d, verified))) return { allowed: false, reason: 'sso_required' };
  return { allowed: true };
}

/**
 * "SCIM alone" (seed 000): the tenant turned scimAloneMode on, or none of its providers is loginEnabled. Then
 * the sign-in chooser offers Roster ID and SCIM-created users get an activation invitation.
 */
export async function isScimAlone(
  deps: {
    readonly store: Pick<Repositories, 'ssoProviders' | 'samlProviders'>;
    readonly credentials: { readonly credentialSettings: CredentialSettingsRepository };
  },
  tenantId: string,
  /** The tenant's providers of every kind, when the caller has already read them (the sign-in chooser has). */
  known?: readonly { readonly properties: { readonly loginEnabled: boolean } }[],
): Promise<boolean> {
  if (await deps.credentials.credentialSettings.scimAloneMode(tenantId)) return true;
  // loginEnabled, not usability: a provider switched off for a while (enabled: false, or an authority to fix) does
  // not turn the tenant into a password tenant; only a tenant without sign-in by SSO is one.
  // SAML providers (ADR 0038) are listed apart from the OIDC ones, and sign people in just the same.
  const providers =
    known ??
    (await Promise.all([deps.store.ssoProviders.list(tenantId), deps.store.samlProviders.list(tenantId)])).flat();
  return !providers.some((p) => p.properties.loginEnabled);
}
