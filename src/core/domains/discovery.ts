// Home-realm discovery (ADR 0031): an email address → the tenant that verified its domain → that tenant's SSO
// provider. Only domains are looked at, never people: the answer does not depend on whether an account exists.
import type { Repositories } from '../ports.ts';
import { chooseProvider, isUsable } from '../signin/provider-choice.ts';
import { domainOfAddress } from './names.ts';

export type Realm =
  | {
      readonly kind: 'sso';
      readonly tenantId: string;
      /** The provider to go straight to; undefined when the tenant's sign-in page should offer a choice. */
      readonly scheme: string | undefined;
    }
  | { readonly kind: 'none' };

/** A tenant id no tenant has: an unknown domain still costs the provider query a known one does. */
const NO_TENANT = '00000000-0000-0000-0000-000000000000';
/** A name no claim can have (RFC 2606 reserves .invalid): an unparseable address still costs the domain query. */
const NO_DOMAIN = 'unknown.invalid';

export async function discoverRealm(
  repos: Pick<Repositories, 'domains' | 'ssoProviders'>,
  email: string,
): Promise<Realm> {
  const domain = domainOfAddress(email.trim());
  // The same two queries whatever the answer, so the time taken does not tell known domains from unknown ones.
  const owner = await repos.domains.verifiedOwner(domain ?? NO_DOMAIN);
  const providers = await repos.ssoProviders.list(owner ?? NO_TENANT);
  if (owner === undefined || !providers.some(isUsable)) return { kind: 'none' };
  const decision = chooseProvider(providers, undefined);
  if (decision.kind === 'start') return { kind: 'sso', tenantId: owner, scheme: decision.scheme };
  // Several usable providers: the one usable provider if there is exactly one (even if not visible), else a choice.
  const usable = providers.filter(isUsable);
  return { kind: 'sso', tenantId: owner, scheme: usable.length === 1 ? usable[0]!.scheme : undefined };
}
