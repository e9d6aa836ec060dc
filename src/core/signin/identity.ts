// Identity resolution as data: which Roster subject an upstream identity is, decided by a pure function.
//
// The rule (docs/signin.md): an upstream identity is keyed on (provider, directory, subject) — Entra: (tid, oid),
// other OIDC providers: (iss, sub). Once bound, only the binding counts. The first sign-in binds to a subject the same
// provider provisioned: externalId equal to the oid, else userName equal to the UPN (preferred_username), which is
// trusted only because the directory is pinned. Email is never used. A subject already bound to another identity is
// a conflict, refused rather than relinked.
import type { StoredUser } from '../scim/records.ts';

export interface UpstreamIdentity {
  readonly directory: string;
  readonly subject: string;
  /** The value matched to SCIM externalId when it is not `subject` (generic OIDC's subjectClaim, ADR 0036). */
  readonly externalId?: string | undefined;
  /** preferred_username (the UPN for Entra). */
  readonly userName: string | undefined;
  readonly name: string | undefined;
  readonly givenName: string | undefined;
  readonly familyName: string | undefined;
  readonly email: string | undefined;
}

export interface Candidate {
  readonly user: StoredUser;
  /** Whether the subject is already bound to some identity of this provider (necessarily another one). */
  readonly bound: boolean;
}

export interface ResolutionFacts {
  readonly providerScheme: string;
  readonly autoProvisioning: boolean;
  /** The subject the identity is bound to; `null` when the binding names a subject that no longer exists. */
  readonly boundUser: StoredUser | null | undefined;
  readonly byExternalId: readonly Candidate[];
  readonly byUserName: Candidate | undefined;
}

export type RefusalReason =
  | 'subject_inactive'
  | 'identity_conflict'
  | 'ambiguous_external_id'
  | 'provisioned_by_other_provider'
  | 'no_subject'
  | 'no_username_claim'
  // domainPolicy.jitRestrictToVerifiedDomains refused to create the person (docs/domains.md).
  | 'domain_not_verified';

export type Resolution =
  | { readonly kind: 'bound'; readonly userId: string }
  | { readonly kind: 'link'; readonly userId: string; readonly rule: 'externalId' | 'userName' }
  | { readonly kind: 'provision' }
  | { readonly kind: 'reject'; readonly reason: RefusalReason; readonly userId?: string };

const active = (user: StoredUser) => user.data.active !== false;

function linkTo(candidate: Candidate, rule: 'externalId' | 'userName'): Resolution {
  if (candidate.bound) return { kind: 'reject', reason: 'identity_conflict', userId: candidate.user.id };
  if (!active(candidate.user)) return { kind: 'reject', reason: 'subject_inactive', userId: candidate.user.id };
  return { kind: 'link', userId: candidate.user.id, rule };
}

export function resolveIdentity(identity: UpstreamIdentity, facts: ResolutionFacts): Resolution {
  if (facts.boundUser) {
    return active(facts.boundUser)
      ? { kind: 'bound', userId: facts.boundUser.id }
      : { kind: 'reject', reason: 'subject_inactive', userId: facts.boundUser.id };
  }
  const ours = (c: Candidate) => c.user.provider === facts.providerScheme;
  const byExternalId = facts.byExternalId.filter(ours);
  if (byExternalId.length > 1) return { kind: 'reject', reason: 'ambiguous_external_id' };
  if (byExternalId[0]) return linkTo(byExternalId[0], 'externalId');
  if (facts.byUserName) {
    // The name is taken by a subject another provider (or an admin) owns: neither link nor create a twin.
    if (!ours(facts.byUserName)) return { kind: 'reject', reason: 'provisioned_by_other_provider' };
    return linkTo(facts.byUserName, 'userName');
  }
  if (!facts.autoProvisioning) return { kind: 'reject', reason: 'no_subject' };
  if (!identity.userName) return { kind: 'reject', reason: 'no_username_claim' };
  return { kind: 'provision' };
}
