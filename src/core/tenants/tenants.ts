// Tenants and their admin tokens: the operator's use cases.
import { newId } from '../../lib/ids.ts';
import { digestSecret } from '../../lib/keyring.ts';
import { issueToken } from '../../lib/tokens.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError, invalid } from '../errors.ts';
import type { CoreDeps } from '../ports.ts';
import type { AdminScope, AdminTokenRecord, TenantRecord } from '../records.ts';
import { checkExpiry } from '../tokens/expiry.ts';

export const TENANT_NAME_MAX = 200;

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw invalid('name', 'must not be empty');
  if (trimmed.length > TENANT_NAME_MAX) throw invalid('name', `must be at most ${TENANT_NAME_MAX} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw invalid('name', 'must not contain control characters');
  return trimmed;
}

export interface IssuedAdminToken {
  readonly record: AdminTokenRecord;
  /** The token value: returned once, never stored. */
  readonly value: string;
}

export interface AdminTokenInput {
  readonly label?: string | undefined;
  /** Default: ['admin'] (what every admin token could do before scopes existed). */
  readonly scopes?: readonly string[] | undefined;
  readonly expiresAt?: string | null | undefined;
}

const SCOPES: readonly AdminScope[] = ['read', 'scim-tokens', 'admin'];

function checkScopes(scopes: readonly string[] | undefined): readonly AdminScope[] {
  if (scopes === undefined) return ['admin'];
  if (scopes.length === 0) throw invalid('scopes', `must name at least one of ${SCOPES.join(', ')}`);
  for (const scope of scopes) {
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw invalid('scopes', `unknown scope "${scope}": use ${SCOPES.join(', ')}`);
    }
  }
  return SCOPES.filter((s) => scopes.includes(s));
}

function newAdminToken(
  deps: CoreDeps,
  tenantId: string,
  label: string,
  at: string,
  access: Pick<AdminTokenRecord, 'scopes' | 'expiresAt'> = { scopes: ['admin'], expiresAt: null },
): IssuedAdminToken {
  const token = issueToken('adm');
  const digest = digestSecret(deps.keyring, token.secret);
  return {
    value: token.value,
    record: { id: token.id, tenantId, label, secret: digest, createdAt: at, lastUsedAt: null, ...access },
  };
}

export async function createTenant(
  deps: CoreDeps,
  actor: string,
  input: { name: string },
): Promise<{ tenant: TenantRecord; adminToken: IssuedAdminToken }> {
  const now = deps.clock.now();
  const tenant: TenantRecord = { id: newId(), name: checkName(input.name), createdAt: now.toISOString() };
  const adminToken = newAdminToken(deps, tenant.id, 'initial', tenant.createdAt);
  await deps.store.transaction(async (tx) => {
    await tx.tenants.insert(tenant);
    await tx.adminTokens.insert(adminToken.record);
    await recordAudit(tx, now, { tenantId: tenant.id, actor, action: 'tenant.created', target: tenant.id });
    await recordAudit(tx, now, {
      tenantId: tenant.id,
      actor,
      action: 'admin_token.created',
      target: adminToken.record.id,
    });
  });
  return { tenant, adminToken };
}

export async function getTenant(deps: CoreDeps, id: string): Promise<TenantRecord> {
  const tenant = await deps.store.tenants.get(id);
  if (!tenant) throw new DomainError('tenant.not_found', 'no such tenant');
  return tenant;
}

export function listTenants(deps: CoreDeps): Promise<readonly TenantRecord[]> {
  return deps.store.tenants.list();
}

/** Removes the tenant with all its users, groups, providers and tokens: its tokens stop working at once. */
export async function deleteTenant(deps: CoreDeps, id: string): Promise<void> {
  const deleted = await deps.store.transaction((tx) => tx.tenants.delete(id));
  if (!deleted) throw new DomainError('tenant.not_found', 'no such tenant');
}

export async function issueAdminToken(
  deps: CoreDeps,
  actor: string,
  tenantId: string,
  input: AdminTokenInput,
): Promise<IssuedAdminToken> {
  const now = deps.clock.now();
  const label = input.label === undefined ? '' : input.label.trim();
  if (label.length > 200) throw invalid('label', 'must be at most 200 characters');
  const access = { scopes: checkScopes(input.scopes), expiresAt: checkExpiry(input.expiresAt, now) };
  return deps.store.transaction(async (tx) => {
    if (!(await tx.tenants.get(tenantId))) throw new DomainError('tenant.not_found', 'no such tenant');
    const token = newAdminToken(deps, tenantId, label, now.toISOString(), access);
    await tx.adminTokens.insert(token.record);
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'admin_token.created',
      target: token.record.id,
      data: { scopes: access.scopes, expiresAt: access.expiresAt },
    });
    return token;
  });
}

export async function listAdminTokens(deps: CoreDeps, tenantId: string): Promise<readonly AdminTokenRecord[]> {
  await getTenant(deps, tenantId);
  return deps.store.adminTokens.list(tenantId);
}

export async function revokeAdminToken(deps: CoreDeps, actor: string, tenantId: string, id: string): Promise<void> {
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.adminTokens.delete(tenantId, id))) {
      throw new DomainError('admin_token.not_found', 'no such admin token');
    }
    await recordAudit(tx, now, { tenantId, actor, action: 'admin_token.revoked', target: id });
  });
}
