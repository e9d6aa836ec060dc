// Whose directory a request reads: the admin token's own tenant, or the tenant the operator names.
import type { Principal } from '../auth/principal.ts';
import { DomainError, invalid } from '../errors.ts';
import type { TenantRepository } from '../ports.ts';

/**
 * An admin token reads its own tenant; naming another one answers 404 `tenant.not_found`, exactly as an unknown
 * tenant does, so the answer tells nothing about other tenants (ADR 0021). The operator must name the tenant.
 */
export async function directoryTenant(
  tenants: TenantRepository,
  principal: Principal,
  tenantId: string | undefined,
): Promise<string> {
  if (principal.kind === 'admin') {
    if (tenantId !== undefined && tenantId !== principal.tenantId) {
      throw new DomainError('tenant.not_found', 'no such tenant');
    }
    return principal.tenantId;
  }
  if (principal.kind !== 'operator')
    throw new DomainError('auth.wrong_kind', 'this endpoint needs an admin or operator token');
  if (tenantId === undefined || tenantId === '') throw invalid('tenantId', 'the operator token must name a tenant');
  if (!(await tenants.get(tenantId))) throw new DomainError('tenant.not_found', 'no such tenant');
  return tenantId;
}
