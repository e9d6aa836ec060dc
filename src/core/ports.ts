// The ports the core needs: the store (with its transaction boundary) and the clock/keyring passed as deps.
import type { Clock } from '../lib/clock.ts';
import type { Digest, Keyring } from '../lib/keyring.ts';
import type { BrandingRepository } from './branding/records.ts';
import type { DirectoryConnectionRepository } from './directories/ports.ts';
import type { DomainRepository, SettingsRepository } from './domains/ports.ts';
import type { DomainPolicy } from './domains/records.ts';
import type { EventRepository } from './events/ports.ts';
import type {
  AdminTokenRecord,
  AuditEventRecord,
  OperatorTokenRecord,
  ScimTokenRecord,
  SsoProviderRecord,
  TenantRecord,
} from './records.ts';
import type { RoleRepository } from './roles/ports.ts';
import type { SamlAssertionRepository, SamlProviderRepository } from './saml/records.ts';
import type { FirstPageLookup, SearchResult, StoredGroup, StoredUser } from './scim/records.ts';

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface TenantRepository {
  insert(tenant: TenantRecord): Promise<void>;
  get(id: string): Promise<TenantRecord | undefined>;
  list(): Promise<readonly TenantRecord[]>;
  /** Deletes the tenant and, by cascade, everything it owns. */
  delete(id: string): Promise<boolean>;
}

export interface OperatorTokenRepository {
  insert(token: OperatorTokenRecord): Promise<void>;
  get(id: string): Promise<OperatorTokenRecord | undefined>;
  count(): Promise<number>;
}

export interface AdminTokenRepository {
  insert(token: AdminTokenRecord): Promise<void>;
  /** Lookup by token id alone: the tenant is learnt from the row, never from the request. */
  get(id: string): Promise<AdminTokenRecord | undefined>;
  list(tenantId: string): Promise<readonly AdminTokenRecord[]>;
  delete(tenantId: string, id: string): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
}

export interface SsoProviderRepository {
  insert(provider: SsoProviderRecord): Promise<void>;
  get(tenantId: string, scheme: string): Promise<SsoProviderRecord | undefined>;
  list(tenantId: string): Promise<readonly SsoProviderRecord[]>;
  update(provider: SsoProviderRecord): Promise<void>;
  delete(tenantId: string, scheme: string): Promise<boolean>;
}

export interface ScimTokenRepository {
  insert(token: ScimTokenRecord): Promise<void>;
  get(id: string): Promise<ScimTokenRecord | undefined>;
  /**
   * The token with its tenant's stored domain policy (null: none stored), in one statement (ADR 0045): a SCIM
   * request authenticates with it, and a user write then needs no read of its own for the policy.
   */
  getWithDomainPolicy(
    id: string,
  ): Promise<(ScimTokenRecord & { readonly domainPolicy: DomainPolicy | null }) | undefined>;
  /**
   * As getWithDomainPolicy, plus the user `userId` of the token's own tenant (null: none), with its direct groups,
   * in the same statement. Only where a statement is a round trip (PostgreSQL, ADR 0051); absent elsewhere.
   */
  getWithDomainPolicyAndUser?(
    id: string,
    userId: string,
  ): Promise<
    (ScimTokenRecord & { readonly domainPolicy: DomainPolicy | null; readonly user: StoredUser | null }) | undefined
  >;
  /** As getWithDomainPolicyAndUser, for the group `groupId` of the token's own tenant (null: none). PostgreSQL only. */
  getWithDomainPolicyAndGroup?(
    id: string,
    groupId: string,
  ): Promise<
    (ScimTokenRecord & { readonly domainPolicy: DomainPolicy | null; readonly group: StoredGroup | null }) | undefined
  >;
  /**
   * As getWithDomainPolicy, plus the first page of `lookup` among the token's own tenant's resources, in the same
   * statement (ADR 0055). `lookup` is null when the statement could not answer it whole (a shape the store does not
   * compile once, or more matches than the page holds): then the caller searches as usual. PostgreSQL only.
   */
  getWithDomainPolicyAndLookup?(
    id: string,
    lookup: FirstPageLookup,
  ): Promise<
    | (ScimTokenRecord & {
        readonly domainPolicy: DomainPolicy | null;
        readonly lookup: SearchResult<StoredUser | StoredGroup> | null;
      })
    | undefined
  >;
  list(tenantId: string): Promise<readonly ScimTokenRecord[]>;
  countForProvider(tenantId: string, provider: string): Promise<number>;
  delete(tenantId: string, id: string): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
  /** SCIM tokens expiring before `before` whose `scim_token.expiring` event is not yet made, oldest first. */
  expiringUnnotified(before: string, limit: number): Promise<readonly ScimTokenRecord[]>;
  /** Marks the notice made; false when another process marked it first (so exactly one makes the event). */
  markExpiryNotified(id: string, at: string): Promise<boolean>;
}

