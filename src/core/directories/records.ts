// Directory connections (ADR 0043): a SCIM-only connection a SCIM token can name when the tenant has no SSO provider
// for that identity provider (an Okta-only or SCIM-only customer).

/**
 * Which identity provider pushes users through it. Informational: Roster reads every IdP's SCIM dialect on every
 * request (src/scim/patch/dialect.ts), so the type labels the connection in listings, logs and events only.
 */
export const DIRECTORY_TYPES = ['okta', 'entra', 'generic'] as const;
export type DirectoryType = (typeof DIRECTORY_TYPES)[number];

export interface DirectoryConnectionRecord {
  readonly id: string;
  readonly tenantId: string;
  /** Unique in the tenant across SSO providers and directory connections: what a SCIM token's `provider` names. */
  readonly scheme: string;
  readonly displayName: string;
  readonly type: DirectoryType;
  readonly createdAt: string;
  readonly updatedAt: string;
}
