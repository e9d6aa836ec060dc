// delegationEnabled: the upstream access token kept at sign-in, handed to an app holding a Roster access token
// with the `delegation` scope (docs/signin.md).
import type Provider from 'oidc-provider';
import type { Store } from '../core/ports.ts';
import { isSignInAllowed } from '../core/signin/account.ts';
import type { DelegatedToken } from '../core/signin/outcomes.ts';
import type { SigninStore } from '../core/signin/ports.ts';
import { decryptSecret, type Keyring } from '../lib/keyring.ts';
import { nowSeconds, UPSTREAM_TOKEN } from './upstream-login.ts';

export interface DelegationDeps {
  readonly store: Store;
  readonly signin: SigninStore;
  readonly keyring: Keyring;
}

/** The token, when the provider the subject signed in with still has delegationEnabled. */
export async function delegatedToken(
  deps: DelegationDeps,
  provider: Provider,
  tenantId: string,
  accessToken: string,
): Promise<DelegatedToken> {
  const token = await provider.AccessToken.find(accessToken);
  if (!token || token.isExpired || !token.accountId) return { status: 401, error: 'invalid_token' };
  if (
    !String(token.scope ?? '')
      .split(' ')
      .includes('delegation')
  ) {
    return { status: 403, error: 'insufficient_scope' };
  }
  const user = await deps.signin.scim.users.get(tenantId, token.accountId);
  if (!isSignInAllowed(user)) return { status: 401, error: 'invalid_token' };
  const kept = await deps.signin.payloads.find(tenantId, UPSTREAM_TOKEN, token.accountId);
  if (!kept) return { status: 404, error: 'no upstream token is held for this subject' };
  const sso = await deps.store.ssoProviders.get(tenantId, String(kept.scheme));
  if (!sso || sso.id !== kept.providerId || !sso.properties.delegationEnabled) {
    return { status: 403, error: 'delegation is not enabled for this provider' };
  }
  const value = decryptSecret(deps.keyring, String(kept.token), `upstream-token:${tenantId}:${token.accountId}`);
  return {
    status: 200,
    body: {
      access_token: value,
      token_type: 'Bearer',
      expires_in: Math.max(0, Number(kept.expiresAt) - nowSeconds()),
      provider: sso.scheme,
    },
  };
}
