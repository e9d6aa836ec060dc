// Sign-in test rig: Roster listening on loopback, a stand-in Entra ID, an app registered in Roster, and the app's
// side of the flow (openid-client against Roster's issuer, ID token verified against Roster's JWKS).
import type { FastifyInstance } from 'fastify';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import { call, startTestApp, type TestApp } from './app.ts';
import { Browser } from './browser.ts';
import { type FakeEntra, startFakeEntra } from './fake-entra.ts';
import { freePort } from './free-port.ts';
import { type ScimTenant, scimTenant } from './scim.ts';
import type { StoreKind } from './stores.ts';

export interface SignInRig {
  readonly t: TestApp;
  readonly publicUrl: string;
  readonly tenant: ScimTenant;
  readonly entra: FakeEntra;
  readonly app: RegisteredApp;
  /** The Roster SSO provider body pointing at the stand-in Entra. */
  providerBody(overrides?: Record<string, unknown>): Record<string, unknown>;
  dispose(): Promise<void>;
}

export interface RegisteredApp {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

export const APP_REDIRECT = 'http://127.0.0.1:9/app/callback';
const ENTRA_CLIENT = { clientId: 'entra-app-id', clientSecret: 'entra-app-secret-value' };

export async function startSignInRig(
  kind: StoreKind,
  properties: Record<string, unknown> = {},
  logger: Logger | false = false,
  env: Record<string, string> = {},
): Promise<SignInRig> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  // The test clock stands still, so the sign-in buckets never refill: a suite of many sign-ins from 127.0.0.1 would
  // spend the default burst (200 per address) as SCIM suites would theirs (test/support/app.ts). Rate limits are
  // tested with their own settings in signin-rate-limits.test.ts.
  const t = await startTestApp(
    kind,
    {
      ROSTER_PUBLIC_URL: publicUrl,
      ROSTER_SIGNIN_BURST_ADDRESS: '1000000',
      ROSTER_SIGNIN_BURST_TENANT: '1000000',
      ...env,
    },
    logger,
  );
  await t.app.listen({ port, host: '127.0.0.1' });
  const { tenant, entra, app, providerBody } = await registerSignIn(t.app, publicUrl, properties);
  return {
    t,
    publicUrl,
    tenant,
    entra,
    app,
    providerBody,
    async dispose() {
      await entra.close();
      await t.dispose();
    },
  };
}

/**
 * On a Roster listening at `publicUrl`: a SCIM tenant, a stand-in Entra ID that Roster's provider "entra" points at
 * (`properties` over the defaults), and a confidential app registered in Roster.
 */
export async function registerSignIn(
  server: FastifyInstance,
  publicUrl: string,
  properties: Record<string, unknown> = {},
): Promise<Pick<SignInRig, 'tenant' | 'entra' | 'app' | 'providerBody'>> {
  const tenant = await scimTenant(server);
  const entra = await startFakeEntra({
    ...ENTRA_CLIENT,
    redirectUri: `${publicUrl}/${tenant.tenantId}/signin/callback`,
  });
  const providerBody = (overrides: Record<string, unknown> = {}) => ({
    displayName: 'Contoso Entra ID',
    enabled: true,
    type: 'oidc',
    ...overrides,
    properties: {
      loginEnabled: true,
      visible: true,
      delegationEnabled: false,
      autoProvisioningEnabled: false,
      clientId: ENTRA_CLIENT.clientId,
      clientSecret: ENTRA_CLIENT.clientSecret,
      usePkce: true,
      authority: entra.authority,
      responseType: 'code',
      scope: 'openid profile email',
      ...properties,
      ...((overrides.properties as Record<string, unknown>) ?? {}),
    },
  });
  // scimTenant registered scheme "entra" with the seed's placeholder authority; point it at the stand-in.
  const put = await call(server, 'PUT', '/iam/v1/sso/entra', {
    token: tenant.adminToken,
    body: { scheme: 'entra', ...providerBody() },
  });
  if (put.statusCode !== 200) throw new Error(`provider update failed: ${put.statusCode} ${put.body}`);
  const created = await call(server, 'POST', '/iam/v1/clients', {
    token: tenant.adminToken,
    body: { client_name: 'Vendor app', type: 'confidential', redirect_uris: [APP_REDIRECT] },
  });
  if (created.statusCode !== 201) throw new Error(`client create failed: ${created.statusCode} ${created.body}`);
  const app: RegisteredApp = {
    clientId: created.json().client_id,
    clientSecret: created.json().client_secret,
    redirectUri: APP_REDIRECT,
  };
  return { tenant, entra, app, providerBody };
}

export interface AppSignIn {
  readonly browser: Browser;
  readonly authorizationUrl: URL;
  readonly checks: { state: string; nonce: string; codeVerifier: string };
  readonly config: oidc.Configuration;
}

/** The app's side: discovery on Roster's issuer, an authorization request with state, nonce and PKCE. */
export async function beginAppSignIn(
  rig: Pick<SignInRig, 'publicUrl' | 'tenant' | 'app'>,
  extra: Record<string, string> = {},
  browser = new Browser(),
): Promise<AppSignIn> {
  const issuer = new URL(`${rig.publicUrl}/${rig.tenant.tenantId}`);
  const config = await oidc.discovery(issuer, rig.app.clientId, rig.app.clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
  const checks = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: rig.app.redirectUri,
    scope: 'openid profile email',
    state: checks.state,
    nonce: checks.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { browser, authorizationUrl, checks, config };
}

export const atApp = (url: URL) => url.href.startsWith(APP_REDIRECT);

/** Runs the redirect chain to the app's callback and redeems the code; returns the verified ID token claims. */
export async function completeAppSignIn(sign: AppSignIn, rig: Pick<SignInRig, 'publicUrl' | 'tenant'>) {
  const result = await sign.browser.follow(sign.authorizationUrl, atApp);
  if (!result.stopped)
    throw new Error(`sign-in stopped at ${result.url.pathname} (${result.status}): ${result.body.slice(0, 300)}`);
  const tokens = await oidc.authorizationCodeGrant(sign.config, result.url, {
    expectedState: sign.checks.state,
    expectedNonce: sign.checks.nonce,
    pkceCodeVerifier: sign.checks.codeVerifier,
  });
  const jwks = createRemoteJWKSet(new URL(`${rig.publicUrl}/${rig.tenant.tenantId}/oidc/jwks`));
  const verified = await jwtVerify(tokens.id_token!, jwks, {
    issuer: `${rig.publicUrl}/${rig.tenant.tenantId}`,
    audience: sign.config.clientMetadata().client_id,
  });
  return { tokens, claims: verified.payload, callback: result.url };
}
