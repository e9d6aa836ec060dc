// Sign-in, end to end: each tenant's OpenID Provider (oidc-provider), and the broker to its SSO providers
// (openid-client), meeting in the interaction: who is this person, as a subject of this tenant?
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import * as oidc from 'openid-client';
import type { Store } from '../core/ports.ts';
import type { SsoProviderRecord } from '../core/records.ts';
import { isSignInAllowed } from '../core/signin/account.ts';
import { entraIdentity } from '../core/signin/entra.ts';
import type { SigninStore } from '../core/signin/ports.ts';
import { completeSignIn, recordRefusal } from '../core/signin/sign-in.ts';
import { signingKeys, signingKeyVersion } from '../core/signin/signing-keys.ts';
import { secretContext as ssoSecretContext, warningsOf } from '../core/sso/providers.ts';
import type { Clock } from '../lib/clock.ts';
import { cookieKeys, DecryptionError, decryptSecret, encryptSecret, type Keyring } from '../lib/keyring.ts';
import { createTenantProvider, IDP_HINT } from './tenant-provider.ts';
import { UpstreamClient, UpstreamError } from './upstream.ts';

export interface SignInEngineDeps {
  readonly store: Store;
  readonly signin: SigninStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly publicUrl: string;
  /** Leeway for the upstream ID token's exp/nbf/iat (ROSTER_OIDC_CLOCK_TOLERANCE_SECONDS). */
  readonly clockToleranceSeconds?: number | undefined;
}

export interface ProviderChoice {
  readonly scheme: string;
  readonly displayName: string;
}

export type InteractionStep =
  | { readonly kind: 'choose'; readonly choices: readonly ProviderChoice[]; readonly notice?: string }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'finished' };

export type Refusal = { readonly kind: 'refused'; readonly reason: string; readonly message: string };

/** What a person reads when sign-in is refused; the precise reason goes to the audit log, not to the page. */
const MESSAGES: Record<string, string> = {
  no_subject: 'Your account has not been set up in this application yet. Ask your administrator to assign you to it.',
  subject_inactive: 'Your account is disabled. Ask your administrator.',
  identity_conflict:
    'Your account is linked to a different identity in your organisation. Your administrator can resolve this.',
  provisioned_by_other_provider: 'This account is managed through another sign-in method.',
  ambiguous_external_id: 'More than one account matches you. Your administrator can resolve this.',
  no_username_claim: 'Your organisation did not send a user name, so no account can be created.',
  provider_unavailable: 'This sign-in method is not available.',
  directory_mismatch: 'You signed in with an account from another organisation.',
  issuer_mismatch: 'The identity provider is not configured correctly. Your administrator can fix this.',
  missing_oid: 'Your organisation did not identify your account.',
  state_mismatch: 'This sign-in link has expired or was already used. Start again from the application.',
  upstream_error: 'Your organisation did not complete the sign-in.',
  token_rejected: 'Your organisation’s answer could not be verified. Start again from the application.',
  discovery_failed: 'Your organisation’s identity provider cannot be reached right now. Try again later.',
  client_secret_unreadable: 'This sign-in method is not configured correctly. Your administrator can fix this.',
};

const refusal = (reason: string): Refusal => ({
  kind: 'refused',
  reason,
  message: MESSAGES[reason] ?? 'Sign-in is not possible.',
});

const LOGIN_TTL_SECONDS = 600;
/** Protocol state expires on the wall clock, as oidc-provider's own does (the store hides expired rows by it). */
const nowSeconds = () => Math.floor(Date.now() / 1000);
const UPSTREAM_LOGIN = 'UpstreamLogin';
const UPSTREAM_TOKEN = 'UpstreamToken';

function usable(record: SsoProviderRecord): boolean {
  return record.enabled && record.properties.loginEnabled && warningsOf(record).length === 0;
}

export class SignInEngine {
  private readonly deps: SignInEngineDeps;
  private readonly upstream: UpstreamClient;
  private readonly providers = new Map<string, { version: string; provider: Provider }>();
  private readonly base: URL;

