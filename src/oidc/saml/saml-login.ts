// The broker's login at a tenant's SAML IdP (ADR 0038), as named steps like the OIDC one (upstream-login.ts):
// start (an AuthnRequest over the redirect binding, its ID kept as single-use state for this interaction), the ACS
// (verify the posted Response, remember its assertion id, take the request state), and return (under the
// interaction's path, where its cookie proves the same browser: resolve the person, as for every provider).
import { randomBytes } from 'node:crypto';
import type { SAML } from '@node-saml/node-saml';
import type { Store } from '../../core/ports.ts';
import { samlIdentity } from '../../core/saml/identity.ts';
import type { SamlProviderRecord } from '../../core/saml/records.ts';
import type { UpstreamIdentity } from '../../core/signin/identity.ts';
import { type Refusal, refusal } from '../../core/signin/outcomes.ts';
import type { SigninStore } from '../../core/signin/ports.ts';
import { completeSignIn, recordRefusal, type SignInDeps } from '../../core/signin/sign-in.ts';
import type { CallbackInteraction, LoginOutcome } from '../upstream-login.ts';
import { nodeSaml } from './node-saml.ts';
import { SamlRefusal, type SamlRefusalReason, verifySamlResponse } from './response.ts';

export interface SamlLoginDeps extends SignInDeps {
  readonly store: Store;
  readonly signin: SigninStore;
  /** Leeway for NotBefore / NotOnOrAfter (ROSTER_OIDC_CLOCK_TOLERANCE_SECONDS, bounded there). */
  readonly clockSkewSeconds: number;
}

/** Payload kinds kept beside oidc-provider's own (same table, same expiry). */
const SAML_REQUEST = 'SamlRequest';
const SAML_ASSERTED = 'SamlAsserted';
const REQUEST_TTL_SECONDS = 600;
/** The hop from the ACS to the interaction's path is one redirect: a short life is plenty. */
const ASSERTED_TTL_SECONDS = 120;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const HANDLE = /^[A-Za-z0-9_-]{20,64}$/;

/** What the ACS proved, kept for the return step under a one-time handle. */
interface Asserted {
  readonly uid: string;
  readonly providerId: string;
  readonly scheme: string;
  readonly identity: UpstreamIdentity;
}

export type AcsOutcome = Refusal | { readonly kind: 'continue'; readonly uid: string; readonly handle: string };

export class SamlLogin {
  constructor(private readonly deps: SamlLoginDeps) {}

  private base(tenantId: string, scheme: string): string {
    return `${this.deps.publicUrl.replace(/\/+$/, '')}/${tenantId}/signin/saml/${encodeURIComponent(scheme)}`;
  }

  /** The SP's entity id: its metadata URL, unique per tenant and provider. */
  entityId(tenantId: string, scheme: string): string {
    return `${this.base(tenantId, scheme)}/metadata`;
  }

  acsUrl(tenantId: string, scheme: string): string {
    return `${this.base(tenantId, scheme)}/acs`;
  }

  private async client(sso: SamlProviderRecord, requestId?: string): Promise<SAML> {
    const { SAML } = await nodeSaml();
    return new SAML({
      idpCert: [...sso.idp.certificates],
      issuer: this.entityId(sso.tenantId, sso.scheme),
      callbackUrl: this.acsUrl(sso.tenantId, sso.scheme),
      entryPoint: sso.idp.ssoUrl,
      identifierFormat: sso.properties.nameIdFormat,
      wantAssertionsSigned: true,
      // No RequestedAuthnContext: the IdP's own policy (MFA included) decides how people authenticate.
      disableRequestedAuthnContext: true,
      ...(requestId ? { generateUniqueId: () => requestId } : {}),
    });
  }

  /** The SP metadata document for the IdP's admin; undefined when the tenant has no such SAML provider. */
  async metadata(tenantId: string, scheme: string): Promise<string | undefined> {
    const sso = await this.deps.store.samlProviders.get(tenantId, scheme);
    return sso && (await this.client(sso)).generateServiceProviderMetadata(null, null);
  }

  provider(tenantId: string, scheme: string): Promise<SamlProviderRecord | undefined> {
    return this.deps.store.samlProviders.get(tenantId, scheme);
  }

