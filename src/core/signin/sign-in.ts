// Completing a sign-in: resolve the upstream identity to a subject (bind, provision or refuse) in one transaction,
// and record the outcome in the tenant's audit log.
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { URN } from '../../scim/schema/urns.ts';
import { recordAudit } from '../audit/audit.ts';
import { domainOfAddress } from '../domains/names.ts';
import { readDomainPolicy } from '../domains/policy.ts';
import { hasCode } from '../errors.ts';
import { newEvent } from '../events/records.ts';
import type { Store } from '../ports.ts';
import type { SsoProviderRecord } from '../records.ts';
import { assignDefaultRole } from '../roles/roles.ts';
import { userWritten } from '../scim/events.ts';
import type { ResourceData, StoredUser } from '../scim/records.ts';
import type { Telemetry } from '../telemetry/ports.ts';
import {
  type Candidate,
  type RefusalReason,
  type Resolution,
  resolveIdentity,
  type UpstreamIdentity,
} from './identity.ts';
import type { SigninRepositories, SigninStore, UpstreamIdentityKey } from './ports.ts';

export interface SignInDeps {
  readonly store: Store;
  readonly signin: SigninStore;
  readonly clock: Clock;
  readonly publicUrl: string;
  /** Counts each finished sign-in by outcome (ADR 0033). */
  readonly telemetry?: Pick<Telemetry, 'signIn'> | undefined;
}

/** What resolution needs of a provider: an OIDC provider (SsoProviderRecord) and a SAML one (ADR 0038) both fit. */
export type SignInProvider = Pick<SsoProviderRecord, 'id' | 'tenantId' | 'scheme'> & {
  readonly properties: Pick<SsoProviderRecord['properties'], 'autoProvisioningEnabled'>;
};

export type SignInOutcome =
  | { readonly kind: 'signed-in'; readonly userId: string; readonly how: 'bound' | 'linked' | 'provisioned' }
  | { readonly kind: 'refused'; readonly reason: RefusalReason };

/** How many subjects sharing one externalId are looked at: two already make the rule ambiguous. */
const EXTERNAL_ID_PROBE = 2;

/**
 * A candidate is `bound` when another identity already holds it. Bound to this very identity means a concurrent
 * sign-in committed between our reads: resolve again and find the binding.
 */
async function candidate(tx: SigninRepositories, key: UpstreamIdentityKey, user: StoredUser): Promise<Candidate> {
  const binding = await tx.identities.findForUser(user.tenantId, key.providerId, user.id);
  if (binding && binding.directory === key.directory && binding.subject === key.subject) throw new LostRace();
  return { user, bound: binding !== undefined };
}

/** The subject a just-in-time sign-in creates: what the ID token says, nothing more. */
function provisionedUser(tenantId: string, scheme: string, identity: UpstreamIdentity, now: string): StoredUser {
  const name: Record<string, string> = {};
  if (identity.givenName) name.givenName = identity.givenName;
  if (identity.familyName) name.familyName = identity.familyName;
  if (identity.name) name.formatted = identity.name;
  const data: ResourceData = {
    schemas: [URN.user],
    userName: identity.userName,
    externalId: identity.externalId ?? identity.subject,
    active: true,
    ...(identity.name ? { displayName: identity.name } : {}),
    ...(Object.keys(name).length > 0 ? { name } : {}),
    ...(identity.email ? { emails: [{ value: identity.email, type: 'work', primary: true }] } : {}),
  };
  return {
    tenantId,
    id: newId(),
    data,
    version: 1,
    createdAt: now,
    lastModified: now,
    createdByToken: null,
    provider: scheme,
    passwordHash: null,
  };
}

export class LostRace extends Error {}

/**
 * domainPolicy.jitRestrictToVerifiedDomains: a person is created at sign-in only when the user name (the UPN) and
 * the email, if any, are in the tenant's verified domains. Binding to an existing subject is not affected.
 */
async function jitAllowed(store: Store, tenantId: string, identity: UpstreamIdentity): Promise<boolean> {
  if (!(await readDomainPolicy(store, tenantId)).jitRestrictToVerifiedDomains) return true;
  const verified = new Set(await store.domains.verifiedOf(tenantId));
  const inVerified = (value: string | undefined) => {
    const domain = value === undefined ? undefined : domainOfAddress(value);
    return domain !== undefined && verified.has(domain);
  };
  return inVerified(identity.userName) && (identity.email === undefined || inVerified(identity.email));
}

/** An outcome plus what the audit entry names: the subject concerned and the binding rule used. */
interface Attempt {
  readonly outcome: SignInOutcome;
  readonly target: string | null;
  readonly rule?: 'externalId' | 'userName';
}

/**
 * The resolution rule applied to what the store holds now (read in `tx`): the decision a sign-in of this identity
 * acts on, and a test sign-in only reports (preview.ts). Throws LostRace when a concurrent sign-in just bound it.
 */
