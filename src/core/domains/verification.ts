// Looking a domain's challenge up in DNS, as a pure decision over the lookup's answer.
import type { TxtAnswer, TxtLookup } from './ports.ts';
import { CHALLENGE_LABEL, type DomainFailure, type DomainRecord } from './records.ts';

export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly reason: DomainFailure };

export function judge(answer: TxtAnswer, challenge: string): CheckResult {
  if (answer.kind === 'error') return { ok: false, reason: 'dns_unavailable' };
  if (answer.kind === 'none' || answer.values.length === 0) return { ok: false, reason: 'record_not_found' };
  return answer.values.some((v) => v.trim() === challenge) ? { ok: true } : { ok: false, reason: 'record_mismatch' };
}

export const challengeName = (domain: string) => `${CHALLENGE_LABEL}.${domain}`;

export async function checkDomain(lookup: TxtLookup, record: DomainRecord): Promise<CheckResult> {
  return judge(await lookup(challengeName(record.domain)), record.challenge);
}
