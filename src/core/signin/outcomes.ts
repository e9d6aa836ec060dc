// What a sign-in step answers, declared once: the engine (src/oidc) returns these and the pages (src/http/signin)
// render them. Reasons are codes; the words a person reads live in the pages module.
import type { RefusalReason } from './identity.ts';

/** A provider a person may pick on the sign-in page. */
export interface ProviderChoice {
  readonly scheme: string;
  readonly displayName: string;
}

/** Why the page shows the list although the app named a provider (`idp_hint`). */
export type ChoiceNotice = 'hint_unavailable';

export type InteractionStep =
  | {
      readonly kind: 'choose';
      readonly choices: readonly ProviderChoice[];
      readonly notice?: ChoiceNotice;
      /** The registered name of the app being signed in to (`client_name`), for the page's heading. */
      readonly appName?: string;
      /** Roster ID's own credentials are offered beside the providers (SCIM-alone mode, ADR 0040). */
      readonly local?: boolean;
    }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'finished' };

/** Why an upstream step failed (src/oidc/upstream.ts), without the upstream's own text. */
export type UpstreamFailure = 'discovery_failed' | 'issuer_mismatch' | 'upstream_error' | 'token_rejected';

/** The Entra ID pin (entra.ts): the token must come from the configured directory and name an object id. */
export type PinRefusal = 'issuer_mismatch' | 'directory_mismatch' | 'missing_oid';

/** Every reason a sign-in is refused; the audit entry carries it (and the upstream's OAuth code, if any). */
export type SignInRefusalReason =
  | RefusalReason
  | PinRefusal
  | UpstreamFailure
  | 'provider_unavailable'
  | 'state_mismatch'
  | 'client_secret_unreadable';

export interface Refusal {
  readonly kind: 'refused';
  readonly reason: SignInRefusalReason;
}

export const refusal = (reason: SignInRefusalReason): Refusal => ({ kind: 'refused', reason });

export const isRefusal = (value: unknown): value is Refusal =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'refused';

/** The delegated upstream token (delegationEnabled), or why the app gets none. */
export type DelegatedToken =
  | { readonly status: 200; readonly body: Record<string, unknown> }
  | { readonly status: 401 | 403 | 404; readonly error: string };
