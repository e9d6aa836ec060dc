// Which SSO provider a sign-in goes to, decided by a pure function over the tenant's providers (docs/signin.md,
// "Choosing the provider").
import type { SsoProviderRecord } from '../records.ts';
import { warningsOf } from '../sso/providers.ts';
import type { ChoiceNotice, ProviderChoice } from './outcomes.ts';

/**
 * A provider signs people in only when enabled, loginEnabled, and its authority is usable (no warning: a
 * `{TenantId}` placeholder is never substituted, security plan S4).
 */
export function isUsable(record: SsoProviderRecord): boolean {
  return record.enabled && record.properties.loginEnabled && warningsOf(record).length === 0;
}

export type ProviderDecision =
  | { readonly kind: 'start'; readonly scheme: string }
  | {
      readonly kind: 'choose';
      readonly choices: readonly ProviderChoice[];
      readonly notice?: ChoiceNotice;
      readonly local?: boolean;
    }
  /** Roster ID's own credentials are the only way in: straight to their page. */
  | { readonly kind: 'local' };

/**
 * The page lists the usable, visible providers; with exactly one, the person goes straight to it. `idp_hint`
 * reaches a usable provider even when it is not visible; a hint that names none shows the list with a notice.
 * With `local` (Roster ID offered, ADR 0040) the list also offers Roster ID, and with no provider to list the
 * person goes straight to Roster ID's page.
 */
export function chooseProvider(
  providers: readonly SsoProviderRecord[],
  hint: string | undefined,
  local = false,
): ProviderDecision {
  const choices = providers
    .filter((p) => isUsable(p) && p.properties.visible)
    .map((p) => ({ scheme: p.scheme, displayName: p.displayName }));
  const offer = local ? { local: true } : {};
  if (hint !== undefined) {
    const hinted = providers.find((p) => p.scheme === hint && isUsable(p));
    if (hinted) return { kind: 'start', scheme: hinted.scheme };
    return { kind: 'choose', choices, notice: 'hint_unavailable', ...offer };
  }
  if (local) return choices.length === 0 ? { kind: 'local' } : { kind: 'choose', choices, ...offer };
  if (choices.length === 1) return { kind: 'start', scheme: choices[0]!.scheme };
  return { kind: 'choose', choices };
}
