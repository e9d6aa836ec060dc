// The tenant's `scimAloneMode` setting (PATCH /iam/v1/settings, ADR 0040): Roster ID's own credentials on, whatever
// the tenant's SSO providers.
import { recordAudit } from '../audit/audit.ts';
import { invalid } from '../errors.ts';
import type { CredentialDeps } from './deps.ts';

export async function readScimAloneMode(deps: Pick<CredentialDeps, 'credentials'>, tenantId: string) {
  return (await deps.credentials.credentialSettings.scimAloneMode(tenantId)) ?? false;
}

export async function setScimAloneMode(deps: CredentialDeps, actor: string, tenantId: string, value: unknown) {
  if (typeof value !== 'boolean') throw invalid('scimAloneMode', 'must be true or false');
  const now = deps.clock.now();
  await deps.credentials.transaction(async (tx) => {
    await tx.credentialSettings.putScimAloneMode(tenantId, value, now.toISOString());
    await recordAudit(tx, now, { tenantId, actor, action: 'settings.updated', data: { scimAloneMode: value } });
  });
}
