// The console's session and request security, over HTTP on both stores: cookie flags, sign-in with an admin token,
// no session fixation, CSRF (synchronizer token and Origin), idle and absolute timeouts, logout, strict CSP,
// escaping, and tenant isolation (a session of tenant A reads and changes nothing of tenant B).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.ts';
import { type ScimTenant, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const ORIGIN = 'https://roster.test';
const COOKIE = '__Host-roster-console';

function cookieOf(res: LightMyRequestResponse): string {
  const line = String(res.headers['set-cookie'] ?? '');
  const match = new RegExp(`^${COOKIE}=([^;]*)`).exec(line);
  if (!match) throw new Error(`no session cookie in ${line}`);
  return match[1]!;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

async function signIn(app: FastifyInstance, token: string, planted?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/console/login',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: ORIGIN,
      ...(planted ? { cookie: `${COOKIE}=${planted}` } : {}),
    },
    payload: form({ token }),
  });
}

function get(app: FastifyInstance, url: string, cookie: string) {
  return app.inject({ method: 'GET', url, headers: { cookie: `${COOKIE}=${cookie}` } });
}

function post(app: FastifyInstance, url: string, cookie: string, fields: Record<string, string>, origin = ORIGIN) {
  return app.inject({
    method: 'POST',
    url,
    headers: { cookie: `${COOKIE}=${cookie}`, 'content-type': 'application/x-www-form-urlencoded', origin },
    payload: form(fields),
  });
}

const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