  constructor(deps: SignInEngineDeps) {
    this.deps = deps;
    this.base = new URL(deps.publicUrl);
    this.upstream = new UpstreamClient(
      deps.clockToleranceSeconds === undefined ? {} : { clockToleranceSeconds: deps.clockToleranceSeconds },
    );
  }

  /** The tenant's OP, rebuilt when its signing keys changed (here or in another process). Undefined: no tenant. */
  async provider(tenantId: string): Promise<Provider | undefined> {
    const version = await signingKeyVersion(this.deps, tenantId);
    const cached = this.providers.get(tenantId);
    if (cached && cached.version === version && version !== '') return cached.provider;
    if (!(await this.deps.store.tenants.get(tenantId))) return undefined;
    const keys = await signingKeys(this.deps, tenantId);
    const provider = createTenantProvider({
      publicUrl: this.deps.publicUrl,
      tenantId,
      store: this.deps.signin,
      keyring: this.deps.keyring,
      keys,
      cookieKeys: cookieKeys(this.deps.keyring, `oidc:${tenantId}`),
      secureCookies: this.base.protocol === 'https:',
    });
    if (this.providers.size >= 1_000) this.providers.delete(this.providers.keys().next().value!);
    this.providers.set(tenantId, { version: await signingKeyVersion(this.deps, tenantId), provider });
    return provider;
  }

  /**
   * The OP sees the request as sent to the public URL: Host and scheme come from ROSTER_PUBLIC_URL, never from the
   * client, so discovery documents and redirects cannot be pointed at another host.
   */
  private normalise(req: IncomingMessage): void {
    req.headers.host = this.base.host;
    req.headers['x-forwarded-proto'] = this.base.protocol.slice(0, -1);
    delete req.headers['x-forwarded-host'];
  }

  /** Hands a protocol request (/{tenantId}/.well-known/…, /{tenantId}/oidc/…) to the tenant's OP. */
  async handleProtocol(tenantId: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const provider = await this.provider(tenantId);
    if (!provider) return false;
    const original = req.url ?? '/';
    this.normalise(req);
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = original;
    req.url = original.slice(tenantId.length + 1) || '/';
    await provider.callback()(req, res);
    return true;
  }

