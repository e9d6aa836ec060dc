// Records → JSON the admin API returns. Secrets never appear here: only whether one is set.
import type {
  AdminTokenRecord,
  AuditEventRecord,
  ScimTokenRecord,
  SsoProviderRecord,
  TenantRecord,
} from '../../core/records.ts';
import { explainScimFailure } from '../../core/scim/explain.ts';
import type { ScimLogEntry } from '../../core/scim/records.ts';
import { warningsOf } from '../../core/sso/providers.ts';
import { expiresSoon } from '../../core/tokens/scim-tokens.ts';

export const tenantView = (t: TenantRecord) => ({ id: t.id, name: t.name, createdAt: t.createdAt });

export const adminTokenView = (t: AdminTokenRecord) => ({
  id: t.id,
  label: t.label,
  name: t.label,
  scopes: t.scopes,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  lastUsedAt: t.lastUsedAt,
});

/** `redirectUri`: what to register in the provider's app registration (signInRedirectUri of the tenant). */
export function ssoProviderView(
  p: SsoProviderRecord,
  redirectUri: string,
  warnings: readonly string[] = warningsOf(p),
) {
  const { properties: q } = p;
  return {
    id: p.id,
    kind: p.kind,
    scheme: p.scheme,
    displayName: p.displayName,
    enabled: p.enabled,
    type: p.type,
    redirectUri,
    properties: {
      loginEnabled: q.loginEnabled,
      visible: q.visible,
      delegationEnabled: q.delegationEnabled,
      autoProvisioningEnabled: q.autoProvisioningEnabled,
      clientId: q.clientId,
      clientSecretSet: p.clientSecretSealed !== null,
      usePkce: q.usePkce,
      // Generic OIDC providers speak of their issuer, and say which claims link people (ADR 0036).
      ...(p.kind === 'azuread'
        ? { authority: q.authority }
        : {
            issuer: q.authority,
            subjectClaim: q.subjectClaim,
            userNameClaim: q.userNameClaim,
            hostedDomain: q.hostedDomain ?? null,
          }),
      responseType: q.responseType,
      scope: q.scope,
    },
    ...(warnings.length > 0 ? { warnings } : {}),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export const scimTokenView = (t: ScimTokenRecord, now: Date) => ({
  id: t.id,
  provider: t.provider,
  providerDisplayName: t.providerDisplayName,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  expiresSoon: expiresSoon(t, now),
  lastUsedAt: t.lastUsedAt,
  defaultRole: t.defaultRole,
});

export const auditEventView = (e: AuditEventRecord) => ({
  id: e.id,
  at: e.at,
  actor: e.actor,
  action: e.action,
  target: e.target,
  data: e.data,
});

const textOf = (value: unknown) => (typeof value === 'string' ? value : undefined);

export const scimLogView = (e: ScimLogEntry) => ({
  id: e.id,
  at: e.at,
  tokenId: e.tokenId,
  method: e.method,
  path: e.path,
  operation: e.operation,
  resourceType: e.resourceType,
  resourceId: e.resourceId,
  status: e.status,
  scimType: e.scimType,
  durationMs: e.durationMs,
  summary: e.summary,
  explanation: explainScimFailure({
    status: e.status,
    scimType: e.scimType ?? textOf(e.summary.scimType),
    detail: textOf(e.summary.error),
    operation: e.operation,
    resource: e.resourceType,
    reason: textOf(e.summary.reason),
  }),
});
