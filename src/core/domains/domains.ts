// Verified domains: a tenant claims a domain, publishes a TXT challenge, and asks Roster to look it up. A domain is
// verified for at most one tenant at a time (the store's partial unique index, ADR 0030).
import { randomBytes } from 'node:crypto';
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import { DomainError } from '../errors.ts';
import { newEvent } from '../events/records.ts';
import type { CoreDeps } from '../ports.ts';
import { claimableDomain } from './names.ts';
import type { TxtLookup } from './ports.ts';
import type { DomainRecord } from './records.ts';
import { checkDomain } from './verification.ts';

export interface DomainDeps extends CoreDeps {
  readonly lookupTxt: TxtLookup;
}

/** The daily re-check's period (docs/domains.md). */
export const RECHECK_INTERVAL_MS = 24 * 3_600_000;

const notFound = () => new DomainError('domains.not_found', 'no such domain');

const takenElsewhere = (domain: string) =>
  new DomainError('domains.taken', `"${domain}" is verified by another tenant`, [
    { field: 'domain', message: 'verified by another tenant' },
  ]);

export async function claimDomain(deps: CoreDeps, actor: string, tenantId: string, input: unknown) {
  const domain = claimableDomain(input);
  const owner = await deps.store.domains.verifiedOwner(domain);
  if (owner !== undefined && owner !== tenantId) throw takenElsewhere(domain);
  const now = deps.clock.now();
  const record: DomainRecord = {
    id: newId(),
    tenantId,
    domain,
    status: 'pending',
    // 128 bits: a value nobody else can have published by chance or guess in advance.
    challenge: `roster-verification=${randomBytes(16).toString('base64url')}`,
    reason: null,
    failures: 0,
    createdAt: now.toISOString(),
    verifiedAt: null,
    checkedAt: null,
    nextCheckAt: null,
    leaseUntil: null,
  };
  await deps.store.transaction(async (tx) => {
    await tx.domains.insert(record);
    await recordAudit(tx, now, { tenantId, actor, action: 'domain.claimed', target: record.id, data: { domain } });
  });
  return record;
}

export async function getDomain(deps: CoreDeps, tenantId: string, id: string): Promise<DomainRecord> {
  const record = await deps.store.domains.get(tenantId, id);
  if (!record) throw notFound();
  return record;
}

export function listDomains(deps: CoreDeps, tenantId: string): Promise<readonly DomainRecord[]> {
  return deps.store.domains.list(tenantId);
}

/**
 * Looks the challenge up now: found → `verified` (due for re-check in a day), otherwise `failed` with the reason.
 * Another tenant holding the domain verified, already or by winning a race, is a 409 and leaves the row as it was.
 */
export async function verifyDomain(deps: DomainDeps, actor: string, tenantId: string, id: string) {
  const current = await getDomain(deps, tenantId, id);
  const owner = await deps.store.domains.verifiedOwner(current.domain);
  if (owner !== undefined && owner !== tenantId) throw takenElsewhere(current.domain);
  const result = await checkDomain(deps.lookupTxt, current);
  const now = deps.clock.now();
  const at = now.toISOString();
  const next: DomainRecord = result.ok
    ? {
        ...current,
        status: 'verified',
        reason: null,
        failures: 0,
        verifiedAt: current.status === 'verified' ? current.verifiedAt : at,
        checkedAt: at,
        nextCheckAt: new Date(now.getTime() + RECHECK_INTERVAL_MS).toISOString(),
        leaseUntil: null,
      }
    : { ...current, status: 'failed', reason: result.reason, checkedAt: at, nextCheckAt: null, leaseUntil: null };
  await deps.store.transaction(async (tx) => {
    if (!(await tx.domains.get(tenantId, id))) throw notFound();
    await tx.domains.update(next);
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: result.ok ? 'domain.verified' : 'domain.verification_failed',
      target: id,
      data: { domain: next.domain, ...(result.ok ? {} : { reason: result.reason }) },
    });
    if (current.status !== next.status && (current.status === 'verified' || next.status === 'verified')) {
      const type = next.status === 'verified' ? 'domain.verified' : 'domain.verification_failed';
      await tx.events.append([newEvent(newId(), now, tenantId, type, eventData(next))]);
    }
  });
  return next;
}

export async function removeDomain(deps: CoreDeps, actor: string, tenantId: string, id: string): Promise<void> {
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    const current = await tx.domains.get(tenantId, id);
    if (!current || !(await tx.domains.delete(tenantId, id))) throw notFound();
    await recordAudit(tx, now, {
      tenantId,
      actor,
      action: 'domain.removed',
      target: id,
      data: { domain: current.domain },
    });
    await tx.events.append([newEvent(newId(), now, tenantId, 'domain.removed', eventData(current))]);
  });
}

export function eventData(record: DomainRecord): Record<string, unknown> {
  return {
    id: record.id,
    domain: record.domain,
    status: record.status,
    ...(record.reason ? { reason: record.reason } : {}),
  };
}
