// The daily re-check of verified domains. Each round takes a bounded batch of due domains; each domain is leased
// by one process with a compare-and-set (so several processes on PostgreSQL never check one twice), looked up,
// and written back. Three failures in a row turn it `failed`, with an audit entry and a `domain.verification_failed`
// event in the same transaction. Time comes from the injected clock, so tests step days without waiting.
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import { newEvent } from '../events/records.ts';
import { type DomainDeps, eventData, RECHECK_INTERVAL_MS } from './domains.ts';
import type { DomainRecord } from './records.ts';
import { checkDomain } from './verification.ts';

/** Consecutive failed re-checks that end a verification. */
export const FAILURES_TO_FAIL = 3;
/** Domains looked at per round; the rest wait for the next round. */
export const RECHECK_BATCH = 50;
/** How long a process holds a domain it is checking (a crashed process's lease simply runs out). */
export const RECHECK_LEASE_MS = 5 * 60_000;

export interface RecheckSummary {
  readonly checked: number;
  readonly failed: number;
}

export async function recheckDueDomains(deps: DomainDeps, batch = RECHECK_BATCH): Promise<RecheckSummary> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const due = await deps.store.domains.due(at, batch);
  let checked = 0;
  let failed = 0;
  const lease = new Date(now.getTime() + RECHECK_LEASE_MS).toISOString();
  for (const record of due) {
    if (!(await deps.store.domains.claim(record.id, at, lease))) continue;
    checked += 1;
    if (await recheckOne(deps, { ...record, leaseUntil: lease }, now)) failed += 1;
  }
  return { checked, failed };
}

/**
 * Returns true when this check turned the domain `failed`. Every write is conditional on the lease `record`
 * carries: an admin's verify or delete during the lookup clears or removes it, and their write stands.
 */
async function recheckOne(deps: DomainDeps, record: DomainRecord, now: Date): Promise<boolean> {
  const lease = record.leaseUntil!;
  const result = await checkDomain(deps.lookupTxt, record);
  const at = now.toISOString();
  const nextCheckAt = new Date(now.getTime() + RECHECK_INTERVAL_MS).toISOString();
  if (result.ok) {
    await deps.store.domains.update({
      ...record,
      failures: 0,
      reason: null,
      checkedAt: at,
      nextCheckAt,
      leaseUntil: null,
    });
    return false;
  }
  const failures = record.failures + 1;
  if (failures < FAILURES_TO_FAIL) {
    await deps.store.domains.update(
      { ...record, failures, reason: result.reason, checkedAt: at, nextCheckAt, leaseUntil: null },
      lease,
    );
    return false;
  }
  const next: DomainRecord = {
    ...record,
    status: 'failed',
    failures,
    reason: result.reason,
    checkedAt: at,
    nextCheckAt: null,
    leaseUntil: null,
  };
  return deps.store.transaction(async (tx) => {
    // Deleted or re-verified by an admin meanwhile: their write stands.
    if (!(await tx.domains.update(next, lease))) return false;
    await recordAudit(tx, now, {
      tenantId: record.tenantId,
      actor: 'system:domain-recheck',
      action: 'domain.verification_failed',
      target: record.id,
      data: { domain: record.domain, reason: result.reason, failures },
    });
    await tx.events.append([newEvent(newId(), now, record.tenantId, 'domain.verification_failed', eventData(next))]);
    return true;
  });
}

/** Runs a round every `pollMs` in the background (each process; the leases keep them apart). */
export class DomainRechecker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: DomainDeps,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    const round = () => {
      this.running = recheckDueDomains(this.deps).catch(this.onError);
    };
    this.timer = setInterval(round, this.pollMs);
    this.timer.unref();
    round();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
