// The upstream relying party (openid-client): discovery, the authorization redirect, and the code exchange.
import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { UpstreamFailure } from '../core/signin/outcomes.ts';
import { isLoopbackHost } from '../core/sso/authority.ts';

/** Why an upstream step failed, without the upstream's own text (it can echo codes, nonces or claim values). */
export class UpstreamError extends Error {
  readonly reason: UpstreamFailure;
  readonly code: string | undefined;
  constructor(reason: UpstreamFailure, code?: string) {
    super(`upstream sign-in failed: ${reason}${code ? ` (${code})` : ''}`);
    this.reason = reason;
    this.code = code;
  }
}

export interface UpstreamProvider {
  readonly authority: string;
  readonly clientId: string;
  readonly scope: string;
  readonly responseType: string;
  readonly usePkce: boolean;
}

export interface UpstreamChecks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string | undefined;
}

export interface UpstreamResult {
  readonly claims: Readonly<Record<string, unknown>>;
  readonly accessToken: string | undefined;
  readonly expiresIn: number | undefined;
}

const METADATA_TTL_MS = 3_600_000;
const TIMEOUT_SECONDS = 10;
/** Default leeway for exp, nbf and iat (ROSTER_OIDC_CLOCK_TOLERANCE_SECONDS), openid-client's own default. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/** Default least time between two JWKS fetches of one IdP (ROSTER_OIDC_JWKS_COOLDOWN_SECONDS), jose's own default. */
export const DEFAULT_JWKS_COOLDOWN_SECONDS = 30;

export interface UpstreamClientOptions {
  /** One leeway for every time check of an ID token, in both libraries that make them (openid-client, jose). */
  readonly clockToleranceSeconds?: number;
  /**
   * An ID token signed with an unknown `kid` (the IdP rotated its keys) refetches the JWKS, but not more often than
   * this: a stream of tokens with made-up kids must not turn Roster into a fetch loop against the IdP.
   */
  readonly jwksCooldownSeconds?: number;
}

export class UpstreamClient {
  private readonly metadata = new Map<string, { at: number; server: oidc.ServerMetadata }>();
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  private readonly tolerance: number;
  private readonly jwksCooldownMs: number;

  constructor(options: UpstreamClientOptions = {}) {
    this.tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    this.jwksCooldownMs = (options.jwksCooldownSeconds ?? DEFAULT_JWKS_COOLDOWN_SECONDS) * 1000;
  }

  /**
   * The ID token's signature is checked against the directory's JWKS even though it came over the back channel:
   * only RS256 (the algorithm Entra ID, Okta and Google sign with), so `alg: none` or an HMAC forged with the public
   * key cannot pass. jose refetches the key set on an unknown `kid`, at most once per cooldown (default 30 s).
   */
  private async verifySignature(provider: UpstreamProvider, idToken: string): Promise<void> {
    const server = await this.server(provider.authority);
    if (!server.jwks_uri) throw new UpstreamError('token_rejected', 'no_jwks_uri');
    let keys = this.keySets.get(server.jwks_uri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(server.jwks_uri), {
        timeoutDuration: TIMEOUT_SECONDS * 1000,
        cooldownDuration: this.jwksCooldownMs,
      });
      this.keySets.set(server.jwks_uri, keys);
    }
    let iat: number | undefined;
    try {
      ({
        payload: { iat },
      } = await jwtVerify(idToken, keys, {
        issuer: server.issuer,
        audience: provider.clientId,
        algorithms: ['RS256'],
        clockTolerance: this.tolerance,
      }));
    } catch (error) {
      const unreachable = error instanceof joseErrors.JWKSTimeout || (error as { code?: string }).code === undefined;
      throw new UpstreamError(unreachable ? 'discovery_failed' : 'token_rejected', (error as { code?: string }).code);
    }
    // Neither library refuses a token issued in the future; one minted ahead of time is not a fresh sign-in.
    if (typeof iat !== 'number' || iat > Date.now() / 1000 + this.tolerance) {
      throw new UpstreamError('token_rejected', 'iat_in_future');
    }
  }

  /** Discovery is cached per authority for an hour; the issuer it announces must be the authority itself. */
  private async server(authority: string): Promise<oidc.ServerMetadata> {
    const cached = this.metadata.get(authority);
    if (cached && Date.now() - cached.at < METADATA_TTL_MS) return cached.server;
    let config: oidc.Configuration;
    try {
      config = await oidc.discovery(new URL(authority), 'roster', undefined, oidc.None(), {
        timeout: TIMEOUT_SECONDS,
        ...(this.insecure(authority) ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new UpstreamError(
        code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' ? 'issuer_mismatch' : 'discovery_failed',
        code,
      );
    }
    const server = { ...config.serverMetadata() };
    if (server.issuer !== authority) throw new UpstreamError('issuer_mismatch');
    this.metadata.set(authority, { at: Date.now(), server });
    return server;
  }

  /** Plain http is allowed for loopback authorities only (tests, local development). */
  private insecure(authority: string): boolean {
    const url = new URL(authority);
    return url.protocol === 'http:' && isLoopbackHost(url.hostname);
  }

  private async configuration(provider: UpstreamProvider, clientSecret?: string): Promise<oidc.Configuration> {
    const server = await this.server(provider.authority);
    const config = new oidc.Configuration(
      server,
      provider.clientId,
      { [oidc.clockTolerance]: this.tolerance },
      clientSecret === undefined ? oidc.None() : oidc.ClientSecretPost(clientSecret),
    );
    config.timeout = TIMEOUT_SECONDS;
    if (this.insecure(provider.authority)) oidc.allowInsecureRequests(config);
    return config;
  }

  async authorizationUrl(
    provider: UpstreamProvider,
    redirectUri: string,
    checks: UpstreamChecks,
    extra: Readonly<Record<string, string>> = {},
  ): Promise<URL> {
    const config = await this.configuration(provider);
    const params: Record<string, string> = {
      ...extra,
      redirect_uri: redirectUri,
      response_type: provider.responseType,
      scope: provider.scope,
      state: checks.state,
      nonce: checks.nonce,
    };
    if (checks.codeVerifier !== undefined) {
      params.code_challenge = await oidc.calculatePKCECodeChallenge(checks.codeVerifier);
      params.code_challenge_method = 'S256';
    }
    return oidc.buildAuthorizationUrl(config, params);
  }

  /** Validates the callback (state, iss), redeems the code (PKCE), and validates the ID token (iss, aud, nonce, exp). */
  async exchange(
    provider: UpstreamProvider,
    clientSecret: string | undefined,
    callbackUrl: URL,
    checks: UpstreamChecks,
  ): Promise<UpstreamResult> {
    const config = await this.configuration(provider, clientSecret);
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        ...(checks.codeVerifier === undefined ? {} : { pkceCodeVerifier: checks.codeVerifier }),
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims || !tokens.id_token) throw new UpstreamError('token_rejected', 'no_id_token');
      await this.verifySignature(provider, tokens.id_token);
      return { claims, accessToken: tokens.access_token, expiresIn: tokens.expiresIn() };
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (error instanceof oidc.AuthorizationResponseError) {
        throw new UpstreamError('upstream_error', safeCode(error.error));
      }
      if (error instanceof oidc.ResponseBodyError) throw new UpstreamError('token_rejected', safeCode(error.error));
      throw new UpstreamError('token_rejected', (error as { code?: string }).code);
    }
  }
}

/** OAuth error codes are a fixed vocabulary; anything else is not echoed. */
function safeCode(code: string): string {
  return /^[a-z_]{1,64}$/.test(code) ? code : 'other';
}