export async function decide(
  tx: SigninRepositories,
  provider: SignInProvider,
  identity: UpstreamIdentity,
): Promise<{ readonly key: UpstreamIdentityKey; readonly decision: Resolution }> {
  const tenantId = provider.tenantId;
  const key: UpstreamIdentityKey = {
    tenantId,
    providerId: provider.id,
    directory: identity.directory,
    subject: identity.subject,
  };
  const boundId = await tx.identities.find(key);
  const boundUser = boundId === undefined ? undefined : ((await tx.scim.users.get(tenantId, boundId)) ?? null);
  const byExternalId = boundId
    ? []
    : await tx.scim.users.findByExternalId(tenantId, identity.externalId ?? identity.subject, EXTERNAL_ID_PROBE);
  const byUserNameUser =
    boundId || byExternalId.length > 0 || !identity.userName
      ? undefined
      : await tx.scim.users.findByUserName(tenantId, identity.userName);
  const decision = resolveIdentity(identity, {
    providerScheme: provider.scheme,
    autoProvisioning: provider.properties.autoProvisioningEnabled,
    boundUser,
    byExternalId: await Promise.all(byExternalId.map((u) => candidate(tx, key, u))),
    byUserName: byUserNameUser && (await candidate(tx, key, byUserNameUser)),
  });
  return { key, decision };
}

async function attempt(deps: SignInDeps, provider: SignInProvider, identity: UpstreamIdentity): Promise<Attempt> {
  const tenantId = provider.tenantId;
  // Read before the transaction: on SQLite it holds the one write connection, which this read would wait for.
  const jitPermitted = provider.properties.autoProvisioningEnabled
    ? await jitAllowed(deps.store, tenantId, identity)
    : false;
  return deps.signin.transaction(async (tx) => {
    const { key, decision } = await decide(tx, provider, identity);
    const now = deps.clock.now().toISOString();
    switch (decision.kind) {
      case 'bound':
        return { outcome: { kind: 'signed-in', userId: decision.userId, how: 'bound' }, target: decision.userId };
      case 'link':
        if (!(await tx.identities.insert(key, decision.userId, now))) throw new LostRace();
        return {
          outcome: { kind: 'signed-in', userId: decision.userId, how: 'linked' },
          target: decision.userId,
          rule: decision.rule,
        };
      case 'provision': {
        if (!jitPermitted) {
          return { outcome: { kind: 'refused', reason: 'domain_not_verified' }, target: null };
        }
        const user = provisionedUser(tenantId, provider.scheme, identity, now);
        await tx.scim.users.insert(user);
        if (!(await tx.identities.insert(key, user.id, now))) throw new LostRace();
        const roles = await assignDefaultRole(tx.scim, tenantId, user.id, now);
        // A just-in-time subject joins the directory: the same `user.created` a SCIM create makes.
        await userWritten(deps, tx.scim, undefined, user, [], roles);
        return { outcome: { kind: 'signed-in', userId: user.id, how: 'provisioned' }, target: user.id };
      }
      case 'reject':
        return { outcome: { kind: 'refused', reason: decision.reason }, target: decision.userId ?? null };
    }
  });
}

/**
 * Resolves the identity; a race with a SCIM create or another sign-in of the same person (unique userName, unique
 * binding) rolls the transaction back and resolves once more against what the winner wrote.
 */
export async function completeSignIn(
  deps: SignInDeps,
  provider: SignInProvider,
  identity: UpstreamIdentity,
): Promise<SignInOutcome> {
  let result: Attempt | undefined;
  for (let round = 0; result === undefined; round++) {
    try {
      result = await attempt(deps, provider, identity);
    } catch (error) {
      const raced = error instanceof LostRace || hasCode(error, 'scim.uniqueness');
      if (!raced || round >= 2) throw error;
    }
  }
  const { outcome, target, rule } = result;
  const at = deps.clock.now();
  // The audit entry and the `user.signed_in` event commit together: the feed never shows a sign-in the audit
  // trail lacks, nor the reverse. A refusal has no subject, so it makes no event (it stays in the audit trail).
  await deps.store.transaction(async (tx) => {
    await recordAudit(tx, at, {
      tenantId: provider.tenantId,
      actor: `sso:${provider.scheme}`,
      action: outcome.kind === 'signed-in' ? `signin.${outcome.how}` : 'signin.refused',
      target,
      data: {
        provider: provider.scheme,
        directory: identity.directory,
        subject: identity.subject,
        ...(outcome.kind === 'refused' ? { reason: outcome.reason } : {}),
        ...(rule ? { rule } : {}),
      },
    });
    if (outcome.kind === 'signed-in') {
      await tx.events.append([
        newEvent(newId(), at, provider.tenantId, 'user.signed_in', {
          userId: outcome.userId,
          provider: provider.scheme,
          outcome: outcome.how,
        }),
      ]);
    }
  });
  deps.telemetry?.signIn(
    outcome.kind === 'signed-in' ? 'signed_in' : 'refused',
    outcome.kind === 'signed-in' ? outcome.how : outcome.reason,
  );
  return outcome;
}

/** Refusals that happen before an identity exists (bad state, wrong directory, …) are audited too. */
export async function recordRefusal(
  deps: Pick<SignInDeps, 'store' | 'clock' | 'telemetry'>,
  tenantId: string,
  scheme: string | undefined,
  reason: string,
  /** The metrics' reason: the bare code, when the audited reason carries the upstream's own text. */
  counted: string = reason,
): Promise<void> {
  await recordAudit(deps.store, deps.clock.now(), {
    tenantId,
    actor: scheme ? `sso:${scheme}` : 'signin',
    action: 'signin.refused',
    data: { reason, ...(scheme ? { provider: scheme } : {}) },
  });
  deps.telemetry?.signIn('refused', counted);
}
