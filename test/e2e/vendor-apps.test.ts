// Issue 13 item 6 (ADR 0044): a vendor-wide app, registered once by the operator, signs in users of two tenants
// through each tenant's own issuer, and nothing of tenant A (code, refresh token, access token, session cookie) is
// ever redeemed as tenant B. One Roster, two stand-in Entra IDs (one per tenant), per store.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resealSecrets } from '../../src/core/keys/rotation.ts';
import { operatorClientSecretContext } from '../../src/core/signin/operator-clients.ts';
import { decryptSecret, generateKeyText, parseKeyring, sealedKeyId } from '../../src/lib/keyring.ts';
import { call, OPERATOR_TOKEN } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { type FakeEntra, startFakeEntra } from '../support/fake-entra.ts';
import { entraUser, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import {
  APP_REDIRECT,
  type AppSignIn,
  atApp,
  beginAppSignIn,
  completeAppSignIn,
  type RegisteredApp,
  type SignInRig,
  startSignInRig,
} from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('vendor-wide apps (%s)', (kind) => {
  let rig: SignInRig;
  let tenantB: ScimTenant;
  let entraB: FakeEntra;
  let vendorApp: RegisteredApp;

  const operator = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    call(rig.t.app, method, url, { token: OPERATOR_TOKEN, ...(body === undefined ? {} : { body }) });
  const tenantA = () => rig.tenant;
  const at = (tenant: ScimTenant) => ({ publicUrl: rig.publicUrl, tenant, app: vendorApp });

  async function registerVendorApp(name: string): Promise<RegisteredApp> {
    const res = await operator('POST', '/iam/v1/operator/clients', {
      client_name: name,
      type: 'confidential',
      redirect_uris: [APP_REDIRECT],
    });
    expect(res.statusCode).toBe(201);
    return { clientId: res.json().client_id, clientSecret: res.json().client_secret, redirectUri: APP_REDIRECT };
  }

  async function provision(tenant: ScimTenant, userName: string, oid: string): Promise<string> {
    const res = await scim(rig.t.app, tenant, 'POST', `${tenant.base}/Users`, entraUser(userName, oid));
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  }

  /** A SCIM-provisioned person of the tenant, signed in at its Entra ID. */
  async function person(tenant: ScimTenant, entra: FakeEntra, userName: string): Promise<string> {
    const oid = randomUUID();
    const subject = await provision(tenant, userName, oid);
    entra.signInAs({ oid, upn: userName });
    return subject;
  }

  /** Runs the browser to the app's callback (no redemption): the code, the checks and the browser's cookies. */
  async function toCallback(tenant: ScimTenant, extra: Record<string, string> = {}, browser = new Browser()) {
    const sign = await beginAppSignIn(at(tenant), extra, browser);
    const result = await browser.follow(sign.authorizationUrl, atApp);
    expect(result.stopped).toBe(true);
    return { sign, callback: result.url };
  }

  /** A token request sent as the app would, to the given tenant's token endpoint (no client-side iss check). */
  async function tokenRequest(tenant: ScimTenant, params: Record<string, string>) {
    const basic = Buffer.from(`${vendorApp.clientId}:${vendorApp.clientSecret}`).toString('base64');
    const res = await fetch(`${rig.publicUrl}/${tenant.tenantId}/oidc/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  const codeGrant = (tenant: ScimTenant, sign: AppSignIn, callback: URL) =>
    tokenRequest(tenant, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: APP_REDIRECT,
      code_verifier: sign.checks.codeVerifier,
    });

  const userinfo = (tenant: ScimTenant, accessToken: string) =>
    fetch(`${rig.publicUrl}/${tenant.tenantId}/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });

  beforeAll(async () => {
    rig = await startSignInRig(kind, {}, false, { ROSTER_SIGNIN_INITIATE_LOGIN_URI: 'http://127.0.0.1:9/app/login' });
    tenantB = await scimTenant(rig.t.app, 'Fabrikam');
    entraB = await startFakeEntra({
      clientId: 'entra-app-id',
      clientSecret: 'entra-app-secret-value',
      redirectUri: `${rig.publicUrl}/${tenantB.tenantId}/signin/callback`,
    });
    const body = rig.providerBody({ properties: { authority: entraB.authority } });
    const put = await call(rig.t.app, 'PUT', '/iam/v1/sso/entra', {
      token: tenantB.adminToken,
      body: { scheme: 'entra', ...body },
    });
    expect(put.statusCode).toBe(200);
    vendorApp = await registerVendorApp('Vendor-wide app');
  });
  afterAll(async () => {
    await entraB?.close();
    await rig?.dispose();
  });

  it('only the operator registers vendor-wide apps; a tenant admin token is refused with 403', async () => {
    for (const [method, url] of [
      ['POST', '/iam/v1/operator/clients'],
      ['GET', '/iam/v1/operator/clients'],
      ['GET', `/iam/v1/operator/clients/${vendorApp.clientId}`],
      ['DELETE', `/iam/v1/operator/clients/${vendorApp.clientId}`],
      ['GET', '/iam/v1/operator/audit-events'],
    ] as const) {
      const res = await call(rig.t.app, method, url, {
        token: tenantA().adminToken,
        ...(method === 'POST' ? { body: { client_name: 'x', type: 'public', redirect_uris: [APP_REDIRECT] } } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const listed = await operator('GET', '/iam/v1/operator/clients');
    expect(listed.json().items.map((c: { client_id: string }) => c.client_id)).toContain(vendorApp.clientId);
    const one = (await operator('GET', `/iam/v1/operator/clients/${vendorApp.clientId}`)).json();
    expect(one).toMatchObject({ client_name: 'Vendor-wide app', type: 'confidential', redirect_uris: [APP_REDIRECT] });
    expect(one.issuer).toBe(`${rig.publicUrl}/{tenant_id}`);
    expect(one.client_secret).toBeUndefined();
    // A tenant's own app list is its own: the vendor-wide app is not one of them, nor can its admin change it.
    const own = await call(rig.t.app, 'GET', '/iam/v1/clients', { token: tenantA().adminToken });
    expect(own.json().items.map((c: { client_id: string }) => c.client_id)).not.toContain(vendorApp.clientId);
    const foreign = await call(rig.t.app, 'DELETE', `/iam/v1/clients/${vendorApp.clientId}`, {
      token: tenantA().adminToken,
    });
    expect(foreign.statusCode).toBe(404);
    // The same validation as a tenant's apps.
    const bad = await operator('POST', '/iam/v1/operator/clients', {
      client_name: 'Bad',
      type: 'confidential',
      redirect_uris: ['http://app.example.com/cb'],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation.failed');
  });

  it('signs in users of two tenants, each with their own SCIM id as sub and their tenant_id', async () => {
    const alice = await person(tenantA(), rig.entra, 'alice@contoso.com');
    const a = await completeAppSignIn(await beginAppSignIn(at(tenantA())), at(tenantA()));
    expect(a.claims).toMatchObject({ sub: alice, tenant_id: tenantA().tenantId, aud: vendorApp.clientId });
    expect(a.claims.iss).toBe(`${rig.publicUrl}/${tenantA().tenantId}`);

    // Tenant B chosen by the `tenant` parameter at the vendor entry, which forwards to B's issuer.
    const bob = await person(tenantB, entraB, 'bob@fabrikam.com');
    const sign = await beginAppSignIn(at(tenantB));
    const entry = new URL(`${rig.publicUrl}/oidc/auth${sign.authorizationUrl.search}`);
    entry.searchParams.set('tenant', tenantB.tenantId);
    const b = await completeAppSignIn({ ...sign, authorizationUrl: entry }, at(tenantB));
    expect(b.claims).toMatchObject({ sub: bob, tenant_id: tenantB.tenantId, aud: vendorApp.clientId });
    expect(b.claims.iss).toBe(`${rig.publicUrl}/${tenantB.tenantId}`);
  });

  it('the vendor entry sends a request naming no tenant to home-realm discovery, refuses a malformed one, and an issuer refuses a tenant parameter naming another', async () => {
    const none = await fetch(`${rig.publicUrl}/oidc/auth?client_id=${vendorApp.clientId}`, { redirect: 'manual' });
    expect(none.status).toBe(303);
    expect(none.headers.get('location')).toBe('/signin');
    const page = await fetch(new URL('/signin', rig.publicUrl));
    expect(page.status).toBe(200);
    for (const query of ['tenant=not-a-tenant&client_id=x', `tenant=${tenantB.tenantId}&tenant=x`, 'tenant=']) {
      const res = await fetch(`${rig.publicUrl}/oidc/auth?${query}`, { redirect: 'manual' });
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toContain('text/html');
    }
    await person(tenantA(), rig.entra, 'mallory@contoso.com');
    const { callback } = await toCallback(tenantA(), { tenant: tenantB.tenantId });
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it("A's code is refused at B's token endpoint, and stays good at A's", async () => {
    await person(tenantA(), rig.entra, 'carol@contoso.com');
    const { sign, callback } = await toCallback(tenantA());
    const atB = await codeGrant(tenantB, sign, callback);
    expect(atB.status).toBe(400);
    expect(atB.body.error).toBe('invalid_grant');
    const atA = await codeGrant(tenantA(), sign, callback);
    expect(atA.status).toBe(200);
    expect(atA.body.id_token).toBeDefined();
  });

  it("A's refresh token is refused at B, and A's access token at B's userinfo", async () => {
    const dave = await person(tenantA(), rig.entra, 'dave@contoso.com');
    const { sign, callback } = await toCallback(tenantA(), { scope: 'openid offline_access', prompt: 'consent' });
    const tokens = await codeGrant(tenantA(), sign, callback);
    expect(tokens.body.refresh_token).toBeDefined();

    const refreshAtB = await tokenRequest(tenantB, {
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token!,
    });
    expect(refreshAtB.status).toBe(400);
    expect(refreshAtB.body.error).toBe('invalid_grant');
    const infoAtB = await userinfo(tenantB, tokens.body.access_token!);
    expect(infoAtB.status).toBe(401);
    expect(infoAtB.headers.get('www-authenticate')).toContain('invalid_token');

    // Both are good where they were issued.
    const infoAtA = await userinfo(tenantA(), tokens.body.access_token!);
    expect(infoAtA.status).toBe(200);
    expect(await infoAtA.json()).toMatchObject({ sub: dave, tenant_id: tenantA().tenantId });
    const refreshAtA = await tokenRequest(tenantA(), {
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token!,
    });
    expect(refreshAtA.status).toBe(200);
  });

  it("A's session cookie does not sign anyone in at B's authorization endpoint", async () => {
    await person(tenantA(), rig.entra, 'erin@contoso.com');
    const browser = new Browser();
    await toCallback(tenantA(), {}, browser);
    // The browser now holds A's session; it silently signs in again at A.
    const silentA = await toCallback(tenantA(), { prompt: 'none' }, browser);
    expect(silentA.callback.searchParams.get('code')).not.toBeNull();

    // Replay every cookie the browser holds for A, as if scoped to B (the cookie path would never send them there).
    const cookies = browser.jar.header(new URL(`${rig.publicUrl}/${tenantA().tenantId}/oidc/auth`));
    expect(cookies).toContain('roster_session=');
    const sign = await beginAppSignIn(at(tenantB), { prompt: 'none' });
    const res = await fetch(sign.authorizationUrl, { redirect: 'manual', headers: { cookie: cookies } });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect(back.href.startsWith(APP_REDIRECT)).toBe(true);
    expect(back.searchParams.get('error')).toBe('login_required');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('deleting the vendor-wide app revokes it at once in every tenant, and the operator audit trail records it', async () => {
    const doomed = await registerVendorApp('Short-lived app');
    const app = vendorApp;
    vendorApp = doomed;
    try {
      await person(tenantA(), rig.entra, 'frank@contoso.com');
      const { sign, callback } = await toCallback(tenantA(), { scope: 'openid offline_access', prompt: 'consent' });
      const tokens = await codeGrant(tenantA(), sign, callback);
      expect(tokens.status).toBe(200);
      await person(tenantB, entraB, 'grace@fabrikam.com');
      const pendingB = await toCallback(tenantB);

      expect((await operator('DELETE', `/iam/v1/operator/clients/${doomed.clientId}`)).statusCode).toBe(204);

      expect((await userinfo(tenantA(), tokens.body.access_token!)).status).toBe(401);
      const refresh = await tokenRequest(tenantA(), {
        grant_type: 'refresh_token',
        refresh_token: tokens.body.refresh_token!,
      });
      expect(refresh.body.error).toBe('invalid_client');
      expect((await codeGrant(tenantB, pendingB.sign, pendingB.callback)).body.error).toBe('invalid_client');
      // A new sign-in cannot start: the app is unknown to every issuer.
      const fresh = await fetch(sign.authorizationUrl, { redirect: 'manual' });
      expect(fresh.status).toBe(400);
      expect(await fresh.text()).toContain('invalid_client');
      expect((await operator('GET', `/iam/v1/operator/clients/${doomed.clientId}`)).statusCode).toBe(404);

      const audit = (await operator('GET', '/iam/v1/operator/audit-events')).json().items as {
        action: string;
        target: string;
        actor: string;
      }[];
      const mine = audit.filter((e) => e.target === doomed.clientId).map((e) => e.action);
      expect(mine).toEqual(['operator_client.deleted', 'operator_client.created']);
    } finally {
      vendorApp = app;
    }
  });

  it('the secret is shown once, rotates (the old one stops at once), and is sealed at rest', async () => {
    const rotated = await operator('POST', `/iam/v1/operator/clients/${vendorApp.clientId}/secret`);
    expect(rotated.statusCode).toBe(200);
    const old = vendorApp;
    vendorApp = { ...old, clientSecret: rotated.json().client_secret };
    const stale = await tokenRequest(tenantA(), { grant_type: 'refresh_token', refresh_token: 'x' });
    expect(stale.body.error).toBe('invalid_grant');
    vendorApp = old;
    const refused = await tokenRequest(tenantA(), { grant_type: 'refresh_token', refresh_token: 'x' });
    expect(refused.body.error).toBe('invalid_client');
    vendorApp = { ...old, clientSecret: rotated.json().client_secret };
    const rows = await rig.t.db.store.db.selectFrom('operator_oidc_clients').select('secret_sealed').execute();
    const text = JSON.stringify(rows);
    expect(text).not.toContain(vendorApp.clientSecret);
    expect(text).not.toContain(old.clientSecret);
  });

  it("key rotation re-seals the vendor-wide app's secret under the new key, and back, and it still authenticates", async () => {
    const k1 = rig.t.secretKey;
    const k2 = generateKeyText('k2');
    const keys = rig.t.db.store.keys;
    const sealedOf = async () =>
      (await keys.sealedValues()).find(
        (v) => v.kind === 'operator_app_client_secret' && v.rowId === vendorApp.clientId,
      )!.sealed;
    expect(sealedKeyId(await sealedOf())).toBe('k1');
    const toK2 = parseKeyring(`${k2},${k1}`);
    expect((await resealSecrets({ keys, keyring: toK2 })).unreadable).toEqual([]);
    const underK2 = await sealedOf();
    expect(sealedKeyId(underK2)).toBe('k2');
    expect(decryptSecret(toK2, underK2, operatorClientSecretContext(vendorApp.clientId))).toBe(vendorApp.clientSecret);
    await resealSecrets({ keys, keyring: parseKeyring(`${k1},${k2}`) });
    expect(sealedKeyId(await sealedOf())).toBe('k1');
    const authenticated = await tokenRequest(tenantA(), { grant_type: 'refresh_token', refresh_token: 'x' });
    expect(authenticated.body.error).toBe('invalid_grant');
  });
});