export interface AuditRepository {
  append(event: AuditEventRecord): Promise<void>;
  /** Newest first; `before` is an event id (ids are time-ordered). */
  list(tenantId: string, options: { limit: number; before?: string | undefined }): Promise<readonly AuditEventRecord[]>;
}

export interface Repositories {
  readonly tenants: TenantRepository;
  readonly operatorTokens: OperatorTokenRepository;
  readonly adminTokens: AdminTokenRepository;
  readonly ssoProviders: SsoProviderRepository;
  readonly scimTokens: ScimTokenRepository;
  readonly audit: AuditRepository;
  /** The event outbox, for the admin writes that make events (SCIM tokens, SSO providers). */
  readonly events: EventRepository;
  /** Verified domains (ADR 0030). */
  readonly domains: DomainRepository;
  /** Per-tenant settings (`domainPolicy`). */
  readonly settings: SettingsRepository;
  /** Roles (ADR 0032): a SCIM token's default role must name one of the tenant's roles. */
  readonly roles: RoleRepository;
  /** Branding (ADR 0035): the operator's row and the tenants' overrides. */
  readonly branding: BrandingRepository;
  /** Directory connections (ADR 0043): SCIM-only connections that SCIM tokens can name. */
  readonly directoryConnections: DirectoryConnectionRepository;
  /** SAML identity providers (ADR 0038), beside the OIDC ones; one scheme namespace. */
  readonly samlProviders: SamlProviderRepository;
  /** The SAML assertion-id replay cache (ADR 0038). */
  readonly samlAssertions: SamlAssertionRepository;
}

/** Where a secret at rest is sealed: its kind and row decide the context (AAD) it is bound to. */
export type SealedKind =
  | 'sso_client_secret'
  | 'app_client_secret'
  | 'signing_key'
  | 'webhook_secret'
  /** A vendor-wide app's secret (ADR 0044); its tenantId is ''. */
  | 'operator_app_client_secret'
  /** A Roster ID user's TOTP secret (ADR 0041); rowId is the user id. */
  | 'totp_secret';

export interface SealedValue {
  readonly kind: SealedKind;
  /** '' for an operator webhook's secret (it belongs to no tenant). */
  readonly tenantId: string;
  /** The provider id, the app's client_id, the signing key's kid, or the webhook id. */
  readonly rowId: string;
  readonly sealed: string;
}

export type TokenKind = 'operator' | 'admin' | 'scim';

export interface TokenKeyRef {
  readonly kind: TokenKind;
  readonly id: string;
  readonly tenantId: string | null;
  readonly keyId: string;
}

/** What key rotation needs from the store: every value tied to a server key, and compare-and-set rewrites. */
export interface KeyStore {
  sealedValues(): Promise<readonly SealedValue[]>;
  /** Replaces the sealed text only if it is still `value.sealed` (a concurrent update wins). */
  replaceSealed(value: SealedValue, next: string): Promise<boolean>;
  tokenKeys(): Promise<readonly TokenKeyRef[]>;
  /** Rewrites a token's digest only if it is still `from` (a revocation or another rewrite wins). */
  rehashToken(kind: TokenKind, id: string, from: Digest, to: Digest): Promise<void>;
  /** Short-lived sealed sign-in state (upstream login checks, delegated upstream tokens): key id and expiry. */
  sealedPayloads(): Promise<readonly { readonly keyId: string; readonly expiresAt: number | null }[]>;
}

export interface Store extends Repositories {
  readonly kind: 'sqlite' | 'postgres';
  readonly keys: KeyStore;
  /** Runs `work` in one write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED + row locks). */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface CoreDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly clock: Clock;
}