  /** Start: a usable provider → an AuthnRequest whose ID is this interaction's one-time state. */
  async start(sso: SamlProviderRecord, uid: string): Promise<URL | Refusal> {
    if (!usable(sso)) return this.refuse(sso.tenantId, sso.scheme, 'provider_unavailable');
    // An NCName: SAML IDs must not start with a digit.
    const requestId = `_${randomBytes(20).toString('hex')}`;
    await this.deps.signin.payloads.upsert(
      sso.tenantId,
      SAML_REQUEST,
      requestId,
      { uid, providerId: sso.id, scheme: sso.scheme },
      nowSeconds() + REQUEST_TTL_SECONDS,
    );
    return new URL(await (await this.client(sso, requestId)).getAuthorizeUrlAsync('', undefined, {}));
  }

  /**
   * The ACS: the Response verified, its assertion id remembered (a replay is refused here, in any process), the
   * request it answers taken, the person named. Nothing is resolved yet: that happens under the interaction's path.
   */
  async acs(tenantId: string, scheme: string, samlResponse: string | undefined): Promise<AcsOutcome> {
    const sso = await this.deps.store.samlProviders.get(tenantId, scheme);
    // No audit entry for a tenant that does not exist: there is no trail to write it to.
    if (!sso && !(await this.deps.store.tenants.get(tenantId))) return refusal('provider_unavailable');
    if (!sso || !usable(sso)) return this.refuse(tenantId, scheme, 'provider_unavailable');
    try {
      if (!samlResponse) throw new SamlRefusal('saml_malformed');
      const verified = await verifySamlResponse(samlResponse, {
        spEntityId: this.entityId(tenantId, scheme),
        acsUrl: this.acsUrl(tenantId, scheme),
        idp: sso.idp,
        clockSkewMs: this.deps.clockSkewSeconds * 1000,
      });
      if (
        !(await this.deps.store.samlAssertions.remember(tenantId, sso.id, verified.assertionId, verified.notOnOrAfter))
      ) {
        throw new SamlRefusal('saml_replayed');
      }
      // IdP-initiated sign-in is not offered: an unsolicited assertion has no interaction to continue.
      if (!verified.inResponseTo) throw new SamlRefusal('saml_unsolicited');
      const request = await this.deps.signin.payloads.take(tenantId, SAML_REQUEST, verified.inResponseTo);
      if (!request || request.providerId !== sso.id || typeof request.uid !== 'string') {
        throw new SamlRefusal('saml_unknown_request');
      }
      const identity = samlIdentity(sso, verified);
      if ('refused' in identity) throw new SamlRefusal(identity.refused);
      const handle = randomBytes(24).toString('base64url');
      const asserted: Asserted = { uid: request.uid, providerId: sso.id, scheme: sso.scheme, identity };
      await this.deps.signin.payloads.upsert(
        tenantId,
        SAML_ASSERTED,
        handle,
        { ...asserted },
        nowSeconds() + ASSERTED_TTL_SECONDS,
      );
      return { kind: 'continue', uid: request.uid, handle };
    } catch (error) {
      if (!(error instanceof SamlRefusal)) throw error;
      return this.refuse(tenantId, scheme, 'token_rejected', error.reason);
    }
  }

  /** Return: the one-time handle, for the interaction it was issued to and the browser whose cookie names it. */
  async finish(tenantId: string, interaction: CallbackInteraction, handle: string): Promise<LoginOutcome> {
    const taken = HANDLE.test(handle)
      ? await this.deps.signin.payloads.take(tenantId, SAML_ASSERTED, handle)
      : undefined;
    const asserted = taken as Asserted | undefined;
    if (!asserted || asserted.uid !== interaction.uid || interaction.cookieUid !== interaction.uid) {
      return this.refuse(tenantId, asserted?.scheme, 'state_mismatch');
    }
    const sso = await this.deps.store.samlProviders.get(tenantId, asserted.scheme);
    if (!sso || sso.id !== asserted.providerId || !usable(sso)) {
      return this.refuse(tenantId, asserted.scheme, 'provider_unavailable');
    }
    const outcome = await completeSignIn(this.deps, sso, asserted.identity);
    if (outcome.kind === 'refused') return refusal(outcome.reason);
    return { kind: 'signed-in', userId: outcome.userId };
  }

  private async refuse(
    tenantId: string,
    scheme: string | undefined,
    reason: 'provider_unavailable' | 'token_rejected' | 'state_mismatch',
    audited: SamlRefusalReason | typeof reason = reason,
  ): Promise<Refusal> {
    await recordRefusal(this.deps, tenantId, scheme, audited);
    return refusal(reason);
  }
}

/** Signs people in only when enabled and loginEnabled (the metadata was checked when it was stored). */
export function usable(sso: SamlProviderRecord): boolean {
  return sso.enabled && sso.properties.loginEnabled;
}
