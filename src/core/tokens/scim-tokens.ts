// SCIM bearer tokens: linked to one SSO provider of the tenant, shown once, stored as a keyed hash.

import { newId } from '../../lib/ids.ts';
import { digestSecret } from '../../lib/keyring.ts';
import { issueToken } from '../../lib/tokens.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError, invalid } from '../errors.ts';
import { newEvent } from '../events/records.ts';
import type { CoreDeps } from '../ports.ts';
import type { ScimTokenRecord } from '../records.ts';

export interface CreateScimTokenInput {
  readonly provider: string;
  readonly providerDisplayName: string;
  readonly expiresAt?: string | null | undefined;
}

function checkExpiry(expiresAt: string | null | undefined, now: Date): string | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  const at = Date.parse(expiresAt);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(expiresAt) || Number.isNaN(at)) {
    throw invalid('expiresAt', 'must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z');
  }
  if (at <= now.getTime()) throw invalid('expiresAt', 'must be in the future');
  return new Date(at).toISOString();
}

export async function createScimToken(
  deps: CoreDeps,
  actor: string,
  tenantId: string,
  input: CreateScimTokenInput,
): Promise<{ record: ScimTokenRecord; value: string }> {
  const now = deps.clock.now();
  const displayName = input.providerDisplayName.trim();
  if (displayName.length === 0) throw invalid('providerDisplayName', 'must not be empty');
  const expiresAt = checkExpiry(input.expiresAt, now);
  return deps.store.transaction(async (tx) => {
    if (!(await tx.ssoProviders.get(tenantId, input.provider))) {
      throw new DomainError(
        'scim_token.provider_unknown',
        `provider "${input.provider}" does not match the scheme of any SSO provider of this tenant`,
        [{ field: 'provider', message: `no SSO provider with scheme "${input.provider}"` }],
      );
    }
    const token = issueToken('scim');
    const record: ScimTokenRecord = {
      id: token.id,
      tenantId,
      provider: input.provider,
      providerDisplayName: displayName,
      secret: digestSecret(deps.keyring, token.secret),
      createdAt: now.toISOString(),
      expiresAt,
      lastUsedAt: null,
    };
    await tx.scimTokens.insert(record);
    await tx.events.append([
      newEvent(newId(), now, tenantId, 'scim_token.created', {
        id: record.id,
        provider: record.provider,
        providerDisplayName: record.providerDisplayName,
        createdAt: record.createdAt,
        expiresAt,
      }),
    ]);
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'scim_token.created',
      target: record.id,
      data: { provider: record.provider, expiresAt },
    });
    return { record, value: token.value };
  });
}

export function listScimTokens(deps: CoreDeps, tenantId: string): Promise<readonly ScimTokenRecord[]> {
  return deps.store.scimTokens.list(tenantId);
}

/** Revocation deletes the row: the next request with the token finds nothing. Provisioned data stays. */
export async function revokeScimToken(deps: CoreDeps, actor: string, tenantId: string, id: string): Promise<void> {
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.scimTokens.delete(tenantId, id)))
      throw new DomainError('scim_token.not_found', 'no such SCIM token');
    await tx.events.append([newEvent(newId(), now, tenantId, 'scim_token.revoked', { id })]);
    await recordAudit(tx, now, { tenantId, actor, action: 'scim_token.revoked', target: id });
  });
}
