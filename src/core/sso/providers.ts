// SSO provider registry: per-tenant OIDC providers, client secret write-only and encrypted at rest.
import { newId } from '../../lib/ids.ts';
import { DecryptionError, decryptSecret, encryptSecret, type Keyring } from '../../lib/keyring.ts';
import { recordAudit } from '../audit/audit.ts';
import { assertSchemeFree } from '../directories/schemes.ts';
import { DomainError, invalid } from '../errors.ts';
import { newEvent } from '../events/records.ts';
import type { CoreDeps, Repositories } from '../ports.ts';
import type { SsoKind, SsoProperties, SsoProviderRecord } from '../records.ts';
import { checkEntraAuthority } from './authority.ts';
import {
  checkClaimName,
  checkHostedDomain,
  checkIssuer,
  DEFAULT_SUBJECT_CLAIM,
  DEFAULT_USERNAME_CLAIM,
} from './issuer.ts';

/** The properties as the API speaks them: Entra ID providers name an `authority`, generic OIDC ones an `issuer`. */
export type SsoPropertiesInput = Omit<SsoProperties, 'authority' | 'hostedDomain'> & {
  readonly authority?: string | undefined;
  readonly issuer?: string | undefined;
  readonly hostedDomain?: string | null | undefined;
  readonly clientSecret?: string | undefined;
};

export interface SsoProviderInput {
  /** Which rules apply; 'azuread' when omitted. Fixed at creation. */
  readonly kind?: SsoKind | undefined;
  readonly scheme: string;
  readonly displayName: string;
  readonly enabled: boolean;
  readonly type: 'oidc';
  readonly properties: SsoPropertiesInput;
}

export interface SsoProviderView {
  readonly record: SsoProviderRecord;
  readonly warnings: readonly string[];
}

const SCHEME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const RESPONSE_TYPES = new Set(['code']);

/** The context a client secret is sealed to: moving the ciphertext to another row makes it undecryptable. */
export function secretContext(record: Pick<SsoProviderRecord, 'tenantId' | 'id'>): string {
  return `sso-client-secret:${record.tenantId}:${record.id}`;
}

const OIDC_ONLY = ['issuer', 'subjectClaim', 'userNameClaim', 'hostedDomain'] as const;

/** The kind-specific part: where the provider's tokens come from, and (generic OIDC) which claims link people. */
function checkSource(kind: SsoKind, p: SsoPropertiesInput): { source: Partial<SsoProperties>; warning?: string } {
  if (kind === 'azuread') {
    for (const name of OIDC_ONLY) {
      if (p[name] !== undefined && p[name] !== null) {
        throw invalid(`properties.${name}`, 'applies to generic OpenID Connect providers (POST /iam/v1/sso/oidc) only');
      }
    }
    if (p.authority === undefined) throw invalid('properties.authority', 'is required');
    const authority = checkEntraAuthority(p.authority);
    return { source: { authority: authority.authority }, ...(authority.warning ? { warning: authority.warning } : {}) };
  }
  if (p.authority !== undefined) {
    throw invalid('properties.authority', 'a generic OpenID Connect provider names its properties.issuer instead');
  }
  if (p.issuer === undefined) throw invalid('properties.issuer', 'is required');
  const issuer = checkIssuer(p.issuer);
  const hostedDomain = checkHostedDomain(p.hostedDomain, issuer);
  return {
    source: {
      authority: issuer,
      subjectClaim: checkClaimName('properties.subjectClaim', p.subjectClaim, DEFAULT_SUBJECT_CLAIM),
      userNameClaim: checkClaimName('properties.userNameClaim', p.userNameClaim, DEFAULT_USERNAME_CLAIM),
      ...(hostedDomain ? { hostedDomain } : {}),
    },
  };
}

/** The stored properties back in the API's words (the input a PUT or PATCH starts from). */
export function propertiesInputOf(record: Pick<SsoProviderRecord, 'kind' | 'properties'>): SsoPropertiesInput {
  if (record.kind === 'azuread') return record.properties;
  const { authority, ...rest } = record.properties;
  return { ...rest, issuer: authority };
}

