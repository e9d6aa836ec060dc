// Passkeys in a real browser (Debian's chromium through playwright-core, with chromium's virtual authenticator over
// the DevTools protocol), on both stores. The SCIM-alone path: SCIM creates a user with a primary email → the
// activation mail, caught by a real SMTP server on loopback → "Create a passkey" → the user signs in to a registered
// app with it and the ID token's `sub` is the SCIM id. Then the refusals: the same assertion posted again (its
// challenge is spent), the tenant-A passkey offered to tenant B (unknown there),
// domainPolicy.ssoRequiredForVerifiedDomains (a passkey is an own credential) and a cloned authenticator (its
// counter behind the stored one). Every outcome is in the audit log.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.ts';
import { freePort } from '../support/free-port.ts';
import { entraUser, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp-capture.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { addVirtualAuthenticator, type VirtualAuthenticator } from '../support/virtual-authenticator.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // WebAuthn needs a secure context and a domain rpID: http://localhost is both (an IP address is no rpID).
    args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  });
}, 60_000);
afterAll(async () => browser?.close());

interface AppRegistration {
  readonly tenant: ScimTenant;
  readonly clientId: string;
  readonly clientSecret: string;
}

describe.each(STORE_KINDS)('passkeys in chromium (%s)', (kind) => {
  let t: TestApp;
  let publicUrl: string;
  let dns: TestDnsServer;
  let smtp: SmtpCapture;
  const txt = new Map<string, string[][]>();
  /** The app's redirect URI: a real listener on loopback (a route handler would not see the 303's target). */
  let appServer: Server;
  let APP_CALLBACK: string;
  let a: AppRegistration;
  let b: AppRegistration;
  let context: BrowserContext;
  let page: Page;
  let authenticator: VirtualAuthenticator;
  let scimId: string;
  /** The form body of the first successful passkey sign-in, for the replay. */
  let signedInBody: string | undefined;

  /** A tenant in SCIM-alone mode (the SCIM token names an Entra provider that signs nobody in) with an app. */
  async function tenantWithApp(name: string): Promise<AppRegistration> {
    const tenant = await scimTenant(t.app, name);
    const mode = await call(t.app, 'PATCH', '/iam/v1/settings', {
      token: tenant.adminToken,
      body: { scimAloneMode: true },
    });
    expect(mode.statusCode, mode.body).toBe(200);
    const created = await call(t.app, 'POST', '/iam/v1/clients', {
      token: tenant.adminToken,
      body: { client_name: `${name} app`, type: 'confidential', redirect_uris: [APP_CALLBACK] },
    });
    expect(created.statusCode, created.body).toBe(201);
    return { tenant, clientId: created.json().client_id, clientSecret: created.json().client_secret };
  }

  beforeAll(async () => {
    dns = await startDnsServer(
      () => [],
      (name) => txt.get(name) ?? [],
    );
    smtp = await startSmtpCapture();
    appServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('app'));
    await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
    APP_CALLBACK = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}/app/callback`;
    const port = await freePort();
    publicUrl = `http://localhost:${port}`;
    t = await startTestApp(kind, {
      ROSTER_PUBLIC_URL: publicUrl,
      ROSTER_DNS_SERVERS: dns.address,
      ROSTER_SMTP_URL: smtp.url,
      ROSTER_SMTP_FROM: 'Roster <id@roster.test>',
      ROSTER_SIGNIN_BURST_ADDRESS: '1000000',
      ROSTER_SIGNIN_BURST_TENANT: '1000000',
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    a = await tenantWithApp('Contoso');
    b = await tenantWithApp('Fabrikam');
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    authenticator = await addVirtualAuthenticator(context, page);
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await t?.dispose();
    await dns?.close();
    appServer?.close();
    await smtp?.close();
  });

  /** The app's side: discovery on the tenant's issuer and an authorization request with state, nonce and PKCE. */
  async function beginSignIn(app: AppRegistration) {
    const issuer = new URL(`${publicUrl}/${app.tenant.tenantId}`);
    const config = await oidc.discovery(issuer, app.clientId, app.clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const checks = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: APP_CALLBACK,
      scope: 'openid',
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      // Each sign-in asks for a fresh login: the first one leaves an OP session in this browser.
      prompt: 'login',
    });
    return { config, checks, url };
  }

  /** Opens the app's sign-in, lands on the Roster ID page and presses "Sign in with a passkey". */
  async function pressPasskey(app: AppRegistration): Promise<Awaited<ReturnType<typeof beginSignIn>>> {
    const flow = await beginSignIn(app);
    await page.goto(flow.url.href);
    await page.waitForURL(/\/signin\/[^/]+\/local$/);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    return flow;
  }

  async function audit(tenant: ScimTenant, action: string): Promise<Record<string, unknown>[]> {
    const res = await call(t.app, 'GET', '/iam/v1/audit-events?limit=200', { token: tenant.adminToken });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().items as { action: string; data: Record<string, unknown> }[])
      .filter((e) => e.action === action)
      .map((e) => e.data);
  }

  it('SCIM-alone: SCIM creates the user, the activation enrols a passkey, the app gets sub = the SCIM id', async () => {
    const created = await scim(
      t.app,
      a.tenant,
      'POST',
      `${a.tenant.base}/Users`,
      entraUser('ada@contoso.example', 'e-ada'),
    );
    expect(created.statusCode, created.body).toBe(201);
    scimId = created.json().id;

    // The activation mail, caught by the SMTP server on loopback; its link opens a page with one button.
    const mail = await smtp.waitFor('ada@contoso.example');
    const link = /(http:\/\/\S+\/signin\/activate\/\S+)/.exec(mail.text)?.[1];
    expect(link, mail.text).toBeTruthy();
    await page.goto(link!);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/signin\/enrol$/);
    await page.getByRole('link', { name: 'Create a passkey instead' }).click();
    await page.waitForURL(/\/signin\/passkey\/register$/);

    await page.getByLabel('Name for this passkey (optional)').fill('Work laptop');
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Your passkey is ready');
    const held = await authenticator.credentials();
    expect(held).toHaveLength(1);
    expect(held[0]?.isResidentCredential).toBe(true);
    expect(held[0]?.rpId).toBe('localhost');
    expect(await audit(a.tenant, 'passkey.registered')).toHaveLength(1);

    // The sign-in: usernameless, from the app's authorization request to its callback.
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/passkey/verify'))
        signedInBody ??= request.postData() ?? '';
    });
    const flow = await pressPasskey(a);
    await page.waitForURL((url) => url.href.startsWith(APP_CALLBACK));
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(page.url()), {
      expectedState: flow.checks.state,
      expectedNonce: flow.checks.nonce,
      pkceCodeVerifier: flow.checks.verifier,
    });
    const jwks = createRemoteJWKSet(new URL(`${publicUrl}/${a.tenant.tenantId}/oidc/jwks`));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, {
      issuer: `${publicUrl}/${a.tenant.tenantId}`,
      audience: a.clientId,
    });
    expect(payload.sub).toBe(scimId);
    expect(await audit(a.tenant, 'passkey.signed_in')).toEqual([expect.objectContaining({ amr: ['hwk', 'user'] })]);
  }, 60_000);

  it('refuses the same assertion posted again: its challenge is spent', async () => {
    expect(signedInBody).toBeTruthy();
    const flow = await beginSignIn(a);
    await page.goto(flow.url.href);
    await page.waitForURL(/\/signin\/[^/]+\/local$/);
    // The first sign-in's assertion, posted to this new interaction from its own page (same origin, same cookies,
    // this page's CSRF token): everything is genuine except that the challenge it signed was spent.
    const uid = /\/signin\/([^/]+)\/local$/.exec(page.url())![1]!;
    const csrf = await page.locator('form[data-passkey] input[name="csrf"]').inputValue();
    const replayed = new URLSearchParams(signedInBody!);
    replayed.set('csrf', csrf);
    const status = await page.evaluate(
      async ({ url, body }) =>
        (await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }))
          .status,
      { url: `/${a.tenant.tenantId}/signin/${uid}/passkey/verify`, body: replayed.toString() },
    );
    expect(status).toBe(403);
    expect(await audit(a.tenant, 'passkey.signin_refused')).toEqual([
      expect.objectContaining({ reason: 'challenge_invalid' }),
    ]);
  }, 60_000);

  it("refuses tenant A's passkey in tenant B although the rpID is the same", async () => {
    await pressPasskey(b);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Passkey not accepted');
    expect(await audit(b.tenant, 'passkey.signin_refused')).toEqual([
      expect.objectContaining({ reason: 'credential_unknown' }),
    ]);
    expect(await audit(b.tenant, 'passkey.signed_in')).toEqual([]);
  }, 60_000);

  it('refuses a passkey when SSO is required for the verified domain', async () => {
    const claimed = await call(t.app, 'POST', '/iam/v1/domains', {
      token: a.tenant.adminToken,
      body: { domain: 'contoso.example' },
    });
    expect(claimed.statusCode, claimed.body).toBe(201);
    const { id, verification } = claimed.json();
    txt.set(verification.name, [[verification.value]]);
    const verified = await call(t.app, 'POST', `/iam/v1/domains/${id}/verify`, { token: a.tenant.adminToken });
    expect(verified.json().status).toBe('verified');
    const policy = await call(t.app, 'PATCH', '/iam/v1/settings', {
      token: a.tenant.adminToken,
      body: { domainPolicy: { ssoRequiredForVerifiedDomains: true } },
    });
    expect(policy.statusCode, policy.body).toBe(200);

    await pressPasskey(a);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Passkey not accepted');
    expect(await page.getByText('Your organisation requires you to sign in with its single sign-on.').count()).toBe(1);
    expect(await audit(a.tenant, 'passkey.signin_refused')).toContainEqual(
      expect.objectContaining({ reason: 'sso_required' }),
    );
    expect(await audit(a.tenant, 'passkey.signed_in')).toHaveLength(1);
  }, 60_000);
  it('refuses a cloned authenticator whose counter is behind the stored one', async () => {
    // The same key pair put back with an older signature counter: what a copy made earlier would present.
    const { session, authenticatorId } = authenticator;
    const { credentials } = await session.send('WebAuthn.getCredentials', { authenticatorId });
    const original = credentials[0]!;
    expect(original.signCount).toBeGreaterThan(1);
    await session.send('WebAuthn.removeCredential', { authenticatorId, credentialId: original.credentialId });
    await session.send('WebAuthn.addCredential', { authenticatorId, credential: { ...original, signCount: 1 } });
    const policy = await call(t.app, 'PATCH', '/iam/v1/settings', {
      token: a.tenant.adminToken,
      body: { domainPolicy: { ssoRequiredForVerifiedDomains: false } },
    });
    expect(policy.statusCode, policy.body).toBe(200);

    await pressPasskey(a);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Passkey not accepted');
    expect(await audit(a.tenant, 'passkey.signin_refused')).toContainEqual(
      expect.objectContaining({ reason: 'clone_suspected' }),
    );
    expect(await audit(a.tenant, 'passkey.signed_in')).toHaveLength(1);
  }, 60_000);
});
