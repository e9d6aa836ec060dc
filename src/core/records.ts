// The records the core reads and writes through the store port. Timestamps are ISO-8601 UTC strings.

export interface TenantRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface StoredDigest {
  readonly keyId: string;
  readonly digest: string;
}

export interface OperatorTokenRecord {
  readonly id: string;
  readonly label: string;
  readonly secret: StoredDigest;
  readonly createdAt: string;
}

/** What an admin token may do (ADR 0032): `read` GET only, `scim-tokens` the SCIM token routes, `admin` all. */
export type AdminScope = 'read' | 'scim-tokens' | 'admin';

export interface AdminTokenRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly label: string;
  readonly secret: StoredDigest;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly scopes: readonly AdminScope[];
  /** Refused from this instant on; null: never expires. */
  readonly expiresAt: string | null;
}

export interface SsoProperties {
  readonly loginEnabled: boolean;
  readonly visible: boolean;
  readonly delegationEnabled: boolean;
  readonly autoProvisioningEnabled: boolean;
  readonly clientId: string;
  readonly usePkce: boolean;
  /** Entra ID: the authority. Generic OIDC (kind 'oidc'): the issuer, shown as `properties.issuer` (ADR 0036). */
  readonly authority: string;
  readonly responseType: string;
  readonly scope: string;
  /** Generic OIDC only: the claim matched to SCIM externalId (default `sub`). */
  readonly subjectClaim?: string | undefined;
  /** Generic OIDC only: the claim matched to SCIM userName when no externalId matches (default `preferred_username`). */
  readonly userNameClaim?: string | undefined;
  /** Generic OIDC only: the `hd` pin — a domain, or "verified" (one of the tenant's verified domains); ADR 0036. */
  readonly hostedDomain?: string | undefined;
}

/** Which rules a provider follows: Entra ID's (tid/oid pin) or any OpenID Connect issuer's (iss/sub). */
export type SsoKind = 'azuread' | 'oidc';

export interface SsoProviderRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: SsoKind;
  readonly scheme: string;
  readonly displayName: string;
  readonly enabled: boolean;
  readonly type: 'oidc';
  readonly properties: SsoProperties;
  /** AES-GCM sealed client secret bound to (tenant, provider id); null when none was given. */
  readonly clientSecretSealed: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ScimTokenRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly provider: string;
  readonly providerDisplayName: string;
  readonly secret: StoredDigest;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  /** The role given to users this token creates, over the tenant's default (null: the tenant's default). */
  readonly defaultRole: string | null;
}

export interface AuditEventRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly at: string;
  readonly actor: string; // 'operator:<tokenId>' | 'admin:<tokenId>' | 'scim:<tokenId>' | 'system'
  readonly action: string; // 'scim_token.created', 'sso_provider.updated', …
  readonly target: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}