function checkInput(kind: SsoKind, input: SsoProviderInput): { properties: SsoProperties; warnings: string[] } {
  if (!SCHEME.test(input.scheme)) {
    throw invalid('scheme', 'must be 1-63 characters of letters, digits, "-" and "_", starting with a letter or digit');
  }
  if (input.displayName.trim().length === 0) throw invalid('displayName', 'must not be empty');
  const p = input.properties;
  if (p.clientId.trim().length === 0) throw invalid('properties.clientId', 'must not be empty');
  if (!RESPONSE_TYPES.has(p.responseType)) {
    throw invalid('properties.responseType', 'only "code" is supported (authorization code flow)');
  }
  const scopes = p.scope.split(' ').filter(Boolean);
  if (!scopes.includes('openid')) throw invalid('properties.scope', 'must include "openid"');
  const { source, warning } = checkSource(kind, p);
  const properties: SsoProperties = {
    loginEnabled: p.loginEnabled,
    visible: p.visible,
    delegationEnabled: p.delegationEnabled,
    autoProvisioningEnabled: p.autoProvisioningEnabled,
    clientId: p.clientId.trim(),
    usePkce: p.usePkce,
    authority: '',
    responseType: p.responseType,
    scope: scopes.join(' '),
    ...source,
  };
  return { properties, warnings: warning ? [warning] : [] };
}

export function warningsOf(record: SsoProviderRecord): string[] {
  // A generic issuer is checked in full when stored; only Entra's `{TenantId}` placeholder can leave one unusable.
  if (record.kind !== 'azuread') return [];
  const warning = checkEntraAuthority(record.properties.authority).warning;
  return warning ? [warning] : [];
}

export const SECRET_UNREADABLE_WARNING =
  'the stored client secret cannot be decrypted (it was sealed for another provider, or under a secret key that is no longer configured); sign-in with this provider is refused until properties.clientSecret is set again';

/** Whether the stored client secret still decrypts here: a ciphertext moved from another row, or a retired key, does not. */
export function clientSecretReadable(deps: { readonly keyring: Keyring }, record: SsoProviderRecord): boolean {
  if (record.clientSecretSealed === null) return true;
  try {
    decryptSecret(deps.keyring, record.clientSecretSealed, secretContext(record));
    return true;
  } catch (error) {
    if (error instanceof DecryptionError) return false;
    throw error;
  }
}

/** What an admin should know about a provider: its authority, and whether its secret can be used. */
export function providerWarnings(deps: { readonly keyring: Keyring }, record: SsoProviderRecord): string[] {
  return [...warningsOf(record), ...(clientSecretReadable(deps, record) ? [] : [SECRET_UNREADABLE_WARNING])];
}

function seal(deps: CoreDeps, record: Pick<SsoProviderRecord, 'tenantId' | 'id'>, secret: string | undefined) {
  if (secret === undefined || secret === '') return null;
  if (secret.length > 1024) throw invalid('properties.clientSecret', 'must be at most 1024 characters');
  return encryptSecret(deps.keyring, secret, secretContext(record));
}

export async function createSsoProvider(
  deps: CoreDeps,
  actor: string,
  tenantId: string,
  input: SsoProviderInput,
): Promise<SsoProviderView> {
  const kind = input.kind ?? 'azuread';
  const { properties, warnings } = checkInput(kind, input);
  const now = deps.clock.now().toISOString();
  const id = newId();
  const record: SsoProviderRecord = {
    id,
    tenantId,
    kind,
    scheme: input.scheme,
    displayName: input.displayName.trim(),
    enabled: input.enabled,
    type: 'oidc',
    properties,
    clientSecretSealed: seal(deps, { tenantId, id }, input.properties.clientSecret),
    createdAt: now,
    updatedAt: now,
  };
  await insertProviderOf(deps, actor, record, (tx) => tx.ssoProviders.insert(record), providerData(record), {
    enabled: record.enabled,
    authority: properties.authority,
    clientSecretSet: record.clientSecretSealed !== null,
  });
  return { record, warnings };
}

export async function getSsoProvider(deps: CoreDeps, tenantId: string, scheme: string): Promise<SsoProviderRecord> {
  const record = await deps.store.ssoProviders.get(tenantId, scheme);
  if (!record) throw new DomainError('sso.not_found', `no SSO provider with scheme "${scheme}"`);
  return record;
}

export function listSsoProviders(deps: CoreDeps, tenantId: string): Promise<readonly SsoProviderRecord[]> {
  return deps.store.ssoProviders.list(tenantId);
}

/**
 * Full replacement (PUT) or merge (PATCH, RFC 7396 semantics on the caller's side: `next` is the merged input).
 * The scheme is the provider's name in URLs and SCIM token links, so it cannot change. Omitting clientSecret
 * keeps the stored one (it is write-only and cannot be echoed back by clients).
 */
