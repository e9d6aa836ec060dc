// Sign-in, end to end: each tenant's OpenID Provider (oidc-provider), and the broker to its SSO providers
// (openid-client), meeting in the interaction: who is this person, as a subject of this tenant? Each step opens the
// interaction the same way (withInteraction); the broker's own steps are in upstream-login.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type default as Provider } from 'oidc-provider';
import { isScimAlone } from '../core/credentials/policy.ts';
import type { CredentialStore } from '../core/credentials/ports.ts';
import { DomainError } from '../core/errors.ts';
import type { Store } from '../core/ports.ts';
import type { SetupStore } from '../core/setup/ports.ts';
import type { TestReturnStep, TestStartStep } from '../core/setup/test-signins.ts';
import type { DelegatedToken, InteractionStep, Refusal } from '../core/signin/outcomes.ts';
import type { SigninStore } from '../core/signin/ports.ts';
import { chooseAmong, oidcCandidate } from '../core/signin/provider-choice.ts';
import { signingKeys, signingKeyVersion } from '../core/signin/signing-keys.ts';
import { signInRedirectUri } from '../core/sso/redirect-uri.ts';
import type { Telemetry } from '../core/telemetry/ports.ts';
import { setBounded } from '../lib/bounded-map.ts';
import type { Clock } from '../lib/clock.ts';
import { cookieKeys, type Keyring } from '../lib/keyring.ts';
import { delegatedToken } from './delegation.ts';
import { type AcsOutcome, SamlLogin, usable as samlUsable } from './saml/saml-login.ts';
import { createTenantProvider, IDP_HINT, type ProviderPages } from './tenant-provider.ts';
import { TestSignIns } from './test-signin.ts';
import { UpstreamClient } from './upstream.ts';
import { type LoginOutcome, UpstreamLogin } from './upstream-login.ts';

export interface SignInEngineDeps {
  readonly store: Store;
  readonly signin: SigninStore;
  /** Test sign-ins (ADR 0029). */
  readonly setup: SetupStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly publicUrl: string;
  /** Whether the provider's cookies are Secure: src/http/cookies.ts's policy, which app.ts applies. */
  readonly secureCookies: boolean;
  /** Leeway for the upstream ID token's exp/nbf/iat (ROSTER_OIDC_CLOCK_TOLERANCE_SECONDS). */
  readonly clockToleranceSeconds?: number | undefined;
  /** Least time between two JWKS refetches of one IdP on an unknown `kid` (ROSTER_OIDC_JWKS_COOLDOWN_SECONDS). */
  readonly jwksCooldownSeconds?: number | undefined;
  /** The pages oidc-provider renders itself (logout, protocol errors). */
  readonly pages: ProviderPages;
  /** Counts finished sign-ins (ADR 0033). */
  readonly telemetry?: Pick<Telemetry, 'signIn'> | undefined;
  /** Roster ID's own credentials (ADR 0040): without it the chooser never offers them. */
  readonly credentials?: CredentialStore | undefined;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** An opened interaction: the tenant's OP, and the interaction the browser's cookie names. */
interface Opened {
  readonly provider: Provider;
  readonly details: Details;
}

/** Whether the step itself decides what a cookie naming another interaction means (the callback refuses it). */
type OnMismatch = 'throw' | 'step decides';

export class SignInEngine {
  private readonly deps: SignInEngineDeps;
  private readonly login: UpstreamLogin;
  private readonly saml: SamlLogin;
  private readonly tests: TestSignIns;
  private readonly providers = new Map<string, { version: string; provider: Provider }>();
  private readonly base: URL;

  constructor(deps: SignInEngineDeps) {
    this.deps = deps;
    this.base = new URL(deps.publicUrl);
    const upstream = new UpstreamClient({
      ...(deps.clockToleranceSeconds === undefined ? {} : { clockToleranceSeconds: deps.clockToleranceSeconds }),
      ...(deps.jwksCooldownSeconds === undefined ? {} : { jwksCooldownSeconds: deps.jwksCooldownSeconds }),
    });
    const callbackUrl = (tenantId: string) => this.callbackUrl(tenantId);
    this.login = new UpstreamLogin({ ...deps, upstream, callbackUrl });
    // A test's refusals are its outcome, not sign-in refusals: that login audits none of them.
    const testLogin = new UpstreamLogin({ ...deps, upstream, callbackUrl, auditRefusals: false });
    this.tests = new TestSignIns({ ...deps, login: testLogin });
    this.saml = new SamlLogin({ ...deps, clockSkewSeconds: deps.clockToleranceSeconds ?? 30 });
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
      secureCookies: this.deps.secureCookies,
      pages: this.deps.pages,
    });
    // Read again: building may have made the tenant's first key.
    const builtVersion = await signingKeyVersion(this.deps, tenantId);
    setBounded(this.providers, tenantId, { version: builtVersion, provider }, 1_000);
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

