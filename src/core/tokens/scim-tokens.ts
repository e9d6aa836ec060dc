// SCIM bearer tokens: linked to one connection of the tenant (an SSO provider of any kind or a directory connection,
// ADR 0043) by its scheme, shown once, stored as a keyed hash.

import { newId } from '../../lib/ids.ts';
import { digestSecret } from '../../lib/keyring.ts';
import { issueToken } from '../../lib/tokens.ts';
import { recordAudit } from '../audit/audit.ts';
import { lockSchemeOwner } from '../directories/schemes.ts';
import { DomainError, invalid } from '../errors.ts';
import { newEvent } from '../events/records.ts';
import type { CoreDeps } from '../ports.ts';
import type { ScimTokenRecord } from '../records.ts';
import { checkExpiry } from './expiry.ts';

export interface CreateScimTokenInput {
  readonly provider: string;
  readonly providerDisplayName: string;
  readonly expiresAt?: string | null | undefined;
  /** A role key of the tenant: given to users this token creates instead of the tenant's default role. */
  readonly defaultRole?: string | null | undefined;
}

/** Tokens that expire within this many days are flagged (`expiresSoon`) and make one `scim_token.expiring`. */
export const EXPIRY_NOTICE_DAYS = 30;
const NOTICE_MS = EXPIRY_NOTICE_DAYS * 86_400_000;

/** Entra ID quarantines a job whose token expired: the admin is told a month ahead, in the listing. */
export function expiresSoon(token: Pick<ScimTokenRecord, 'expiresAt'>, now: Date): boolean {
  return token.expiresAt !== null && Date.parse(token.expiresAt) - now.getTime() <= NOTICE_MS;
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
    // Under the scheme lock: the connection cannot be deleted between this check and the token's insert.
    const owner = await lockSchemeOwner(tx, tenantId, input.provider);
    if (!owner) {
      throw new DomainError(
        'scim_token.provider_unknown',
        `provider "${input.provider}" does not match the scheme of any SSO provider or directory connection of this tenant`,
        [{ field: 'provider', message: `no SSO provider or directory connection with scheme "${input.provider}"` }],
      );
    }
    const defaultRole = input.defaultRole ?? null;
    if (defaultRole !== null && !(await tx.roles.get(tenantId, defaultRole))) {
      throw new DomainError('role.not_found', `no role with key "${defaultRole}" in this tenant`, [
        { field: 'defaultRole', message: 'must be the key of one of the tenant’s roles' },
      ]);
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
      defaultRole,
    };
    await tx.scimTokens.insert(record);
    await tx.events.append([
      newEvent(newId(), now, tenantId, 'scim_token.created', {
        id: record.id,
        provider: record.provider,
        providerDisplayName: record.providerDisplayName,
        createdAt: record.createdAt,
        expiresAt,
        defaultRole,
      }),
    ]);
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'scim_token.created',
      target: record.id,
      data: { provider: record.provider, connection: owner.connection, kind: owner.kind, expiresAt, defaultRole },
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

/**
 * One `scim_token.expiring` event per token that expires within EXPIRY_NOTICE_DAYS (already expired ones too:
 * the admin still has to replace them). Safe across processes: the event is written in the transaction that
 * marks the token notified, and only the transaction whose mark changed the row writes it.
 */
export async function notifyExpiringScimTokens(deps: CoreDeps, batch = 100): Promise<number> {
  const now = deps.clock.now();
  const before = new Date(now.getTime() + NOTICE_MS).toISOString();
  let made = 0;
  for (const token of await deps.store.scimTokens.expiringUnnotified(before, batch)) {
    const marked = await deps.store.transaction(async (tx) => {
      if (!(await tx.scimTokens.markExpiryNotified(token.id, now.toISOString()))) return false;
      await tx.events.append([
        newEvent(newId(), now, token.tenantId, 'scim_token.expiring', {
          id: token.id,
          provider: token.provider,
          providerDisplayName: token.providerDisplayName,
          expiresAt: token.expiresAt,
        }),
      ]);
      await recordAudit(tx, now, {
        tenantId: token.tenantId,
        actor: 'system',
        action: 'scim_token.expiring',
        target: token.id,
        data: { expiresAt: token.expiresAt },
      });
      return true;
    });
    if (marked) made++;
  }
  return made;
}
