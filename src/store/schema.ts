import type { Generated } from 'kysely';
// Table shapes as Kysely sees them. Timestamps are ISO-8601 UTC text and booleans 0/1 on both dialects, so
// comparisons and ordering behave identically on SQLite and PostgreSQL.

export interface TenantsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface OperatorTokensTable {
  id: string;
  label: string;
  digest: string;
  key_id: string;
  created_at: string;
}

export interface AdminTokensTable {
  id: string;
  tenant_id: string;
  label: string;
  digest: string;
  key_id: string;
  created_at: string;
  last_used_at: string | null;
  /** Space-separated admin scopes (migration 0012): read, scim-tokens, admin. */
  scopes: string;
  expires_at: string | null;
}

export interface SsoProvidersTable {
  id: string;
  tenant_id: string;
  kind: string;
  scheme: string;
  display_name: string;
  enabled: number;
  type: string;
  properties: string; // JSON, without the client secret
  client_secret_sealed: string | null;
  created_at: string;
  updated_at: string;
}

export interface ScimTokensTable {
  id: string;
  tenant_id: string;
  provider: string;
  provider_display_name: string;
  digest: string;
  key_id: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  default_role: string | null;
  /** When `scim_token.expiring` was emitted for this token (once per token). */
  expiry_notified_at: string | null;
}

export interface RolesTable {
  tenant_id: string;
  key: string;
  name: string;
  created_at: string;
}

export interface UserRolesTable {
  tenant_id: string;
  user_id: string;
  role_key: string;
  created_at: string;
}

export interface RoleMappingsTable {
  tenant_id: string;
  id: string;
  group_id: string;
  role_key: string;
  created_at: string;
}

export interface TenantRoleSettingsTable {
  tenant_id: string;
  default_role: string | null;
}

export interface AuditEventsTable {
  id: string;
  tenant_id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  data: string; // JSON
}

export interface OidcPayloadsTable {
  tenant_id: string;
  model: string;
  id: string;
  payload: JsonColumn;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  /** Epoch seconds (pg returns int8 as a string). */
  expires_at: number | string | null;
  consumed_at: number | string | null;
}

export interface OidcClientsTable {
  tenant_id: string;
  client_id: string;
  metadata: JsonColumn;
  secret_sealed: string | null;
  created_at: string;
  updated_at: string;
}

export interface OidcSigningKeysTable {
  tenant_id: string;
  kid: string;
  private_jwk_sealed: string;
  created_at: string;
  retired_at: string | null;
}

export interface UpstreamIdentitiesTable {
  tenant_id: string;
  provider_id: string;
  directory: string;
  subject: string;
  user_id: string;
  created_at: string;
}

export interface Database extends ScimDatabase {
  oidc_payloads: OidcPayloadsTable;
  oidc_clients: OidcClientsTable;
  oidc_signing_keys: OidcSigningKeysTable;
  upstream_identities: UpstreamIdentitiesTable;
  tenants: TenantsTable;
  operator_tokens: OperatorTokensTable;
  admin_tokens: AdminTokensTable;
  sso_providers: SsoProvidersTable;
  scim_tokens: ScimTokensTable;
  audit_events: AuditEventsTable;
  console_sessions: ConsoleSessionsTable;
  setup_links: SetupLinksTable;
  tenant_setup: TenantSetupTable;
  sso_test_signins: SsoTestSigninsTable;
  domains: DomainsTable;
  tenant_settings: TenantSettingsTable;
  tenant_role_settings: TenantRoleSettingsTable;
  operator_branding: OperatorBrandingTable;
  tenant_branding: TenantBrandingTable;
  directory_connections: DirectoryConnectionsTable;
  operator_oidc_clients: OperatorOidcClientsTable;
  operator_audit_events: OperatorAuditEventsTable;
  credential_links: CredentialLinksTable;
  password_credentials: PasswordCredentialsTable;
  totp_factors: TotpFactorsTable;
  enrolment_sessions: EnrolmentSessionsTable;
  tenant_credential_settings: TenantCredentialSettingsTable;
  credential_activation_cursor: CredentialActivationCursorTable;
  saml_assertion_ids: SamlAssertionIdsTable;
  passkey_credentials: PasskeyCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
}

/** Migration 0013 (ADR 0028): console sessions. */
export interface ConsoleSessionsTable {
  id: string;
  tenant_id: string;
  digest: string;
  key_id: string;
  csrf: string;
  actor: string;
  created_at: string;
  last_seen_at: string;
}