  /**
   * The opening every interaction step shares: the tenant's OP (`tenant.not_found` without one), the request as
   * sent to the public URL, and the interaction the browser's cookie names, which must be the one in the URL
   * (`signin.interaction_mismatch`). An interaction that is gone, or no cookie at all, is
   * `signin.interaction_expired`, wherever in the step oidc-provider notices it.
   */
  private async withInteraction<T>(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    step: (opened: Opened) => Promise<T>,
    onMismatch: OnMismatch = 'throw',
  ): Promise<T> {
    const provider = await this.provider(tenantId);
    if (!provider) throw new DomainError('tenant.not_found', 'no such tenant');
    this.normalise(req);
    try {
      const details = await provider.interactionDetails(req, res);
      if (onMismatch === 'throw' && details.uid !== uid) {
        throw new DomainError('signin.interaction_mismatch', 'the interaction cookie names another interaction');
      }
      return await step({ provider, details });
    } catch (error) {
      if (error instanceof errors.SessionNotFound) {
        throw new DomainError('signin.interaction_expired', 'the interaction has expired or its cookie is missing');
      }
      throw error;
    }
  }

  /** Where an interaction goes next: a consent is implied, a login needs a provider (chosen, hinted or the only one). */
  interaction(tenantId: string, req: IncomingMessage, res: ServerResponse, uid: string): Promise<InteractionStep> {
    return this.withInteraction(tenantId, req, res, uid, async ({ provider, details }) => {
      if (details.prompt.name === 'consent') return this.impliedConsent(provider, details, req, res);
      const hint = details.params[IDP_HINT];
      const providers = await this.deps.store.ssoProviders.list(tenantId);
      const samlProviders = await this.deps.store.samlProviders.list(tenantId);
      const candidates = [
        ...providers.map(oidcCandidate),
        ...samlProviders.map((p) => ({
          scheme: p.scheme,
          displayName: p.displayName,
          usable: samlUsable(p),
          visible: p.properties.visible,
        })),
      ];
      const credentials = this.deps.credentials;
      const local =
        credentials !== undefined &&
        (await isScimAlone({ store: this.deps.store, credentials }, tenantId, [...providers, ...samlProviders]));
      const decision = chooseAmong(candidates, typeof hint === 'string' ? hint : undefined, local);
      if (decision.kind === 'local') return { kind: 'redirect', location: this.localPath(tenantId, uid) };
      if (decision.kind === 'choose') {
        const clientId = String(details.params.client_id);
        const client =
          (await this.deps.signin.clients.get(tenantId, clientId)) ??
          (await this.deps.signin.operatorClients.get(clientId));
        const name = client?.metadata.client_name;
        return typeof name === 'string' ? { ...decision, appName: name } : decision;
      }
      return { kind: 'redirect', location: this.startPath(tenantId, uid, decision.scheme) };
    });
  }