export async function updateSsoProvider(
  deps: CoreDeps,
  actor: string,
  tenantId: string,
  scheme: string,
  next: (current: SsoProviderInput) => SsoProviderInput,
): Promise<SsoProviderView> {
  return deps.store.transaction(async (tx) => {
    const current = await tx.ssoProviders.get(tenantId, scheme);
    if (!current) throw new DomainError('sso.not_found', `no SSO provider with scheme "${scheme}"`);
    const input = next({
      scheme: current.scheme,
      displayName: current.displayName,
      enabled: current.enabled,
      type: current.type,
      properties: propertiesInputOf(current),
    });
    if (input.scheme !== current.scheme) throw invalid('scheme', 'cannot be changed; create a new provider instead');
    const { properties, warnings } = checkInput(current.kind, input);
    const secret = input.properties.clientSecret;
    const record: SsoProviderRecord = {
      ...current,
      displayName: input.displayName.trim(),
      enabled: input.enabled,
      properties,
      clientSecretSealed: secret === undefined ? current.clientSecretSealed : seal(deps, current, secret),
      updatedAt: deps.clock.now().toISOString(),
    };
    await tx.ssoProviders.update(record);
    await tx.events.append([
      newEvent(newId(), deps.clock.now(), tenantId, 'sso_provider.updated', providerData(record)),
    ]);
    await recordAudit(tx, deps.clock.now(), {
      tenantId,
      actor,
      action: 'sso_provider.updated',
      target: scheme,
      data: { enabled: record.enabled, authority: properties.authority, clientSecretChanged: secret !== undefined },
    });
    return { record, warnings };
  });
}

/** What sso_provider events carry: identity and state, never properties or secrets. */
function providerData(record: SsoProviderRecord): Record<string, unknown> {
  return {
    id: record.id,
    scheme: record.scheme,
    kind: record.kind,
    displayName: record.displayName,
    enabled: record.enabled,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * Stores a new provider of any kind (its row by `insert`) under the tenant's one scheme namespace: OIDC and SAML
 * providers (kind-'saml' rows of the same table, ADR 0038) and directory connections (ADR 0043); then its event and
 * audit entry.
 */
export async function insertProviderOf(
  deps: CoreDeps,
  actor: string,
  record: { readonly tenantId: string; readonly scheme: string },
  insert: (tx: Repositories) => Promise<void>,
  eventData: Record<string, unknown>,
  auditData: Record<string, unknown>,
): Promise<void> {
  const { tenantId, scheme } = record;
  await deps.store.transaction(async (tx) => {
    await assertSchemeFree(tx, tenantId, scheme);
    await insert(tx);
    await tx.events.append([newEvent(newId(), deps.clock.now(), tenantId, 'sso_provider.created', eventData)]);
    await recordAudit(tx, deps.clock.now(), {
      tenantId,
      actor,
      action: 'sso_provider.created',
      target: scheme,
      data: auditData,
    });
  });
}

/** The rows of one provider kind, as deleting a provider needs them. */
export interface ProviderRows {
  get(tenantId: string, scheme: string): Promise<unknown>;
  delete(tenantId: string, scheme: string): Promise<boolean>;
}

/**
 * Deletes a provider of any kind (its rows from `rowsOf`). Refused while SCIM tokens still link to the provider:
 * deleting it would orphan a live provisioning job.
 */
export async function deleteProviderOf(
  deps: CoreDeps,
  actor: string,
  tenantId: string,
  scheme: string,
  rowsOf: (tx: Repositories) => ProviderRows,
  what: string,
): Promise<void> {
  await deps.store.transaction(async (tx) => {
    // The scheme lock stands in for the foreign key tokens no longer have (ADR 0043): no token slips in unseen.
    await tx.directoryConnections.lockSchemes(tenantId);
    const rows = rowsOf(tx);
    if (!(await rows.get(tenantId, scheme))) {
      throw new DomainError('sso.not_found', `no ${what} with scheme "${scheme}"`);
    }
    const tokens = await tx.scimTokens.countForProvider(tenantId, scheme);
    if (tokens > 0) {
      throw new DomainError(
        'sso.has_scim_tokens',
        `SSO provider "${scheme}" still has ${tokens} SCIM token(s); delete them first (DELETE /iam/v1/scim/{id})`,
      );
    }
    await rows.delete(tenantId, scheme);
    await tx.events.append([newEvent(newId(), deps.clock.now(), tenantId, 'sso_provider.deleted', { scheme })]);
    await recordAudit(tx, deps.clock.now(), { tenantId, actor, action: 'sso_provider.deleted', target: scheme });
  });
}

/** An OIDC provider (Entra or generic), by deleteProviderOf's rule. */
export function deleteSsoProvider(deps: CoreDeps, actor: string, tenantId: string, scheme: string): Promise<void> {
  return deleteProviderOf(deps, actor, tenantId, scheme, (tx) => tx.ssoProviders, 'SSO provider');
}
