// The tenant's domain policy, and the checks SCIM writes and just-in-time sign-in make against it.
import { scimErrors } from '../../scim/errors.ts';
import { recordAudit } from '../audit/audit.ts';
import { invalid } from '../errors.ts';
import type { CoreDeps, Repositories } from '../ports.ts';
import type { ResourceData } from '../scim/records.ts';
import { domainOfAddress } from './names.ts';
import { DEFAULT_DOMAIN_POLICY, type DomainPolicy } from './records.ts';

export async function readDomainPolicy(repos: Pick<Repositories, 'settings'>, tenantId: string) {
  return (await repos.settings.domainPolicy(tenantId)) ?? DEFAULT_DOMAIN_POLICY;
}

const POLICY_KEYS = Object.keys(DEFAULT_DOMAIN_POLICY) as (keyof DomainPolicy)[];

/** JSON merge patch (RFC 7396) of `domainPolicy`; unknown keys and non-booleans are refused. */
export async function patchDomainPolicy(deps: CoreDeps, actor: string, tenantId: string, patch: unknown) {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw invalid('domainPolicy', 'must be an object');
  }
  const changes: Partial<Record<keyof DomainPolicy, boolean>> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (!POLICY_KEYS.includes(key as keyof DomainPolicy)) {
      throw invalid(`domainPolicy.${key}`, `is not a setting (known: ${POLICY_KEYS.join(', ')})`);
    }
    if (typeof value !== 'boolean') throw invalid(`domainPolicy.${key}`, 'must be true or false');
    changes[key as keyof DomainPolicy] = value;
  }
  const now = deps.clock.now();
  return deps.store.transaction(async (tx) => {
    const next: DomainPolicy = { ...(await readDomainPolicy(tx, tenantId)), ...changes };
    await tx.settings.putDomainPolicy(tenantId, next, now.toISOString());
    await recordAudit(tx, now, { tenantId, actor, action: 'settings.updated', data: { domainPolicy: changes } });
    return next;
  });
}

/**
 * What a SCIM write checks: only under scimRestrictToVerifiedDomains does it read the verified domains. `known`:
 * the policy the request's authentication already read (ADR 0045), else it is read here.
 */
export type DomainGate = (tenantId: string, known?: DomainPolicy) => Promise<ReadonlySet<string> | undefined>;

export function scimDomainGate(repos: Pick<Repositories, 'settings' | 'domains'>): DomainGate {
  return async (tenantId, known) => {
    const policy = known ?? (await readDomainPolicy(repos, tenantId));
    if (!policy.scimRestrictToVerifiedDomains) return undefined;
    return new Set(await repos.domains.verifiedOf(tenantId));
  };
}

/** The primary email (else the first), as the ID token's `email` claim picks it. */
export function primaryEmail(data: ResourceData): string | undefined {
  const emails = Array.isArray(data.emails) ? (data.emails as { value?: unknown; primary?: unknown }[]) : [];
  const chosen = emails.find((e) => e?.primary === true) ?? emails[0];
  return typeof chosen?.value === 'string' ? chosen.value : undefined;
}

const RULE = 'domainPolicy.scimRestrictToVerifiedDomains';

/** Throws SCIM invalidValue when userName or the primary email is outside `verified`. */
export function checkScimDomains(verified: ReadonlySet<string>, data: ResourceData): void {
  const userName = typeof data.userName === 'string' ? data.userName : '';
  const userDomain = domainOfAddress(userName);
  if (!userDomain || !verified.has(userDomain)) {
    throw scimErrors.invalidValue(`userName "${userName}" is not in a verified domain of this tenant (${RULE} is on)`);
  }
  const email = primaryEmail(data);
  const emailDomain = email === undefined ? undefined : domainOfAddress(email);
  if (email !== undefined && (!emailDomain || !verified.has(emailDomain))) {
    throw scimErrors.invalidValue(
      `primary email "${email}" is not in a verified domain of this tenant (${RULE} is on)`,
    );
  }
}

/** Whether a write changed what the rule looks at: deactivating a user who predates the policy stays possible. */
export function touchesDomains(before: ResourceData, after: ResourceData): boolean {
  return before.userName !== after.userName || primaryEmail(before) !== primaryEmail(after);
}
