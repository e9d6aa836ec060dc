// The tenant's scheme namespace (ADR 0043): one name space for SSO providers of every kind and directory
// connections, because a SCIM token's `provider` names a scheme and must name exactly one connection.
import { DomainError } from '../errors.ts';
import type { Repositories } from '../ports.ts';

/** What holds a scheme: an SSO provider (its kind, e.g. azuread) or a directory connection (its type, e.g. okta). */
export interface SchemeOwner {
  readonly connection: 'sso_provider' | 'directory';
  readonly kind: string;
  readonly displayName: string;
}

/**
 * Takes the tenant's scheme lock and tells who holds `scheme`. SSO providers are looked up by scheme whatever their
 * kind, so a new provider kind stored with the others needs no change here. Call it inside the transaction that
 * acts on the answer: the lock holds until that transaction ends.
 */
export async function lockSchemeOwner(
  tx: Repositories,
  tenantId: string,
  scheme: string,
): Promise<SchemeOwner | undefined> {
  await tx.directoryConnections.lockSchemes(tenantId);
  const provider = await tx.ssoProviders.get(tenantId, scheme);
  if (provider) return { connection: 'sso_provider', kind: provider.kind, displayName: provider.displayName };
  // SAML providers are rows of the same table that the OIDC repository does not read (ADR 0038).
  const saml = await tx.samlProviders.get(tenantId, scheme);
  if (saml) return { connection: 'sso_provider', kind: 'saml', displayName: saml.displayName };
  const directory = await tx.directoryConnections.get(tenantId, scheme);
  if (directory) return { connection: 'directory', kind: directory.type, displayName: directory.displayName };
  return undefined;
}

/**
 * Refuses a scheme already held in the tenant (409), by an SSO provider (`sso.scheme_taken`) or by a directory
 * connection (`directories.scheme_taken`). Every path that creates a provider or a directory calls it in its
 * transaction, before its insert.
 */
export async function assertSchemeFree(tx: Repositories, tenantId: string, scheme: string): Promise<void> {
  const owner = await lockSchemeOwner(tx, tenantId, scheme);
  if (!owner) return;
  const what = owner.connection === 'sso_provider' ? 'an SSO provider' : 'a directory connection';
  throw new DomainError(
    owner.connection === 'sso_provider' ? 'sso.scheme_taken' : 'directories.scheme_taken',
    `scheme "${scheme}" is already used by ${what} of this tenant ("${owner.displayName}")`,
    [{ field: 'scheme', message: `already in use in this tenant by ${what}` }],
  );
}
