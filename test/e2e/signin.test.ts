// Issue 4: sign-in through a stand-in Entra ID (a real oidc-provider), brokered by Roster's per-tenant OP, bound to
// SCIM subjects. Each case drives the whole redirect chain with a cookie-keeping client.
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { startFakeEntra } from '../support/fake-entra.ts';
import { entraUser, patch, scim } from '../support/scim.ts';
import {
  APP_REDIRECT,
  atApp,
  beginAppSignIn,
  completeAppSignIn,
  type SignInRig,
  startSignInRig,
} from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

const oid = () => randomUUID();

describe.each(STORE_KINDS)('sign-in (%s)', (kind) => {
  let rig: SignInRig;
  beforeAll(async () => {
    rig = await startSignInRig(kind);
  });
  afterAll(() => rig?.dispose());
  beforeEach(async () => {
    rig.entra.tamper = undefined;
    await setProvider({});
  });

  async function setProvider(properties: Record<string, unknown>, top: Record<string, unknown> = {}) {
    const res = await call(rig.t.app, 'PUT', '/iam/v1/sso/entra', {
      token: rig.tenant.adminToken,
      body: { scheme: 'entra', ...rig.providerBody({ ...top, properties }) },
    });
    expect(res.statusCode).toBe(200);
  }

  async function provision(userName: string, externalId: string, extra: Record<string, unknown> = {}) {
    const res = await scim(
      rig.t.app,
      rig.tenant,
      'POST',
      `${rig.tenant.base}/Users`,
      entraUser(userName, externalId, extra),
    );
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  }

  async function auditActions(): Promise<{ action: string; target: string | null; data: Record<string, unknown> }[]> {
    const res = await call(rig.t.app, 'GET', '/iam/v1/audit-events?limit=200', { token: rig.tenant.adminToken });
    return res.json().items;
  }

  /** Runs a sign-in expected to be refused: the page says why, and the app then gets error=access_denied. */
  async function expectRefused(browser = new Browser()) {
    const sign = await beginAppSignIn(rig, {}, browser);
    const page = await browser.follow(sign.authorizationUrl, atApp);
    expect(page.stopped).toBe(false);
    expect(page.status).toBe(403);
    expect(page.body).toContain('You cannot sign in');
    const abort = /href="([^"]+\/abort)"/.exec(page.body)?.[1];
    expect(abort).toBeDefined();
    const back = await browser.follow(new URL(abort!, rig.publicUrl), atApp);
    expect(back.stopped).toBe(true);
    expect(back.url.searchParams.get('error')).toBe('access_denied');
    return page;
  }

  it('a SCIM-provisioned user signs in (externalId = oid) and the app receives the subject as sub', async () => {
    const id = oid();
    const subject = await provision('adele@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'adele@contoso.com', name: 'Adele Vance', email: 'adele@contoso.com' });
    const { claims, tokens } = await completeAppSignIn(await beginAppSignIn(rig), rig);
    expect(claims.sub).toBe(subject);
    expect(claims).toMatchObject({
      preferred_username: 'adele@contoso.com',
      tenant_id: rig.tenant.tenantId,
      name: 'Barbara Jensen',
      email: 'adele@contoso.com',
    });
    const sign = await beginAppSignIn(rig);
    const info = await oidc.fetchUserInfo(sign.config, tokens.access_token, subject);
    expect(info.sub).toBe(subject);
    const actions = await auditActions();
    expect(actions.find((e) => e.action === 'signin.linked' && e.target === subject)?.data).toMatchObject({
      rule: 'externalId',
      subject: id,
    });
  });

  it('binds by userName = UPN when externalId is not the oid, then only the (tid, oid) binding counts', async () => {
    const id = oid();
    const subject = await provision('bianca@contoso.com', 'bianca-mailnickname');
    rig.entra.signInAs({ oid: id, upn: 'bianca@contoso.com' });
    expect((await completeAppSignIn(await beginAppSignIn(rig), rig)).claims.sub).toBe(subject);
    // Renamed in Entra ID (new UPN): the binding still finds the same subject.
    rig.entra.signInAs({ oid: id, upn: 'bianca.renamed@contoso.com' });
    expect((await completeAppSignIn(await beginAppSignIn(rig), rig)).claims.sub).toBe(subject);
    const actions = await auditActions();
    expect(
      actions.some((e) => e.action === 'signin.linked' && e.data.rule === 'userName' && e.target === subject),
    ).toBe(true);
    expect(actions.some((e) => e.action === 'signin.bound' && e.target === subject)).toBe(true);
  });

  it('a user with the victim’s email but another oid never reaches the victim’s subject', async () => {
    const victimOid = oid();
    const victim = await provision('victim@contoso.com', victimOid);
    rig.entra.signInAs({ oid: victimOid, upn: 'victim@contoso.com' });
    await completeAppSignIn(await beginAppSignIn(rig), rig);
    // Same email, different object: refused without JIT …
    rig.entra.signInAs({ oid: oid(), upn: 'mallory@contoso.com', email: 'victim@contoso.com' });
    await expectRefused();
    // … and with JIT becomes a subject of its own.
    await setProvider({ autoProvisioningEnabled: true });
    const { claims } = await completeAppSignIn(await beginAppSignIn(rig), rig);
    expect(claims.sub).not.toBe(victim);
    expect(claims.preferred_username).toBe('mallory@contoso.com');
    // The victim's UPN presented by another oid (a recycled name) is a conflict, refused and audited.
    rig.entra.signInAs({ oid: oid(), upn: 'victim@contoso.com' });
    await expectRefused();
    const conflict = (await auditActions()).find(
      (e) => e.action === 'signin.refused' && e.data.reason === 'identity_conflict',
    );
    expect(conflict?.target).toBe(victim);
  });

  it('JIT: an unknown user is created at sign-in when autoProvisioningEnabled, refused otherwise', async () => {
    const id = oid();
    rig.entra.signInAs({
      oid: id,
      upn: 'jit@contoso.com',
      name: 'Jit User',
      givenName: 'Jit',
      familyName: 'User',
      email: 'jit@contoso.com',
    });
    await expectRefused();
    expect((await auditActions()).some((e) => e.action === 'signin.refused' && e.data.reason === 'no_subject')).toBe(
      true,
    );
    await setProvider({ autoProvisioningEnabled: true });
    const { claims } = await completeAppSignIn(await beginAppSignIn(rig), rig);
    const found = await scim(
      rig.t.app,
      rig.tenant,
      'GET',
      `${rig.tenant.base}/Users?filter=${encodeURIComponent('userName eq "jit@contoso.com"')}`,
    );
    expect(found.json().totalResults).toBe(1);
    const user = found.json().Resources[0];
    expect(user).toMatchObject({
      id: claims.sub,
      externalId: id,
      active: true,
      name: { givenName: 'Jit', familyName: 'User' },
    });
  });

  /** The tenant's user events since `after` (and the cursor past them); SSO provider changes are left out. */
  async function userEvents(after?: string) {
    const events: { id: string; type: string; data: Record<string, unknown> }[] = [];
    let cursor = after;
    for (;;) {
      const q = `limit=1000&types=user.created,user.signed_in${cursor ? `&after=${cursor}` : ''}`;
      const res = await call(rig.t.app, 'GET', `/iam/v1/events?${q}`, { token: rig.tenant.adminToken });
      expect(res.statusCode, res.body).toBe(200);
      events.push(...res.json().data);
      cursor = res.json().nextCursor;
      if (!res.json().hasMore) return { events, cursor: cursor! };
    }
  }

  it('each sign-in makes exactly one user.signed_in naming the subject, the provider and how it was resolved', async () => {
    let { cursor } = await userEvents();
    const id = oid();
    const subject = await provision('signed.in@contoso.com', id);
    ({ cursor } = await userEvents(cursor));
    rig.entra.signInAs({ oid: id, upn: 'signed.in@contoso.com' });
    await completeAppSignIn(await beginAppSignIn(rig), rig);
    let step = await userEvents(cursor);
    expect(step.events.map((e) => [e.type, e.data])).toEqual([
      ['user.signed_in', { userId: subject, provider: 'entra', outcome: 'linked' }],
    ]);
    await completeAppSignIn(await beginAppSignIn(rig), rig);
    step = await userEvents(step.cursor);
    expect(step.events.map((e) => [e.type, e.data])).toEqual([
      ['user.signed_in', { userId: subject, provider: 'entra', outcome: 'bound' }],
    ]);
    // A refusal makes none (it is in the audit trail only).
    rig.entra.signInAs({ oid: oid(), upn: 'nobody.yet@contoso.com' });
    await expectRefused();
    step = await userEvents(step.cursor);
    expect(step.events).toEqual([]);
    // Just in time: the subject is created, then signed in.
    await setProvider({ autoProvisioningEnabled: true });
    const { claims } = await completeAppSignIn(await beginAppSignIn(rig), rig);
    step = await userEvents(step.cursor);
    expect(step.events.map((e) => [e.type, e.data.id ?? e.data.userId, e.data.outcome])).toEqual([
      ['user.created', claims.sub, undefined],
      ['user.signed_in', claims.sub, 'provisioned'],
    ]);
    expect(step.events[1]!.data).toEqual({ userId: claims.sub, provider: 'entra', outcome: 'provisioned' });
    // The event and the audit entry commit together: one audit entry per event.
    const audited = (await auditActions()).filter((e) => e.target === claims.sub && e.action.startsWith('signin.'));
    expect(audited.map((e) => e.action)).toEqual(['signin.provisioned']);
  });

  it('two first sign-ins of one new person racing each other make one subject', async () => {
    await setProvider({ autoProvisioningEnabled: true });
    rig.entra.signInAs({ oid: oid(), upn: 'racer@contoso.com' });
    const results = await Promise.all([1, 2, 3].map(async () => completeAppSignIn(await beginAppSignIn(rig), rig)));
    expect(new Set(results.map((r) => r.claims.sub)).size).toBe(1);
  });

  it('deactivation through SCIM ends sessions and refresh tokens and refuses the next sign-in', async () => {
    const id = oid();
    const subject = await provision('leaver@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'leaver@contoso.com' });
    const browser = new Browser();
    const sign = await beginAppSignIn(rig, { scope: 'openid offline_access', prompt: 'consent' }, browser);
    const { tokens } = await completeAppSignIn(sign, rig);
    expect(tokens.refresh_token).toBeDefined();
    // While active, the browser's session signs in again silently.
    const silent = await beginAppSignIn(rig, { prompt: 'none' }, browser);
    expect((await browser.follow(silent.authorizationUrl, atApp)).url.searchParams.get('code')).not.toBeNull();

    const off = await scim(
      rig.t.app,
      rig.tenant,
      'PATCH',
      `${rig.tenant.base}/Users/${subject}`,
      patch({ op: 'Replace', path: 'active', value: false }),
    );
    expect(off.statusCode).toBe(200);
    const rows = await rig.t.db.store.db
      .selectFrom('oidc_payloads')
      .select('model')
      .where('tenant_id', '=', rig.tenant.tenantId)
      .where('account_id', '=', subject)
      .execute();
    expect(rows).toEqual([]);
    await expect(oidc.refreshTokenGrant(sign.config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // RFC 6750 §3.1: the revoked access token is refused with a Bearer challenge naming invalid_token.
    await expect(oidc.fetchUserInfo(sign.config, tokens.access_token, subject)).rejects.toMatchObject({
      code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      status: 401,
      cause: [{ scheme: 'bearer', parameters: { error: 'invalid_token' } }],
    });
    const again = await beginAppSignIn(rig, { prompt: 'none' }, browser);
    expect((await browser.follow(again.authorizationUrl, atApp)).url.searchParams.get('error')).toBe('login_required');
    await expectRefused(browser);
    expect(
      (await auditActions()).some((e) => e.action === 'signin.refused' && e.data.reason === 'subject_inactive'),
    ).toBe(true);
  });

  it('a refresh grant reads the subject as it is at that request, and a revoked refresh token is refused at the next', async () => {
    const id = oid();
    const subject = await provision('refresher@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'refresher@contoso.com' });
    const sign = await beginAppSignIn(rig, { scope: 'openid profile offline_access', prompt: 'consent' });
    const { tokens } = await completeAppSignIn(sign, rig);
    // The token, its grant and its subject are read together (ADR 0058): a change made over SCIM before the grant
    // is in its ID token.
    const renamed = await scim(
      rig.t.app,
      rig.tenant,
      'PATCH',
      `${rig.tenant.base}/Users/${subject}`,
      patch({ op: 'Replace', path: 'displayName', value: 'Renamed Refresher' }),
    );
    expect(renamed.statusCode).toBe(200);
    const refreshed = await oidc.refreshTokenGrant(sign.config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ sub: subject, name: 'Renamed Refresher' });
    await oidc.tokenRevocation(sign.config, tokens.refresh_token!);
    await expect(oidc.refreshTokenGrant(sign.config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('deletion through SCIM ends sessions and the person cannot sign in to the erased subject', async () => {
    const id = oid();
    const subject = await provision('deleted@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'deleted@contoso.com' });
    const browser = new Browser();
    await completeAppSignIn(await beginAppSignIn(rig, {}, browser), rig);
    expect((await scim(rig.t.app, rig.tenant, 'DELETE', `${rig.tenant.base}/Users/${subject}`)).statusCode).toBe(204);
    const silent = await beginAppSignIn(rig, { prompt: 'none' }, browser);
    expect((await browser.follow(silent.authorizationUrl, atApp)).url.searchParams.get('error')).toBe('login_required');
    await expectRefused(browser);
  });

  it('a token from another Entra directory is refused', async () => {
    const id = oid();
    await provision('guest@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'guest@contoso.com', tid: randomUUID() });
    await expectRefused();
    expect((await auditActions()).some((e) => e.data.reason === 'directory_mismatch')).toBe(true);
  });

  it('an authority whose discovery announces another issuer is refused', async () => {
    const other = await startFakeEntra({
      clientId: 'entra-app-id',
      clientSecret: 'entra-app-secret-value',
      redirectUri: `${rig.publicUrl}/${rig.tenant.tenantId}/signin/callback`,
      announcedTid: randomUUID(),
    });
    try {
      await setProvider({ authority: other.authority });
      await expectRefused();
      expect((await auditActions()).some((e) => e.data.reason === 'issuer_mismatch')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('a tampered state, a callback replayed in another browser, a swapped nonce or PKCE challenge are refused', async () => {
    const id = oid();
    const subject = await provision('careful@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'careful@contoso.com' });
    const isCallback = (u: URL) => u.pathname.endsWith('/signin/callback');

    // state changed on the way back
    let sign = await beginAppSignIn(rig);
    let result = await sign.browser.follow(sign.authorizationUrl, atApp, (u) => {
      if (isCallback(u)) u.searchParams.set('state', `${u.searchParams.get('state')}x`);
      return u;
    });
    expect(result.status).toBe(400);

    // the genuine callback URL, opened in another browser (no interaction cookie)
    sign = await beginAppSignIn(rig);
    const toCallback = await sign.browser.follow(sign.authorizationUrl, isCallback);
    result = await new Browser().follow(toCallback.url, atApp);
    expect(result.status).toBe(400);
    expect(result.stopped).toBe(false);
    // … which does not burn it for the right browser; once used there, it cannot be used again
    result = await sign.browser.follow(toCallback.url, atApp);
    expect(result.stopped).toBe(true);
    result = await sign.browser.follow(toCallback.url, atApp);
    expect(result.stopped).toBe(false);
    expect(result.status).toBe(400);

    // nonce swapped in the front channel: the ID token carries another nonce
    rig.entra.tamper = (p) => p.set('nonce', 'attacker-nonce');
    sign = await beginAppSignIn(rig);
    result = await sign.browser.follow(sign.authorizationUrl, atApp);
    expect(result.status, `${result.url} ${result.body.slice(0, 400)}`).toBe(403);

    // PKCE challenge swapped: Entra refuses Roster's verifier at the token endpoint
    rig.entra.tamper = (p) => p.set('code_challenge', 'A'.repeat(43));
    sign = await beginAppSignIn(rig);
    result = await sign.browser.follow(sign.authorizationUrl, atApp);
    expect(result.status).toBe(403);
    rig.entra.tamper = undefined;
    expect(rig.entra.lastAuthorization?.get('code_challenge_method')).toBe('S256');

    // the app's own PKCE at Roster: a wrong verifier cannot redeem the code
    sign = await beginAppSignIn(rig);
    const atCallback = await sign.browser.follow(sign.authorizationUrl, atApp);
    await expect(
      oidc.authorizationCodeGrant(sign.config, atCallback.url, {
        expectedState: sign.checks.state,
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    const reasons = (await auditActions())
      .filter((e) => e.action === 'signin.refused')
      .map((e) => String(e.data.reason));
    expect(reasons).toContain('state_mismatch');
    expect(reasons.filter((r) => r.startsWith('token_rejected')).length).toBeGreaterThanOrEqual(2);
    // Only the one genuine completion bound the subject.
    expect((await auditActions()).filter((e) => e.target === subject && e.action === 'signin.linked')).toHaveLength(1);
  });

  it('a disabled provider, or one with loginEnabled off, cannot be used; an invisible one only through idp_hint', async () => {
    const id = oid();
    await provision('hint@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'hint@contoso.com' });
    await setProvider({}, { enabled: false });
    let sign = await beginAppSignIn(rig);
    let page = await sign.browser.follow(sign.authorizationUrl, atApp);
    expect(page.body).toContain('No sign-in method is available');
    const uid = /signin\/([A-Za-z0-9_-]+)\/abort/.exec(page.body)![1];
    const forced = await sign.browser.follow(
      `${rig.publicUrl}/${rig.tenant.tenantId}/signin/${uid}/start/entra`,
      atApp,
    );
    expect(forced.status).toBe(403);

    await setProvider({ loginEnabled: false });
    sign = await beginAppSignIn(rig, { idp_hint: 'entra' });
    page = await sign.browser.follow(sign.authorizationUrl, atApp);
    expect(page.body).toContain('The requested sign-in method is not available');

    await setProvider({ visible: false });
    sign = await beginAppSignIn(rig);
    page = await sign.browser.follow(sign.authorizationUrl, atApp);
    expect(page.body).not.toContain('Sign in with');
    sign = await beginAppSignIn(rig, { idp_hint: 'entra' });
    await completeAppSignIn(sign, rig);
  });

  it('delegationEnabled: the app can fetch the upstream access token with the delegation scope, not otherwise', async () => {
    const id = oid();
    await provision('delegate@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'delegate@contoso.com' });
    const endpoint = `${rig.publicUrl}/${rig.tenant.tenantId}/delegation/token`;
    const fetchWith = (token: string) => fetch(endpoint, { headers: { authorization: `Bearer ${token}` } });

    let { tokens } = await completeAppSignIn(await beginAppSignIn(rig, { scope: 'openid delegation' }), rig);
    expect((await fetchWith(tokens.access_token)).status).toBe(404); // delegation off: nothing was kept

    await setProvider({ delegationEnabled: true });
    ({ tokens } = await completeAppSignIn(await beginAppSignIn(rig, { scope: 'openid delegation' }), rig));
    const res = await fetchWith(tokens.access_token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', provider: 'entra' });
    expect(typeof body.access_token).toBe('string');

    ({ tokens } = await completeAppSignIn(await beginAppSignIn(rig, { scope: 'openid' }), rig));
    expect((await fetchWith(tokens.access_token)).status).toBe(403);
    expect((await fetchWith('not-a-token')).status).toBe(401);
    await setProvider({ delegationEnabled: false });
  });

  it('signing keys rotate with overlap: new tokens carry the new kid, and the old key stays published', async () => {
    const id = oid();
    await provision('keys@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'keys@contoso.com' });
    const before = await completeAppSignIn(await beginAppSignIn(rig), rig);
    const oldKid = JSON.parse(Buffer.from(before.tokens.id_token!.split('.')[0]!, 'base64url').toString()).kid;
    const rotated = await call(rig.t.app, 'POST', '/iam/v1/signing-keys/rotate', { token: rig.tenant.adminToken });
    expect(rotated.statusCode).toBe(201);
    const after = await completeAppSignIn(await beginAppSignIn(rig), rig);
    const newKid = JSON.parse(Buffer.from(after.tokens.id_token!.split('.')[0]!, 'base64url').toString()).kid;
    expect(newKid).toBe(rotated.json().kid);
    expect(newKid).not.toBe(oldKid);
    const jwks = (await (await fetch(`${rig.publicUrl}/${rig.tenant.tenantId}/oidc/jwks`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect(JSON.stringify(jwks)).not.toMatch(/"d":/);
    const listed = await call(rig.t.app, 'GET', '/iam/v1/signing-keys', { token: rig.tenant.adminToken });
    expect(listed.json().items.map((k: { status: string }) => k.status)).toEqual(['active', 'retired']);
  });

  it('discovery names the tenant issuer and its endpoints; an unknown tenant has none', async () => {
    const res = await fetch(`${rig.publicUrl}/${rig.tenant.tenantId}/.well-known/openid-configuration`, {
      headers: { host: 'evil.example' },
    });
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc.issuer).toBe(`${rig.publicUrl}/${rig.tenant.tenantId}`);
    expect(doc.authorization_endpoint).toBe(`${rig.publicUrl}/${rig.tenant.tenantId}/oidc/auth`);
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'groups']));
    expect((await fetch(`${rig.publicUrl}/${randomUUID()}/.well-known/openid-configuration`)).status).toBe(404);
    expect((await fetch(`${rig.publicUrl}/not-a-tenant/.well-known/openid-configuration`)).status).toBe(404);
  });

  it('an app of this tenant is unknown at another tenant’s issuer', async () => {
    const other = await call(rig.t.app, 'POST', '/iam/v1/tenants', {
      token: 'test-operator-token-0123456789-abcdefghijklmnop',
      body: { name: 'Other' },
    });
    const url = new URL(`${rig.publicUrl}/${other.json().id}/oidc/auth`);
    url.search = new URLSearchParams({
      client_id: rig.app.clientId,
      redirect_uri: APP_REDIRECT,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'A'.repeat(43),
      code_challenge_method: 'S256',
    }).toString();
    const res = await new Browser().get(url);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('invalid_client');
  });

  it('S13: a redirect_uri that is not registered is never followed', async () => {
    for (const evil of [
      'https://evil.example/cb',
      '//evil.example/cb',
      'javascript:alert(1)',
      `${APP_REDIRECT}/../../evil`,
    ]) {
      const sign = await beginAppSignIn(rig, { redirect_uri: evil });
      const res = await sign.browser.get(sign.authorizationUrl);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('redirect_uri');
    }
  });

  it('S14: an IdP error with HTML in its description shows a friendly, escaped page', async () => {
    rig.entra.signInAs({ oid: oid(), upn: 'nobody@contoso.com' });
    const sign = await beginAppSignIn(rig);
    const atEntra = await sign.browser.follow(sign.authorizationUrl, (u) =>
      u.pathname.endsWith('/oauth2/v2.0/authorize'),
    );
    const state = atEntra.url.searchParams.get('state')!;
    const callback = new URL(`${rig.publicUrl}/${rig.tenant.tenantId}/signin/callback`);
    callback.search = new URLSearchParams({
      error: 'access_denied',
      error_description: '<script>alert("x")</script><img src=x onerror=alert(1)>',
      state,
      iss: rig.entra.authority, // the stand-in announces RFC 9207 iss, so an error response carries it too
    }).toString();
    const page = await sign.browser.follow(callback, atApp);
    expect(page.status).toBe(403);
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).not.toContain('<img');
    expect(page.body).toContain('did not complete the sign-in');
    expect((await auditActions()).some((e) => String(e.data.reason).startsWith('upstream_error'))).toBe(true);
  });

  it('S16: the app secret and the Entra client secret are never listed', async () => {
    const clients = await call(rig.t.app, 'GET', '/iam/v1/clients', { token: rig.tenant.adminToken });
    expect(clients.json().items.length).toBeGreaterThan(0);
    expect(clients.body).not.toContain(rig.app.clientSecret);
    expect(clients.body).not.toContain('client_secret"');
    const one = await call(rig.t.app, 'GET', `/iam/v1/clients/${rig.app.clientId}`, { token: rig.tenant.adminToken });
    expect(one.body).not.toContain(rig.app.clientSecret);
    const sso = await call(rig.t.app, 'GET', '/iam/v1/sso/entra', { token: rig.tenant.adminToken });
    expect(sso.body).not.toContain('entra-app-secret-value');
  });

  it('S17: the session cookie is HttpOnly, SameSite=Lax and scoped to the tenant; its id changes at each sign-in', async () => {
    const id = oid();
    await provision('cookie@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'cookie@contoso.com' });
    const seen: string[] = [];
    const browser = new Browser();
    const get = browser.get.bind(browser);
    browser.get = async (url) => {
      const res = await get(url);
      seen.push(...res.headers.getSetCookie().filter((c) => c.startsWith('roster_session=')));
      return res;
    };
    await completeAppSignIn(await beginAppSignIn(rig, {}, browser), rig);
    await completeAppSignIn(await beginAppSignIn(rig, { prompt: 'login' }, browser), rig);
    const sessions = seen.filter((c) => !c.startsWith('roster_session=;'));
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    for (const cookie of sessions) {
      expect(cookie).toMatch(/httponly/i);
      expect(cookie).toMatch(/samesite=lax/i);
      expect(cookie).toContain(`path=/${rig.tenant.tenantId}`);
    }
    const ids = new Set(sessions.map((c) => c.split(';')[0]));
    expect(ids.size).toBeGreaterThanOrEqual(2);
  });

  it('S2: one state used by two concurrent callbacks signs in once', async () => {
    const id = oid();
    await provision('twice@contoso.com', id);
    rig.entra.signInAs({ oid: id, upn: 'twice@contoso.com' });
    const sign = await beginAppSignIn(rig);
    const toCallback = await sign.browser.follow(sign.authorizationUrl, (u) => u.pathname.endsWith('/signin/callback'));
    const results = await Promise.all([1, 2, 3].map(() => sign.browser.follow(toCallback.url, atApp)));
    expect(results.filter((r) => r.stopped)).toHaveLength(1);
    // The losers are refused: 403 when they reached the take after the winner, 400 when the state was already gone.
    for (const r of results.filter((x) => !x.stopped)) expect([400, 403]).toContain(r.status);
  });
});
