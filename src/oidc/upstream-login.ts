// The broker's login at the tenant's SSO provider, as named steps: start (state, nonce, PKCE, kept sealed
// server-side) and finish (take the state, check the provider, exchange the code, pin the directory, resolve the
// subject, keep the upstream token). Every refusal is audited; the rules themselves are pure (core/signin).
import * as oidc from 'openid-client';
import type { Store } from '../core/ports.ts';
import type { SsoProviderRecord } from '../core/records.ts';
import { entraIdentity } from '../core/signin/entra.ts';
import { oidcIdentity } from '../core/signin/generic-oidc.ts';
import type { UpstreamIdentity } from '../core/signin/identity.ts';
import { isRefusal, type Refusal, refusal, type SignInRefusalReason } from '../core/signin/outcomes.ts';
import type { SigninStore } from '../core/signin/ports.ts';
import { finishRefusal, startRefusal, stateRefusal, upstreamAuditReason } from '../core/signin/refusal-rules.ts';
import { completeSignIn, recordRefusal } from '../core/signin/sign-in.ts';
import { HD_VERIFIED } from '../core/sso/issuer.ts';
import { secretContext as ssoSecretContext } from '../core/sso/providers.ts';
import type { Clock } from '../lib/clock.ts';
import { DecryptionError, decryptSecret, encryptSecret, type Keyring } from '../lib/keyring.ts';
import { type UpstreamChecks, type UpstreamClient, UpstreamError, type UpstreamResult } from './upstream.ts';

export interface UpstreamLoginDeps {
  readonly store: Store;
  readonly signin: SigninStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly upstream: UpstreamClient;
  /** ROSTER_PUBLIC_URL: a just-in-time subject's `user.created` event carries its SCIM location. */
  readonly publicUrl: string;
  /** The fixed redirect URI registered in Entra ID for the tenant. */
  callbackUrl(tenantId: string): string;
  /** false for test sign-ins: their refusals are the test's outcome (ADR 0029), not sign-in refusals. */
  readonly auditRefusals?: boolean;
}

/** What a callback proved, before anyone is resolved: the provider, the upstream's answer, the pinned identity. */
export interface VerifiedCallback {
  readonly sso: SsoProviderRecord;
  readonly result: UpstreamResult;
  readonly identity: UpstreamIdentity;
}

/** The interaction a callback continues under (its URL), and the one the browser's cookie names. */
export interface CallbackInteraction {
  readonly uid: string;
  readonly cookieUid: string;
}

export type LoginOutcome = Refusal | { readonly kind: 'signed-in'; readonly userId: string };

/** Payload kinds kept beside oidc-provider's own (same table, same expiry). */
export const UPSTREAM_LOGIN = 'UpstreamLogin';
export const UPSTREAM_TOKEN = 'UpstreamToken';
const LOGIN_TTL_SECONDS = 600;
/** Protocol state expires on the wall clock, as oidc-provider's own does (the store hides expired rows by it). */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** What the start step keeps for the callback, under the state. */
interface LoginRecord {
  readonly uid: string;
  readonly providerId: string;
  readonly scheme: string;
  /** The sealed UpstreamChecks. */
  readonly checks: string;
}

const checksContext = (tenantId: string, state: string) => `upstream-login:${tenantId}:${state}`;

export class UpstreamLogin {
  constructor(private readonly deps: UpstreamLoginDeps) {}