describe.each(STORE_KINDS)('console sessions (%s)', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let b: ScimTenant;
  let dns: TestDnsServer;
  /** TXT records by name, as a tenant publishes them (the Domains page verifies against this loopback server). */
  const txt = new Map<string, string[][]>();
  beforeAll(async () => {
    dns = await startDnsServer(
      () => [],
      (name) => txt.get(name) ?? [],
    );
    t = await startTestApp(kind, { ROSTER_DNS_SERVERS: dns.address });
    a = await scimTenant(t.app, 'Contoso');
    b = await scimTenant(t.app, 'Fabrikam <b>&</b>');
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
    await dns?.close();
  });

  it('sets a __Host- cookie that is HttpOnly, Secure and SameSite=Strict, and never stores the token', async () => {
    const res = await signIn(t.app, a.adminToken);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console');
    const line = String(res.headers['set-cookie']);
    expect(line).toMatch(/^__Host-roster-console=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; /);
    expect(line).toContain('; Path=/');
    expect(line).toContain('; HttpOnly');
    expect(line).toContain('; Secure');
    expect(line).toContain('; SameSite=Strict');
    expect(line).not.toContain('Domain=');
    expect(line).not.toContain(a.adminToken);
    const rows = await t.db.store.db.selectFrom('console_sessions').selectAll().execute();
    const cookie = cookieOf(res);
    for (const row of rows) expect(JSON.stringify(row)).not.toContain(cookie.split('.')[1]);
  });

  it('refuses a wrong token with the form again, and a token of another kind', async () => {
    const wrong = await signIn(t.app, 'adm_not-a-token');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(wrong.body).toContain('not a valid admin token');
    const scimToken = await signIn(t.app, a.scimToken);
    expect(scimToken.statusCode).toBe(401);
    expect(scimToken.headers['set-cookie']).toBeUndefined();
  });

  it('gives a fresh session id at sign-in and ends the one presented (no fixation)', async () => {
    // The attacker's own valid session, planted in the victim's browser before the victim signs in.
    const planted = cookieOf(await signIn(t.app, b.adminToken));
    const res = await signIn(t.app, a.adminToken, planted);
    const fresh = cookieOf(res);
    expect(fresh).not.toBe(planted);
    expect((await get(t.app, '/console', planted)).statusCode).toBe(303);
    const page = await get(t.app, '/console', fresh);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Contoso');
  });

  it('refuses a state change without the session synchronizer token, or from another origin', async () => {
    const cookie = cookieOf(await signIn(t.app, a.adminToken));
    const page = await get(t.app, '/console/scim-tokens', cookie);
    const csrf = csrfOf(page.body);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const body = { provider: 'entra', providerDisplayName: 'csrf test' };
    const missing = await post(t.app, '/console/scim-tokens', cookie, body);
    expect(missing.statusCode).toBe(403);
    expect(missing.body).toContain('did not come from a page of this console');
    const wrong = await post(t.app, '/console/scim-tokens', cookie, { ...body, _csrf: `${csrf.slice(0, -1)}x` });
    expect(wrong.statusCode).toBe(403);
    const crossSite = await post(t.app, '/console/scim-tokens', cookie, { ...body, _csrf: csrf }, 'https://evil.test');
    expect(crossSite.statusCode).toBe(403);
    const login = await t.app.inject({
      method: 'POST',
      url: '/console/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.test' },
      payload: form({ token: a.adminToken }),
    });
    expect(login.statusCode).toBe(403);
    expect(login.headers['set-cookie']).toBeUndefined();
    const tokens = await call(t.app, 'GET', '/iam/v1/scim', { token: a.adminToken });
    expect(tokens.json().items.map((x: { providerDisplayName: string }) => x.providerDisplayName)).not.toContain(
      'csrf test',
    );
    const ok = await post(t.app, '/console/scim-tokens', cookie, { ...body, _csrf: csrf });
    expect(ok.statusCode).toBe(201);
    expect(ok.body).toContain('will not be shown again');
  });

  it('ends a session after the idle timeout and after the absolute timeout, and at logout', async () => {
    const idle = cookieOf(await signIn(t.app, a.adminToken));
    t.clock.advance(29 * 60_000);
    expect((await get(t.app, '/console', idle)).statusCode).toBe(200);
    t.clock.advance(29 * 60_000);
    expect((await get(t.app, '/console', idle)).statusCode).toBe(200);
    t.clock.advance(31 * 60_000);
    const ended = await get(t.app, '/console', idle);
    expect(ended.statusCode).toBe(303);
    expect(ended.headers.location).toBe('/console/login');

    const busy = cookieOf(await signIn(t.app, a.adminToken));
    for (let h = 0; h < 12 * 4 - 1; h++) {
      t.clock.advance(15 * 60_000);
      expect((await get(t.app, '/console', busy)).statusCode).toBe(200);
    }
    t.clock.advance(15 * 60_000);
    expect((await get(t.app, '/console', busy)).statusCode).toBe(303);

    const cookie = cookieOf(await signIn(t.app, a.adminToken));
    const csrf = csrfOf((await get(t.app, '/console', cookie)).body);
    const out = await post(t.app, '/console/logout', cookie, { _csrf: csrf });
    expect(out.statusCode).toBe(200);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await get(t.app, '/console', cookie)).statusCode).toBe(303);
  });

  it('sends the strict CSP and escapes stored text', async () => {
    const cookie = cookieOf(await signIn(t.app, b.adminToken));
    const page = await get(t.app, '/console/sso', cookie);
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    );
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('Fabrikam &lt;b&gt;&amp;&lt;/b&gt;');
    expect(page.body).not.toContain('<b>&</b>');
    expect(page.body).not.toMatch(/<script>|<style>|style="|onclick=/);
  });

  it('keeps a session of tenant A out of everything of tenant B', async () => {
    const cookie = cookieOf(await signIn(t.app, a.adminToken));
    const csrf = csrfOf((await get(t.app, '/console', cookie)).body);
    const bUser = await call(t.app, 'POST', `${b.base}/Users`, {
      token: b.scimToken,
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'only-b@fabrikam.test' },
      headers: { 'content-type': 'application/scim+json' },
    });
    expect(bUser.statusCode).toBe(201);
    const bUserId = bUser.json().id;
    expect((await get(t.app, `/console/users/${bUserId}`, cookie)).statusCode).toBe(404);
    expect((await get(t.app, '/console/users', cookie)).body).not.toContain('only-b@fabrikam.test');
    expect((await get(t.app, '/console/logs', cookie)).body).not.toContain(bUserId);
    const revoke = await post(t.app, `/console/scim-tokens/${b.scimTokenId}/revoke`, cookie, { _csrf: csrf });
    expect(revoke.statusCode).toBe(404);
    const still = await call(t.app, 'GET', '/iam/v1/scim', { token: b.adminToken });
    expect(still.json().items.map((x: { id: string }) => x.id)).toContain(b.scimTokenId);
    const edit = await post(t.app, '/console/sso/entra', cookie, {
      _csrf: csrf,
      displayName: 'hijacked',
      'properties.clientId': 'x',
      'properties.authority': 'https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0',
      'properties.scope': 'openid',
    });
    // Tenant A has its own "entra" provider: the edit reaches A's, never B's.
    expect(edit.statusCode).toBe(303);
    const bProvider = await call(t.app, 'GET', '/iam/v1/sso/entra', { token: b.adminToken });
    expect(bProvider.json().displayName).not.toBe('hijacked');
  });

  it('registers a generic OpenID Connect provider from its form, refuses an email claim, and lists it', async () => {
    const cookie = cookieOf(await signIn(t.app, a.adminToken));
    const page = await get(t.app, '/console/sso/new-oidc', cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="properties.issuer"');
    expect(page.body).not.toContain('name="properties.authority"');
    const fields = {
      _csrf: csrfOf(page.body),
      scheme: 'okta',
      displayName: 'Contoso Okta',
      enabled: 'on',
      'properties.loginEnabled': 'on',
      'properties.clientId': '0oa-console',
      'properties.clientSecret': 'okta-console-secret',
      'properties.usePkce': 'on',
      'properties.issuer': 'https://contoso.okta.example',
      'properties.scope': 'openid profile email',
      'properties.responseType': 'code',
    };
    const refused = await post(t.app, '/console/sso/new-oidc', cookie, {
      ...fields,
      'properties.userNameClaim': 'email',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('aria-invalid="true"');
    expect(refused.body).toContain('nOAuth');
    const created = await post(t.app, '/console/sso/new-oidc', cookie, fields);
    expect(created.statusCode, created.body).toBe(303);
    expect(created.headers.location).toBe('/console/sso/okta?saved=created');
    const shown = await call(t.app, 'GET', '/iam/v1/sso/okta', { token: a.adminToken });
    expect(shown.json()).toMatchObject({
      kind: 'oidc',
      properties: { issuer: 'https://contoso.okta.example', subjectClaim: 'sub', clientSecretSet: true },
    });
    const list = await get(t.app, '/console/sso', cookie);
    expect(list.body).toContain('OpenID Connect');
    expect(list.body).toContain('https://contoso.okta.example');
    const edit = await get(t.app, '/console/sso/okta', cookie);
    expect(edit.body).toContain('value="https://contoso.okta.example"');
    expect(edit.body).toContain('name="properties.subjectClaim"');
    expect(edit.body).toContain('I have registered this redirect URI in your identity provider');
  });

  it('the Domains page claims, shows the TXT record, verifies, saves the policy and removes, all with CSRF', async () => {
    const cookie = cookieOf(await signIn(t.app, a.adminToken));
    let page = await get(t.app, '/console/domains', cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('aria-current="page">Domains</a>');
    const csrf = csrfOf(page.body);
    // Without the synchronizer token nothing is claimed.
    expect((await post(t.app, '/console/domains', cookie, { domain: 'contoso.test' })).statusCode).toBe(403);
    const bad = await post(t.app, '/console/domains', cookie, { domain: 'not a domain', _csrf: csrf });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('aria-invalid="true"');
    expect(bad.body).toContain('is not a valid domain name');
    expect((await post(t.app, '/console/domains', cookie, { domain: 'Contoso.test', _csrf: csrf })).statusCode).toBe(
      303,
    );

    const [claimed] = (await call(t.app, 'GET', '/iam/v1/domains', { token: a.adminToken })).json().items;
    expect(claimed).toMatchObject({ domain: 'contoso.test', status: 'pending' });
    page = await get(t.app, '/console/domains', cookie);
    expect(page.body).toContain(`value="${claimed.verification.name}"`);
    expect(page.body).toContain(`value="${claimed.verification.value}"`);
    expect(page.body).toContain(`data-copy="txt-value-${claimed.id}"`);

    // Verify before publishing: failed, with the reason in words; after publishing: verified.
    const verify = () => post(t.app, `/console/domains/${claimed.id}/verify`, cookie, { _csrf: csrf });
    expect((await verify()).statusCode).toBe(303);
    expect((await get(t.app, '/console/domains', cookie)).body).toContain('No TXT record was found');
    txt.set(claimed.verification.name, [[claimed.verification.value]]);
    expect((await verify()).statusCode).toBe(303);
    expect((await get(t.app, '/console/domains', cookie)).body).toContain(
      'contoso.test <span class="muted">(verified)',
    );

    // The policy: a ticked box is on, an unticked one off.
    const policy = await post(t.app, '/console/domains/policy', cookie, {
      _csrf: csrf,
      jitRestrictToVerifiedDomains: 'on',
    });
    expect(policy.statusCode).toBe(303);
    const settings = (await call(t.app, 'GET', '/iam/v1/settings', { token: a.adminToken })).json();
    expect(settings.domainPolicy).toEqual({
      scimRestrictToVerifiedDomains: false,
      jitRestrictToVerifiedDomains: true,
      ssoRequiredForVerifiedDomains: false,
    });
    expect((await get(t.app, '/console/domains', cookie)).body).toContain(
      'id="p-jitRestrictToVerifiedDomains" name="jitRestrictToVerifiedDomains" value="on" checked',
    );

    // Remove asks first, then removes.
    const confirm = await get(t.app, `/console/domains/${claimed.id}/remove`, cookie);
    expect(confirm.body).toContain('Remove contoso.test?');
    expect((await post(t.app, `/console/domains/${claimed.id}/remove`, cookie, {})).statusCode).toBe(403);
    expect((await post(t.app, `/console/domains/${claimed.id}/remove`, cookie, { _csrf: csrf })).statusCode).toBe(303);
    expect((await call(t.app, 'GET', '/iam/v1/domains', { token: a.adminToken })).json().items).toEqual([]);
    await post(t.app, '/console/domains/policy', cookie, { _csrf: csrf });
  });

  it('keeps a session of tenant A out of tenant B’s domains', async () => {
    const claim = await call(t.app, 'POST', '/iam/v1/domains', {
      token: b.adminToken,
      body: { domain: 'fabrikam.test' },
    });
    expect(claim.statusCode).toBe(201);
    const bDomain = claim.json().id as string;
    const cookie = cookieOf(await signIn(t.app, a.adminToken));
    const page = await get(t.app, '/console/domains', cookie);
    expect(page.body).not.toContain('fabrikam.test');
    const csrf = csrfOf(page.body);
    expect((await get(t.app, `/console/domains/${bDomain}/remove`, cookie)).statusCode).toBe(404);
    expect((await post(t.app, `/console/domains/${bDomain}/verify`, cookie, { _csrf: csrf })).statusCode).toBe(404);
    expect((await post(t.app, `/console/domains/${bDomain}/remove`, cookie, { _csrf: csrf })).statusCode).toBe(404);
    const still = await call(t.app, 'GET', `/iam/v1/domains/${bDomain}`, { token: b.adminToken });
    expect(still.json().status).toBe('pending');
  });
});
