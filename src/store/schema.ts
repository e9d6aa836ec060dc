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

export interface Database {
  tenants: TenantsTable;
  operator_tokens: OperatorTokensTable;
  admin_tokens: AdminTokensTable;
  sso_providers: SsoProvidersTable;
  scim_tokens: ScimTokensTable;
  audit_events: AuditEventsTable;
}