  /** Start: a usable provider → fresh state, nonce and PKCE verifier → the authorization URL → the checks, sealed. */
  async start(tenantId: string, uid: string, scheme: string): Promise<URL | Refusal> {
    const sso = await this.deps.store.ssoProviders.get(tenantId, scheme);
    const refused = startRefusal(sso);
    if (refused || !sso) return this.refuse(tenantId, scheme, refused ?? 'provider_unavailable');
    const checks: UpstreamChecks = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: sso.properties.usePkce ? oidc.randomPKCECodeVerifier() : undefined,
    };
    let url: URL;
    try {
      url = await this.deps.upstream.authorizationUrl(sso.properties, this.deps.callbackUrl(tenantId), checks);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      return this.refuse(tenantId, scheme, error.reason);
    }
    const record: LoginRecord = {
      uid,
      providerId: sso.id,
      scheme: sso.scheme,
      checks: encryptSecret(this.deps.keyring, JSON.stringify(checks), checksContext(tenantId, checks.state)),
    };
    await this.deps.signin.payloads.upsert(
      tenantId,
      UPSTREAM_LOGIN,
      checks.state,
      { ...record },
      nowSeconds() + LOGIN_TTL_SECONDS,
    );
    return url;
  }

  /** The interaction a callback's state was issued for, without consuming the state. */
  async interactionOfState(tenantId: string, state: string): Promise<string | undefined> {
    const login = state ? await this.deps.signin.payloads.find(tenantId, UPSTREAM_LOGIN, state) : undefined;
    return typeof login?.uid === 'string' ? login.uid : undefined;
  }

  /** A callback whose state matches no login: audited, so a flood of forged callbacks shows. */
  async refuseUnknownState(tenantId: string): Promise<void> {
    await this.refuse(tenantId, undefined, 'state_mismatch');
  }

  /** Finish: the callback's steps in order, as oidc-provider runs an endpoint's stack; the first refusal ends it. */
  async finish(tenantId: string, interaction: CallbackInteraction, query: URLSearchParams): Promise<LoginOutcome> {
    const verified = await this.verify(tenantId, interaction, query);
    if (isRefusal(verified)) return verified;
    const { sso, result, identity } = verified;
    // Resolution audits its own outcome (with the identity it concerned).
    const outcome = await completeSignIn(this.deps, sso, identity);
    if (outcome.kind === 'refused') return refusal(outcome.reason);
    await this.keepUpstreamToken(tenantId, sso, outcome.userId, result);
    return { kind: 'signed-in', userId: outcome.userId };
  }

  /** The callback's checks up to the pinned identity; a test sign-in stops here (src/oidc/test-signin.ts). */
  async verify(
    tenantId: string,
    interaction: CallbackInteraction,
    query: URLSearchParams,
  ): Promise<VerifiedCallback | Refusal> {
    const state = query.get('state') ?? '';
    const login = await this.takeState(tenantId, state, interaction);
    if (isRefusal(login)) return login;
    const sso = await this.checkProvider(tenantId, login);
    if (isRefusal(sso)) return sso;
    const checks = this.openChecks(tenantId, state, login);
    const secret = await this.readClientSecret(tenantId, sso);
    if (isRefusal(secret)) return secret;
    const result = await this.exchangeCode(tenantId, sso, secret.value, checks, query);
    if (isRefusal(result)) return result;
    const identity = await this.pinDirectory(tenantId, sso, result.claims);
    if (isRefusal(identity)) return identity;
    return { sso, result, identity };
  }

  /** One-time: the state is taken (deleted and read in one statement) before anything else is trusted. */
  private async takeState(
    tenantId: string,
    state: string,
    interaction: CallbackInteraction,
  ): Promise<LoginRecord | Refusal> {
    const login = state ? await this.deps.signin.payloads.take(tenantId, UPSTREAM_LOGIN, state) : undefined;
    const refused = stateRefusal({
      stateUid: typeof login?.uid === 'string' ? login.uid : undefined,
      uid: interaction.uid,
      cookieUid: interaction.cookieUid,
    });
    if (refused || !login) return this.refuse(tenantId, undefined, refused ?? 'state_mismatch');
    return {
      uid: String(login.uid),
      providerId: String(login.providerId),
      scheme: String(login.scheme),
      checks: String(login.checks),
    };
  }

  private async checkProvider(tenantId: string, login: LoginRecord): Promise<SsoProviderRecord | Refusal> {
    const sso = await this.deps.store.ssoProviders.get(tenantId, login.scheme);
    const refused = finishRefusal(sso, login.providerId);
    if (refused || !sso) return this.refuse(tenantId, login.scheme, refused ?? 'provider_unavailable');
    return sso;
  }

  private openChecks(tenantId: string, state: string, login: LoginRecord): UpstreamChecks {
    const checks = JSON.parse(decryptSecret(this.deps.keyring, login.checks, checksContext(tenantId, state))) as {
      state: string;
      nonce: string;
      codeVerifier?: string;
    };
    return { state: checks.state, nonce: checks.nonce, codeVerifier: checks.codeVerifier };
  }

  /**
   * The client secret is decrypted for this exchange only. One that does not decrypt (moved here from another
   * provider's row, or sealed under a key no longer configured) refuses the sign-in before anything is sent
   * upstream; the audit log and the provider's warnings tell the admin.
   */
  private async readClientSecret(
    tenantId: string,
    sso: SsoProviderRecord,
  ): Promise<{ readonly value: string | undefined } | Refusal> {
    if (!sso.clientSecretSealed) return { value: undefined };
    try {
      return { value: decryptSecret(this.deps.keyring, sso.clientSecretSealed, ssoSecretContext(sso)) };
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      return this.refuse(tenantId, sso.scheme, 'client_secret_unreadable');
    }
  }

  /** State and issuer of the callback, the code redeemed with PKCE, the ID token checked (signature, nonce, time). */
  private async exchangeCode(
    tenantId: string,
    sso: SsoProviderRecord,
    secret: string | undefined,
    checks: UpstreamChecks,
    query: URLSearchParams,
  ): Promise<UpstreamResult | Refusal> {
    const callbackUrl = new URL(this.deps.callbackUrl(tenantId));
    callbackUrl.search = query.toString();
    try {
      return await this.deps.upstream.exchange(sso.properties, secret, callbackUrl, checks);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      // The upstream's OAuth error code goes to the audit log, never to the page.
      return this.refuse(tenantId, sso.scheme, error.reason, upstreamAuditReason(error.reason, error.code));
    }
  }

  /**
   * The provider's pin: Entra ID's configured issuer, directory and object id (core/signin/entra.ts), or a generic
   * issuer's `iss`, `sub`, subject claim and `hd` (core/signin/generic-oidc.ts).
   */
  private async pinDirectory(
    tenantId: string,
    sso: SsoProviderRecord,
    claims: UpstreamResult['claims'],
  ): Promise<UpstreamIdentity | Refusal> {
    const identity =
      sso.kind === 'azuread'
        ? entraIdentity(sso.properties.authority, claims)
        : oidcIdentity(
            sso.properties,
            claims,
            sso.properties.hostedDomain === HD_VERIFIED ? await this.deps.store.domains.verifiedOf(tenantId) : [],
          );
    if ('refused' in identity) return this.refuse(tenantId, sso.scheme, identity.refused);
    return identity;
  }

  /** delegationEnabled: the upstream access token is kept (sealed, until it expires) for the app to fetch. */
  private async keepUpstreamToken(
    tenantId: string,
    sso: SsoProviderRecord,
    userId: string,
    result: UpstreamResult,
  ): Promise<void> {
    if (!sso.properties.delegationEnabled || !result.accessToken) return;
    const expiresAt = nowSeconds() + (result.expiresIn ?? 3600);
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

  /** Audits a refusal that happened before an identity existed, and returns it for the page. */
  private async refuse(
    tenantId: string,
    scheme: string | undefined,
    reason: SignInRefusalReason,
    audited: string = reason,
  ): Promise<Refusal> {
    if (this.deps.auditRefusals !== false) await recordRefusal(this.deps, tenantId, scheme, audited, reason);
    return refusal(reason);
  }
}