  /** Apps are the vendor's own, registered by the tenant admin: the grant covers the scopes the app asks for. */
  private async impliedConsent(
    provider: Provider,
    details: Details,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<InteractionStep> {
    const found = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const grant =
      found ??
      new provider.Grant({ clientId: String(details.params.client_id), accountId: details.session!.accountId });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return { kind: 'finished' };
  }

  private localPath(tenantId: string, uid: string): string {
    return `/${tenantId}/signin/${uid}/local`;
  }

  /** Whether the interaction in the browser's cookie is `uid` and still open (the Roster ID page shows it). */
  checkInteraction(tenantId: string, req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    return this.withInteraction(tenantId, req, res, uid, async () => undefined);
  }

  /**
   * Ends the interaction for a person who proved Roster ID credentials (ADR 0040), exactly as an SSO sign-in does:
   * the app gets a code for the same subject. `amr` (RFC 8176) says how: ['pwd'], ['pwd', 'otp'], ['hwk'], ….
   */
  completeLocal(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    userId: string,
    amr: string[],
  ): Promise<{ kind: 'finished' }> {
    return this.withInteraction(tenantId, req, res, uid, async ({ provider }) => {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: userId, amr, remember: true } },
        { mergeWithLastSubmission: false },
      );
      return { kind: 'finished' } as const;
    });
  }

  private startPath(tenantId: string, uid: string, scheme: string): string {
    return `/${tenantId}/signin/${uid}/start/${encodeURIComponent(scheme)}`;
  }

  /** The fixed redirect URI to register in Entra ID for this tenant. */
  callbackUrl(tenantId: string): string {
    return signInRedirectUri(this.deps.publicUrl, tenantId);
  }

  /** Starts the upstream authorization request: state, nonce and (usePkce) a PKCE verifier, kept server-side. */
  startUpstream(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    scheme: string,
  ): Promise<URL | Refusal> {
    return this.withInteraction(tenantId, req, res, uid, async () => {
      const saml = await this.saml.provider(tenantId, scheme);
      return saml ? this.saml.start(saml, uid) : this.login.start(tenantId, uid, scheme);
    });
  }

  /** The SP metadata of a tenant's SAML provider (ADR 0038); undefined when there is none. */
  samlMetadata(tenantId: string, scheme: string): Promise<string | undefined> {
    return this.saml.metadata(tenantId, scheme);
  }

  /** The SAML ACS: a verified assertion continues under its interaction's path (where the cookie is sent). */
  samlAcs(tenantId: string, scheme: string, samlResponse: string | undefined): Promise<AcsOutcome> {
    return this.saml.acs(tenantId, scheme, samlResponse);
  }

  /** The SAML return step: as completeUpstream, with the ACS's one-time handle in place of the OAuth callback. */
  completeSaml(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    handle: string,
  ): Promise<Refusal | { kind: 'finished' }> {
    return this.completeFederated(tenantId, req, res, uid, (cookieUid) =>
      this.saml.finish(tenantId, { uid, cookieUid }, handle),
    );
  }

  /**
   * The interaction a callback's state belongs to (the callback then continues under that interaction's path).
   * Unknown state is audited as a refusal; an unknown tenant is `tenant.not_found`.
   */
  async interactionOfState(tenantId: string, state: string): Promise<string | undefined> {
    const uid = await this.login.interactionOfState(tenantId, state);
    if (uid !== undefined) return uid;
    if (!(await this.deps.store.tenants.get(tenantId))) throw new DomainError('tenant.not_found', 'no such tenant');
    await this.login.refuseUnknownState(tenantId);
    return undefined;
  }

  /**
   * The upstream callback, under the interaction's own path so its cookie proves the same browser started it; a
   * cookie naming another interaction is a state mismatch, decided after the state is consumed.
   */
  completeUpstream(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    callbackQuery: URLSearchParams,
  ): Promise<Refusal | { kind: 'finished' }> {
    return this.completeFederated(tenantId, req, res, uid, (cookieUid) =>
      this.login.finish(tenantId, { uid, cookieUid }, callbackQuery),
    );
  }

  /**
   * A federated sign-in's last step (OIDC callback or SAML return): `finish` resolves the person under the
   * interaction the browser's cookie names, and a resolved person ends the interaction as a federated login.
   */
  private completeFederated(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    finish: (cookieUid: string) => Promise<LoginOutcome>,
  ): Promise<Refusal | { kind: 'finished' }> {
    return this.withInteraction(
      tenantId,
      req,
      res,
      uid,
      async ({ provider, details }) => {
        const outcome = await finish(details.uid);
        if (outcome.kind === 'refused') return outcome;
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: outcome.userId, amr: ['fed'], remember: true } },
          { mergeWithLastSubmission: false },
        );
        return { kind: 'finished' } as const;
      },
      'step decides',
    );
  }

  /** A test sign-in's start: its key, then the upstream authorization request (no interaction of the OP). */
  startTestSignIn(tenantId: string, id: string, key: string): Promise<TestStartStep> {
    return this.tests.start(tenantId, id, key);
  }

  /** A test sign-in's callback (continued from /{tenantId}/signin/callback): the outcome, recorded once. */
  finishTestSignIn(
    tenantId: string,
    id: string,
    cookie: string | undefined,
    query: URLSearchParams,
  ): Promise<TestReturnStep> {
    return this.tests.finish(tenantId, id, cookie, query);
  }

  /** Ends the interaction with error=access_denied for the app. */
  abort(tenantId: string, req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    return this.withInteraction(tenantId, req, res, uid, ({ provider }) =>
      provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'sign-in was refused' },
        { mergeWithLastSubmission: false },
      ),
    );
  }

  /**
   * The upstream access token for an app holding a Roster access token with the `delegation` scope, when the
   * provider the subject signed in with has delegationEnabled.
   */
  async delegatedToken(tenantId: string, accessToken: string): Promise<DelegatedToken> {
    const provider = await this.provider(tenantId);
    if (!provider) return { status: 404, error: 'no such tenant' };
    return delegatedToken(this.deps, provider, tenantId, accessToken);
  }
}
