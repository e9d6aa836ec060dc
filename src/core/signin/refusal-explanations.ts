// A test sign-in's outcome in words for the tenant's admin: why a sign-in was refused (unlike the sign-in page's
// words for the person signing in, these say what to check or change), and how it reached its subject.
import type { TestSignInOutcome } from '../setup/ports.ts';
import type { SignInRefusalReason } from './outcomes.ts';

const FOR_ADMINS: Record<SignInRefusalReason, string> = {
  no_subject:
    'no Roster user matches this identity (by object id or userName) and auto-provisioning is off: provision the user by SCIM first, or turn auto-provisioning on',
  subject_inactive: 'the matching Roster user is deactivated (active: false)',
  identity_conflict: 'the matching Roster user is already linked to another identity of this provider',
  provisioned_by_other_provider:
    'a Roster user with this userName exists, but another provider (or an admin) created it; it is not linked automatically',
  ambiguous_external_id: 'more than one Roster user has this externalId',
  no_username_claim:
    "the ID token has no preferred_username (or the provider's userNameClaim), so no user can be created: add it to the token configuration",
  provider_unavailable: 'the provider is disabled, login is turned off, or its configuration has warnings',
  directory_mismatch: "the account belongs to another directory than the provider's authority names",
  issuer_mismatch: "the ID token's issuer is not the configured authority",
  missing_oid: 'the ID token carries no oid claim',
  missing_sub: 'the ID token carries no sub claim',
  missing_subject_claim:
    "the ID token lacks the provider's subjectClaim (properties.subjectClaim): add it to the token or change the setting",
  hosted_domain_mismatch:
    "the ID token's hd (hosted domain) claim is missing or is not the provider's hostedDomain (or, with \"verified\", one of the tenant's verified domains)",
  state_mismatch:
    'the sign-in came back to another browser, or its state was already used or expired: start the test again',
  upstream_error: 'the identity provider answered with an error instead of a sign-in (see the audit log)',
  token_rejected: "the identity provider's answer failed verification (signature, nonce, lifetime or client secret)",
  discovery_failed: "the identity provider's discovery document could not be fetched from the authority",
  domain_not_verified:
    'the tenant allows just-in-time creation only for verified domains (domainPolicy.jitRestrictToVerifiedDomains), and this user name or email is outside them',
  client_secret_unreadable: 'the stored client secret cannot be decrypted with the configured keys: enter it again',
};

export function explainRefusal(reason: string): string {
  return Object.hasOwn(FOR_ADMINS, reason) ? FOR_ADMINS[reason as SignInRefusalReason] : reason;
}

type SubjectHow = NonNullable<TestSignInOutcome['subject']>['how'];

const HOW: Record<SubjectHow, string> = {
  bound: 'already linked to this identity',
  'would link': 'would be linked at the first real sign-in',
  'would be created': 'would be created at the first real sign-in (auto-provisioning)',
  refused: 'refused',
};

/** How a test sign-in reached (or would reach) its subject, for the outcome page and the console. */
export function explainHow(how: string): string {
  return Object.hasOwn(HOW, how) ? HOW[how as SubjectHow] : how;
}
