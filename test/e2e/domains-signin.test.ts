// Issue 13 items 1–2 at sign-in: the JIT domain policy, and home-realm discovery at {ROSTER_PUBLIC_URL}/signin
// routing an email to its tenant's provider (through the app's login initiation, ADR 0031) up to the stand-in
// Entra ID and back with an ID token; unknown and known-without-SSO domains get one identical answer, in about the
// same time. Both stores; browser-free (a cookie-keeping HTTP client).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, OPERATOR_TOKEN } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.ts';
import { entraUser, scim } from '../support/scim.ts';
import { beginAppSignIn, completeAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

const INITIATE = 'http://127.0.0.1:9/app/login';

describe.each(STORE_KINDS)('domains at sign-in (%s)', (kind) => {
  let rig: SignInRig;
  let dns: TestDnsServer;
  const txt = new Map<string, string[][]>();

  beforeAll(async () => {
    dns = await startDnsServer(
      () => [],
      (name) => txt.get(name) ?? [],
    );
    rig = await startSignInRig(kind, {}, false, {
      ROSTER_DNS_SERVERS: dns.address,
      ROSTER_SIGNIN_INITIATE_LOGIN_URI: INITIATE,
    });
  });
  afterAll(async () => {
    await rig?.dispose();
    await dns?.close();
  });

  async function verify(adminToken: string, domain: string, publish = true): Promise<void> {
    const claimed = await call(rig.t.app, 'POST', '/iam/v1/domains', { token: adminToken, body: { domain } });
    expect(claimed.statusCode, claimed.body).toBe(201);
    const { id, verification } = claimed.json();
    if (!publish) return;
    txt.set(verification.name, [[verification.value]]);
    const res = await call(rig.t.app, 'POST', `/iam/v1/domains/${id}/verify`, { token: adminToken });
    expect(res.json().status).toBe('verified');
  }

  const policy = (domainPolicy: Record<string, boolean>) =>
    call(rig.t.app, 'PATCH', '/iam/v1/settings', { token: rig.tenant.adminToken, body: { domainPolicy } });

  /** GET /signin (the CSRF cookie and the form's token), then POST the address as the form would. */
  async function discover(email: string, browser = new Browser()) {
    const form = await browser.get(`${rig.publicUrl}/signin`);
    expect(form.status).toBe(200);
    expect(form.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await form.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    return post(browser, { csrf, email });
  }

  async function post(browser: Browser, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const url = new URL(`${rig.publicUrl}/signin`);
    const cookie = browser.jar.header(url);
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.status, location: res.headers.get('location'), body: await res.text() };
  }

  it('JIT under jitRestrictToVerifiedDomains creates only people of verified domains', async () => {
    const set = await call(rig.t.app, 'PUT', '/iam/v1/sso/entra', {
      token: rig.tenant.adminToken,
      body: { scheme: 'entra', ...rig.providerBody({ properties: { autoProvisioningEnabled: true } }) },
    });
    expect(set.statusCode).toBe(200);
    expect((await policy({ jitRestrictToVerifiedDomains: true })).statusCode).toBe(200);

    rig.entra.signInAs({ oid: randomUUID(), upn: 'new@unverified.test', email: 'new@unverified.test' });
    const sign = await beginAppSignIn(rig);
    const refused = await sign.browser.follow(sign.authorizationUrl, (u) => u.href.startsWith(rig.app.redirectUri));
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('cannot be created automatically');
    const audit = await call(rig.t.app, 'GET', '/iam/v1/audit-events?limit=20', { token: rig.tenant.adminToken });
    expect(
      audit
        .json()
        .items.some(
          (e: { action: string; data: { reason?: string } }) =>
            e.action === 'signin.refused' && e.data.reason === 'domain_not_verified',
        ),
    ).toBe(true);

    await verify(rig.tenant.adminToken, 'jit.test');
    rig.entra.signInAs({ oid: randomUUID(), upn: 'new@jit.test', email: 'new@jit.test' });
    const { claims } = await completeAppSignIn(await beginAppSignIn(rig), rig);
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
    // An email outside the verified domains is refused even with a verified UPN.
    rig.entra.signInAs({ oid: randomUUID(), upn: 'two@jit.test', email: 'two@unverified.test' });
    const again = await beginAppSignIn(rig);
    const second = await again.browser.follow(again.authorizationUrl, (u) => u.href.startsWith(rig.app.redirectUri));
    expect(second.status).toBe(403);
    await policy({ jitRestrictToVerifiedDomains: false });
  });

  it('home-realm discovery routes an email to its tenant and provider, through to the ID token', async () => {
    await verify(rig.tenant.adminToken, 'contoso.test');
    const oid = randomUUID();
    const created = await scim(rig.t.app, rig.tenant, 'POST', `${rig.tenant.base}/Users`, {
      ...entraUser('ann@contoso.test', oid),
    });
    expect(created.statusCode).toBe(201);

    const found = await discover('Ann@CONTOSO.test');
    expect(found.status).toBe(303);
    const initiate = new URL(found.location!);
    expect(`${initiate.origin}${initiate.pathname}`).toBe(INITIATE);
    expect(Object.fromEntries(initiate.searchParams)).toEqual({
      iss: `${rig.publicUrl}/${rig.tenant.tenantId}`,
      login_hint: 'Ann@CONTOSO.test',
      idp_hint: 'entra',
    });

    // The app, told the issuer, starts its authorization request there; Roster sends the browser on to Entra.
    rig.entra.signInAs({ oid, upn: 'ann@contoso.test' });
    const sign = await beginAppSignIn(rig, {
      idp_hint: initiate.searchParams.get('idp_hint')!,
      login_hint: initiate.searchParams.get('login_hint')!,
    });
    const entraOrigin = new URL(rig.entra.authority).origin;
    const toEntra = await sign.browser.follow(sign.authorizationUrl, (u) => u.origin === entraOrigin);
    expect(toEntra.stopped).toBe(true);
    const { claims } = await completeAppSignIn(await beginAppSignIn(rig, { idp_hint: 'entra' }, sign.browser), rig);
    expect(claims.sub).toBe(created.json().id);
  });

  it('answers unknown, unverified and SSO-less domains with one identical page, in about the same time', async () => {
    // Another tenant verifies a domain but has no provider that signs people in.
    const other = await call(rig.t.app, 'POST', '/iam/v1/tenants', { token: OPERATOR_TOKEN, body: { name: 'NoSSO' } });
    await verify(other.json().adminToken, 'nosso.test');
    await verify(rig.tenant.adminToken, 'pending.test', false);

    const browser = new Browser();
    // One browser, so one CSRF token: the pages may differ only by what the answer itself says.
    const answers = [];
    for (const email of ['x@nosso.test', 'x@pending.test', 'x@unknown-domain.test', 'not-an-address', 'x@co.uk']) {
      answers.push(await discover(email, browser));
    }
    for (const a of answers) expect(a.status).toBe(200);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(answers[0]!.body).toContain('No single sign-on is set up for this address');

    // Timing: known (routed to SSO) against unknown addresses, interleaved; the medians must be close. A bound this
    // loose catches a gross difference (one path doing database work the other skips), not noise on a shared box.
    const known: number[] = [];
    const unknown: number[] = [];
    const form = await browser.get(`${rig.publicUrl}/signin`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    for (let i = 0; i < 60; i++) {
      for (const [email, into] of [
        ['a@contoso.test', known],
        [`a@unknown-${i}.test`, unknown],
      ] as const) {
        const started = performance.now();
        const res = await post(browser, { csrf, email });
        into.push(performance.now() - started);
        expect(res.status).toBe(email.endsWith('contoso.test') ? 303 : 200);
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const ratio = median(known) / median(unknown);
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(2.5);
  });

  it('refuses a POST without the CSRF cookie, with a token that does not match, or from another origin', async () => {
    const browser = new Browser();
    await browser.get(`${rig.publicUrl}/signin`);
    expect((await post(new Browser(), { csrf: 'x'.repeat(43), email: 'a@contoso.test' })).status).toBe(403);
    expect((await post(browser, { csrf: 'y'.repeat(43), email: 'a@contoso.test' })).status).toBe(403);
    const page = await browser.get(`${rig.publicUrl}/signin`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const cross = await post(browser, { csrf, email: 'a@contoso.test' }, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    expect((await post(browser, { csrf, email: 'a@contoso.test' })).status).toBe(303);
    // A body that is not a form is refused with the page, not a 500.
    const res = await fetch(`${rig.publicUrl}/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBeLessThan(500);
  });
});
