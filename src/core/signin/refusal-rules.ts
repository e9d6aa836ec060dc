// When a sign-in is refused before identity resolution, as pure functions: the provider at the start and at the
// callback, the callback's state, and what the audit log records for an upstream failure.
import type { SsoProviderRecord } from '../records.ts';
import type { SignInRefusalReason, UpstreamFailure } from './outcomes.ts';
import { isUsable } from './provider-choice.ts';

/** Starting upstream: the provider named in the URL must exist and be usable (not merely visible). */
export function startRefusal(sso: SsoProviderRecord | undefined): SignInRefusalReason | undefined {
  return sso && isUsable(sso) ? undefined : 'provider_unavailable';
}

/** What the callback knows about its state: the login record it took, and the interaction of the browser. */
export interface CallbackFacts {
  /** The interaction the taken state was issued for; undefined when no (unexpired, unused) state matched. */
  readonly stateUid: string | undefined;
  /** The interaction in the URL the callback continued under. */
  readonly uid: string;
  /** The interaction the browser's cookie names. */
  readonly cookieUid: string;
}

/** Security plan S2: one-time state, issued for this interaction, returned to the browser that started it. */
export function stateRefusal(facts: CallbackFacts): SignInRefusalReason | undefined {
  if (facts.stateUid === undefined) return 'state_mismatch';
  return facts.stateUid === facts.uid && facts.cookieUid === facts.uid ? undefined : 'state_mismatch';
}

/**
 * Finishing: the provider must still be the one the sign-in started with (not deleted and recreated under the same
 * scheme meanwhile) and still usable.
 */
export function finishRefusal(
  sso: SsoProviderRecord | undefined,
  startedWith: string | undefined,
): SignInRefusalReason | undefined {
  return sso && sso.id === startedWith && isUsable(sso) ? undefined : 'provider_unavailable';
}

/** The audit reason of an upstream failure: the reason, with the upstream's OAuth error code when it sent one. */
export function upstreamAuditReason(reason: UpstreamFailure, code: string | undefined): string {
  return code ? `${reason}:${code}` : reason;
}