/** Migration 0010 (ADR 0029): setup links, the redirect URI confirmation, test sign-ins. */
export interface SetupLinksTable {
  id: string;
  tenant_id: string;
  digest: string;
  key_id: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

export interface TenantSetupTable {
  tenant_id: string;
  redirect_uri_confirmed_at: string | null;
  redirect_uri_confirmed_by: string | null;
}

export interface SsoTestSigninsTable {
  tenant_id: string;
  id: string;
  provider_id: string;
  scheme: string;
  start_digest: string;
  start_key_id: string;
  browser_digest: string | null;
  browser_key_id: string | null;
  status: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  started_at: string | null;
  finished_at: string | null;
  outcome: string | null;
}

/** A tenant's claim on a domain (migration 0011). */
export interface DomainsTable {
  id: string;
  tenant_id: string;
  domain: string;
  status: string;
  challenge: string;
  reason: string | null;
  failures: number;
  created_at: string;
  verified_at: string | null;
  checked_at: string | null;
  next_check_at: string | null;
  lease_until: string | null;
}

export interface TenantSettingsTable {
  tenant_id: string;
  /** JSON text of the DomainPolicy. */
  domain_policy: string;
  updated_at: string;
}

/** `data`/`search` are JSON text on SQLite and jsonb on PostgreSQL (parsed objects when read through pg). */
export type JsonColumn = string | Record<string, unknown>;

export interface ScimUsersTable {
  tenant_id: string;
  id: string;
  user_name: string;
  user_name_key: string;
  external_id: string | null;
  active: number;
  data: JsonColumn;
  search: JsonColumn;
  password_hash: string | null;
  version: number;
  created_at: string;
  last_modified: string;
  created_by_token: string | null;
  provider: string | null;
}

/** One row per (tenant, folded emails[].value, user): the lookup index of `emails.value eq` (migration 0009). */
export interface ScimUserEmailsTable {
  tenant_id: string;
  value_key: string;
  user_id: string;
}

export interface ScimGroupsTable {
  tenant_id: string;
  id: string;
  display_name: string;
  display_name_key: string;
  external_id: string | null;
  data: JsonColumn;
  search: JsonColumn;
  version: number;
  created_at: string;
  last_modified: string;
  created_by_token: string | null;
  provider: string | null;
}

export interface ScimGroupMembersTable {
  tenant_id: string;
  group_id: string;
  member_id: string;
  member_type: string;
}

export interface ScimLogTable {
  id: string;
  tenant_id: string;
  at: string;
  token_id: string | null;
  method: string;
  path: string;
  operation: string;
  resource_type: string | null;
  resource_id: string | null;
  status: number;
  scim_type: string | null;
  duration_ms: number;
  summary: string;
}

/** The event outbox (migration 0006; the feed's queries are raw SQL in events.ts, xid exists on PostgreSQL only). */
export interface EventsTable {
  seq: Generated<string | number>;
  id: string;
  tenant_id: string;
  type: string;
  occurred_at: string;
  data: string;
}

export interface EventPruneMarkTable {
  id: number;
  xid: string;
  seq: string;
}

export interface ScimDatabase {
  roles: RolesTable;
  user_roles: UserRolesTable;
  role_mappings: RoleMappingsTable;
  scim_users: ScimUsersTable;
  scim_user_emails: ScimUserEmailsTable;
  scim_groups: ScimGroupsTable;
  scim_group_members: ScimGroupMembersTable;
  scim_log: ScimLogTable;
  events: EventsTable;
  event_prune_mark: EventPruneMarkTable;
}

/** Migration 0014 (ADR 0035): branding fields, null = inherit. */
interface BrandingColumns {
  product_name: string | null;
  logo_url: string | null;
  accent_color: string | null;
  updated_by: string;
  updated_at: string;
}

/** One row at most, keyed 'operator'. */
export interface OperatorBrandingTable extends BrandingColumns {
  id: string;
}

export interface TenantBrandingTable extends BrandingColumns {
  tenant_id: string;
}

/** Migration 0018 (ADR 0043): SCIM-only directory connections, sharing the tenant's scheme namespace. */
export interface DirectoryConnectionsTable {
  id: string;
  tenant_id: string;
  scheme: string;
  display_name: string;
  type: string;
  created_at: string;
  updated_at: string;
}
/** Migration 0019 (ADR 0044): vendor-wide apps, known to every tenant's issuer, and the operator's audit trail. */
export interface OperatorOidcClientsTable {
  client_id: string;
  metadata: JsonColumn;
  secret_sealed: string | null;
  created_at: string;
  updated_at: string;
}

export interface OperatorAuditEventsTable {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  data: string;
}

/** Migration 0015 (ADR 0040): invitation and reset links; the secret only as a keyed digest. */
export interface CredentialLinksTable {
  id: string;
  tenant_id: string;
  user_id: string;
  email: string;
  purpose: string;
  digest: string;
  key_id: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
  mail_sealed: string | null;
  mail_status: string;
  mail_attempts: number;
  mail_next_at: string | null;
  mail_lease_until: string | null;
}

export interface PasswordCredentialsTable {
  tenant_id: string;
  user_id: string;
  /** The folded address the person signs in with. */
  login_key: string;
  hash: string;
  created_at: string;
  updated_at: string;
}

export interface TotpFactorsTable {
  tenant_id: string;
  user_id: string;
  secret_sealed: string;
  created_at: string;
  confirmed_at: string | null;
  last_used_step: number | null;
}

export interface EnrolmentSessionsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  digest: string;
  key_id: string;
  created_at: string;
  expires_at: string;
}

export interface TenantCredentialSettingsTable {
  tenant_id: string;
  scim_alone_mode: number;
  updated_at: string;
}

export interface CredentialActivationCursorTable {
  id: string;
  xid: string;
  seq: string;
  lease_until: string | null;
}

/** Migration 0017: the replay cache, one row per accepted assertion id until it expires (epoch seconds). */
export interface SamlAssertionIdsTable {
  provider_id: string;
  assertion_id: string;
  tenant_id: string;
  expires_at: number | string;
}

/** Migration 0016 (ADR 0042): passkeys of Roster ID users. */
export interface PasskeyCredentialsTable {
  tenant_id: string;
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  /** pg returns int8 as a string. */
  sign_count: number | string;
  transports: string;
  device_type: string;
  backed_up: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** Migration 0016 (ADR 0042): single-use WebAuthn challenges. */
export interface WebauthnChallengesTable {
  tenant_id: string;
  challenge: string;
  purpose: string;
  bound_to: string;
  expires_at: string;
}