  /** Where an interaction goes next: a consent is implied, a login needs a provider (chosen, hinted or the only one). */
  async interaction(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
  ): Promise<InteractionStep> {
    const provider = await this.provider(tenantId);
    if (!provider) throw new Error('no such tenant');
    this.normalise(req);
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (details.prompt.name === 'consent') {
      const grantId = details.grantId;
      const found = grantId ? await provider.Grant.find(grantId) : undefined;
      const grant =
        found ??
        new provider.Grant({ clientId: String(details.params.client_id), accountId: details.session!.accountId });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      const savedId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: savedId } },
        { mergeWithLastSubmission: true },
      );
      return { kind: 'finished' };
    }
    const all = await this.deps.store.ssoProviders.list(tenantId);
    const hint = typeof details.params[IDP_HINT] === 'string' ? details.params[IDP_HINT] : undefined;
    const choices = all.filter((p) => usable(p) && p.properties.visible);
    const view = (list: readonly SsoProviderRecord[]) =>
      list.map((p) => ({ scheme: p.scheme, displayName: p.displayName }));
    if (hint !== undefined) {
      const hinted = all.find((p) => p.scheme === hint && usable(p));
      if (hinted) return { kind: 'redirect', location: this.startPath(tenantId, uid, hinted.scheme) };
      return { kind: 'choose', choices: view(choices), notice: 'The requested sign-in method is not available.' };
    }
    if (choices.length === 1) return { kind: 'redirect', location: this.startPath(tenantId, uid, choices[0]!.scheme) };
    return { kind: 'choose', choices: view(choices) };
  }

  private startPath(tenantId: string, uid: string, scheme: string): string {
    return `/${tenantId}/signin/${uid}/start/${encodeURIComponent(scheme)}`;
  }

  /** The fixed redirect URI to register in Entra ID for this tenant. */
  callbackUrl(tenantId: string): string {
    return `${this.deps.publicUrl}/${tenantId}/signin/callback`;
  }

  /** Starts the upstream authorization request: state, nonce and (usePkce) a PKCE verifier, kept server-side. */
  async startUpstream(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    scheme: string,
  ): Promise<URL | Refusal> {
    const provider = await this.provider(tenantId);
    if (!provider) throw new Error('no such tenant');
    this.normalise(req);
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    const sso = await this.deps.store.ssoProviders.get(tenantId, scheme);
    if (!sso || !usable(sso)) {
      await recordRefusal(this.deps, tenantId, scheme, 'provider_unavailable');
      return refusal('provider_unavailable');
    }
    const state = oidc.randomState();
    const checks = {
      state,
      nonce: oidc.randomNonce(),
      codeVerifier: sso.properties.usePkce ? oidc.randomPKCECodeVerifier() : undefined,
    };
    let url: URL;
    try {
      url = await this.upstream.authorizationUrl(sso.properties, this.callbackUrl(tenantId), checks);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      await recordRefusal(this.deps, tenantId, scheme, error.reason);
      return refusal(error.reason);
    }
    const sealed = encryptSecret(this.deps.keyring, JSON.stringify(checks), `upstream-login:${tenantId}:${state}`);
    await this.deps.signin.payloads.upsert(
      tenantId,
      UPSTREAM_LOGIN,
      state,
      { uid, providerId: sso.id, scheme: sso.scheme, checks: sealed },
      nowSeconds() + LOGIN_TTL_SECONDS,
    );
    return url;
  }

  /** The interaction a callback's state belongs to (the callback then continues under that interaction's path). */
  async interactionOfState(tenantId: string, state: string): Promise<string | undefined> {
    const login = state ? await this.deps.signin.payloads.find(tenantId, UPSTREAM_LOGIN, state) : undefined;
    if (typeof login?.uid === 'string') return login.uid;
    if (await this.deps.store.tenants.get(tenantId))
      await recordRefusal(this.deps, tenantId, undefined, 'state_mismatch');
    return undefined;
  }

  /**
   * The upstream callback, under the interaction's own path so its cookie proves the same browser started it:
   * one-time state, code exchange with nonce and PKCE, the directory pin, then identity resolution.
   */
  async completeUpstream(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    callbackQuery: URLSearchParams,
  ): Promise<Refusal | { kind: 'finished' }> {
    const provider = await this.provider(tenantId);
    if (!provider) throw new Error('no such tenant');
    this.normalise(req);
    const details = await provider.interactionDetails(req, res);
    const state = callbackQuery.get('state') ?? '';
    // One-time: taken (deleted and read in one statement) before anything else is trusted.
    const login = state ? await this.deps.signin.payloads.take(tenantId, UPSTREAM_LOGIN, state) : undefined;
    if (!login || details.uid !== uid || login.uid !== uid) {
      await recordRefusal(this.deps, tenantId, undefined, 'state_mismatch');
      return refusal('state_mismatch');
    }
    const scheme = String(login.scheme);
    const sso = await this.deps.store.ssoProviders.get(tenantId, scheme);
    if (!sso || sso.id !== login.providerId || !usable(sso)) {
      await recordRefusal(this.deps, tenantId, scheme, 'provider_unavailable');
      return refusal('provider_unavailable');
    }
    const checks = JSON.parse(
      decryptSecret(this.deps.keyring, String(login.checks), `upstream-login:${tenantId}:${state}`),
    ) as { state: string; nonce: string; codeVerifier?: string };
    const callbackUrl = new URL(this.callbackUrl(tenantId));
    callbackUrl.search = callbackQuery.toString();
    // The client secret is decrypted for this exchange only. One that does not decrypt (moved here from another
    // provider's row, or sealed under a key no longer configured) refuses the sign-in before anything is sent
    // upstream; the audit log and the provider's warnings tell the admin.
    let secret: string | undefined;
    try {
      secret = sso.clientSecretSealed
        ? decryptSecret(this.deps.keyring, sso.clientSecretSealed, ssoSecretContext(sso))
        : undefined;
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      await recordRefusal(this.deps, tenantId, scheme, 'client_secret_unreadable');
      return refusal('client_secret_unreadable');
    }
    let result: Awaited<ReturnType<UpstreamClient['exchange']>>;
    try {
      result = await this.upstream.exchange(sso.properties, secret, callbackUrl, {
        state: checks.state,
        nonce: checks.nonce,
        codeVerifier: checks.codeVerifier,
      });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      await recordRefusal(this.deps, tenantId, scheme, error.code ? `${error.reason}:${error.code}` : error.reason);
      return refusal(error.reason);
    }
    const identity = entraIdentity(sso.properties.authority, result.claims);
    if ('refused' in identity) {
      await recordRefusal(this.deps, tenantId, scheme, identity.refused);
      return refusal(identity.refused);
    }
    const outcome = await completeSignIn(this.deps, sso, identity);
    if (outcome.kind === 'refused') return refusal(outcome.reason);
    await this.keepUpstreamToken(tenantId, sso, outcome.userId, result);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: outcome.userId, amr: ['fed'], remember: true } },
      { mergeWithLastSubmission: false },
    );
    return { kind: 'finished' };
  }

  /** delegationEnabled: the upstream access token is kept (sealed, until it expires) for the app to fetch. */
  private async keepUpstreamToken(
    tenantId: string,
    sso: SsoProviderRecord,
    userId: string,
    result: { accessToken: string | undefined; expiresIn: number | undefined },
  ): Promise<void> {
    if (!sso.properties.delegationEnabled || !result.accessToken) return;
    const now = nowSeconds();
    const expiresAt = now + (result.expiresIn ?? 3600);
    await this.deps.signin.payloads.upsert(
      tenantId,
      UPSTREAM_TOKEN,
      userId,
      {
        accountId: userId,
        providerId: sso.id,
        scheme: sso.scheme,
        expiresAt,
        token: encryptSecret(this.deps.keyring, result.accessToken, `upstream-token:${tenantId}:${userId}`),
      },
      expiresAt,
    );
  }

  /** Ends the interaction with error=access_denied for the app. */
  async abort(tenantId: string, req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const provider = await this.provider(tenantId);
    if (!provider) throw new Error('no such tenant');
    this.normalise(req);
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'sign-in was refused' },
      { mergeWithLastSubmission: false },
    );
  }

  /**
   * The upstream access token for an app holding a Roster access token with the `delegation` scope, when the
   * provider the subject signed in with has delegationEnabled.
   */
  async delegatedToken(
    tenantId: string,
    accessToken: string,
  ): Promise<{ status: 200; body: Record<string, unknown> } | { status: 401 | 403 | 404; error: string }> {
    const provider = await this.provider(tenantId);
    if (!provider) return { status: 404, error: 'no such tenant' };
    const token = await provider.AccessToken.find(accessToken);
    if (!token || token.isExpired || !token.accountId) return { status: 401, error: 'invalid_token' };
    if (
      !String(token.scope ?? '')
        .split(' ')
        .includes('delegation')
    ) {
      return { status: 403, error: 'insufficient_scope' };
    }
    const user = await this.deps.signin.scim.users.get(tenantId, token.accountId);
    if (!isSignInAllowed(user)) return { status: 401, error: 'invalid_token' };
    const kept = await this.deps.signin.payloads.find(tenantId, UPSTREAM_TOKEN, token.accountId);
    if (!kept) return { status: 404, error: 'no upstream token is held for this subject' };
    const sso = await this.deps.store.ssoProviders.get(tenantId, String(kept.scheme));
    if (!sso || sso.id !== kept.providerId || !sso.properties.delegationEnabled) {
      return { status: 403, error: 'delegation is not enabled for this provider' };
    }
    const value = decryptSecret(this.deps.keyring, String(kept.token), `upstream-token:${tenantId}:${token.accountId}`);
    const now = nowSeconds();
    return {
      status: 200,
      body: {
        access_token: value,
        token_type: 'Bearer',
        expires_in: Math.max(0, Number(kept.expiresAt) - now),
        provider: sso.scheme,
      },
    };
  }
}
