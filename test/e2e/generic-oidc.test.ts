// Issue 16 item 1: generic OpenID Connect providers (POST /iam/v1/sso/oidc), end to end — the app's authorization
// request → Roster → a stand-in IdP (a real oidc-provider) shaped like Okta's org authorization server or like Google
// → Roster's callback → the app's code exchange and userinfo. Identity is (provider, iss, sub); linking is by
// externalId = subject claim, else userName = userName claim, never by email. One Roster and two IdPs per store.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.ts';
import { type FakeIdp, GOOGLE, OKTA_ORG, startFakeIdp } from '../support/fake-oidc-idp.ts';
import { atApp, beginAppSignIn, completeAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
let serial = 0;
/** Okta user ids look like `00u1a2b3c4D5e6F7g8h9`; Google's `sub` is a 21-digit number. */
const oktaId = () => `00u${Date.now().toString(36)}${(++serial).toString(36).padStart(4, '0')}`;
const googleId = () => `1${String(Date.now()).padStart(14, '0')}${String(++serial).padStart(6, '0')}`;

describe.each(STORE_KINDS)('generic OIDC providers (%s)', (kind) => {
  let rig: SignInRig;
  let okta: FakeIdp;
  let google: FakeIdp;
  let dns: TestDnsServer;
  const txt = new Map<string, string[][]>();
  const scimTokens: Record<string, string> = {};

  const admin = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    call(rig.t.app, method, url, { token: rig.tenant.adminToken, ...(body === undefined ? {} : { body }) });

  const oidcBody = (scheme: string, idp: FakeIdp, properties: Record<string, unknown> = {}) => ({
    scheme,
    displayName: `${scheme} (stand-in)`,
    enabled: true,
    type: 'oidc',
    properties: {
      loginEnabled: true,
      visible: true,
      delegationEnabled: false,
      autoProvisioningEnabled: false,
      clientId: `${scheme}-client`,
      clientSecret: `${scheme}-secret-value`,
      usePkce: true,
      issuer: idp.issuer,
      responseType: 'code',
      scope: 'openid profile email',
      ...properties,
    },
  });

  beforeAll(async () => {
    dns = await startDnsServer(
      () => [],
      (name) => txt.get(name) ?? [],
    );
    // Cooldown 0: the rotation below must not wait out jose's default 30 s between two JWKS fetches.
    rig = await startSignInRig(kind, {}, false, {
      ROSTER_OIDC_JWKS_COOLDOWN_SECONDS: '0',
      ROSTER_DNS_SERVERS: dns.address,
    });
    const redirectUri = `${rig.publicUrl}/${rig.tenant.tenantId}/signin/callback`;
    [okta, google] = await Promise.all([
      startFakeIdp({
        name: 'okta',
        shape: OKTA_ORG,
        clientId: 'okta-client',
        clientSecret: 'okta-secret-value',
        redirectUri,
      }),
      startFakeIdp({
        name: 'google',
        shape: GOOGLE,
        clientId: 'google-client',
        clientSecret: 'google-secret-value',
        redirectUri,
      }),
    ]);
    for (const [scheme, idp, extra] of [
      ['okta', okta, {}],
      ['google', google, { hostedDomain: 'contoso.com' }],
    ] as const) {
      const created = await admin('POST', '/iam/v1/sso/oidc', oidcBody(scheme, idp, extra));
      expect(created.statusCode, created.body).toBe(201);
      const token = await admin('POST', '/iam/v1/scim', { provider: scheme, providerDisplayName: scheme });
      expect(token.statusCode, token.body).toBe(201);
      scimTokens[scheme] = token.json().token;
    }
  });
  afterAll(async () => {
    await okta?.close();
    await google?.close();
    await rig?.dispose();
    await dns?.close();
  });
  beforeEach(async () => {
    okta.alterIdToken = undefined;
    await setProvider('okta', { subjectClaim: 'sub', autoProvisioningEnabled: false });
  });

  async function setProvider(scheme: string, properties: Record<string, unknown>) {
    const res = await admin('PATCH', `/iam/v1/sso/${scheme}`, { properties });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  /** A user as the provider's SCIM client would create it (so `provider` is that scheme). */
  async function provision(scheme: string, user: Record<string, unknown>): Promise<string> {
    const res = await rig.t.app.inject({
      method: 'POST',
      url: `${rig.tenant.base}/Users`,
      headers: { authorization: `Bearer ${scimTokens[scheme]}`, 'content-type': 'application/scim+json' },
      payload: JSON.stringify({ schemas: [USER], active: true, ...user }),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id;
  }

  async function audit(): Promise<{ action: string; target: string | null; data: Record<string, unknown> }[]> {
    return (await admin('GET', '/iam/v1/audit-events?limit=200')).json().items;
  }
  const refusedFor = async (reason: string) =>
    (await audit()).filter((e) => e.action === 'signin.refused' && String(e.data.reason).startsWith(reason));

  /** The whole flow through the named provider; the app's ID token claims and its userinfo answer. */
  async function signIn(scheme: string) {
    const sign = await beginAppSignIn(rig, { idp_hint: scheme });
    const { claims, tokens } = await completeAppSignIn(sign, rig);
    const info = await oidc.fetchUserInfo(sign.config, tokens.access_token, String(claims.sub));
    return { claims, info };
  }

  /** A refused sign-in: the page says so and nobody reaches the app with a code. */
  async function expectRefused(scheme: string) {
    const browser = new Browser();
    const sign = await beginAppSignIn(rig, { idp_hint: scheme }, browser);
    const page = await browser.follow(sign.authorizationUrl, atApp);
    expect(page.stopped).toBe(false);
    expect(page.status).toBe(403);
    expect(page.body).toContain('You cannot sign in');
  }

  it('registers, shows and patches an OIDC provider; refuses email claims, plain http and an authority', async () => {
    const shown = await admin('GET', '/iam/v1/sso/okta');
    expect(shown.json()).toMatchObject({
      kind: 'oidc',
      scheme: 'okta',
      properties: { issuer: okta.issuer, subjectClaim: 'sub', userNameClaim: 'preferred_username', hostedDomain: null },
    });
    expect(shown.json().properties.authority).toBeUndefined();
    const listed = (await admin('GET', '/iam/v1/sso'))
      .json()
      .items.map((p: { scheme: string; kind: string }) => [p.scheme, p.kind]);
    expect(listed).toEqual(
      expect.arrayContaining([
        ['entra', 'azuread'],
        ['okta', 'oidc'],
        ['google', 'oidc'],
      ]),
    );
    for (const [properties, field] of [
      [{ userNameClaim: 'email' }, 'properties.userNameClaim'],
      [{ subjectClaim: 'email_verified' }, 'properties.subjectClaim'],
      [{ issuer: 'http://idp.example.com' }, 'properties.issuer'],
      [{ hostedDomain: 'not a domain' }, 'properties.hostedDomain'],
    ] as const) {
      const res = await admin('PATCH', '/iam/v1/sso/okta', { properties });
      expect(res.statusCode, JSON.stringify(properties)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(res.json())).toContain(field);
    }
    const entraOnly = await admin('PUT', '/iam/v1/sso/okta', {
      ...oidcBody('okta', okta),
      properties: { ...oidcBody('okta', okta).properties, authority: okta.issuer },
    });
    expect(entraOnly.statusCode).toBe(400);
    const noIssuer = await admin('POST', '/iam/v1/sso/oidc', {
      ...oidcBody('okta2', okta),
      properties: { ...oidcBody('okta2', okta).properties, issuer: undefined },
    });
    expect(noIssuer.statusCode).toBe(400);
    // Entra's rules stay Entra's: an azuread provider takes no OIDC-only setting.
    expect((await admin('PATCH', '/iam/v1/sso/entra', { properties: { subjectClaim: 'sub' } })).statusCode).toBe(400);
  });

  it('Okta-like: links by externalId = sub, then by userName = preferred_username, and the binding then holds', async () => {
    const sub = oktaId();
    const subject = await provision('okta', { userName: 'ada@contoso.com', externalId: sub });
    okta.signInAs({ sub, preferred_username: 'ada@contoso.com', name: 'Ada L', email: 'ada@contoso.com' });
    const first = await signIn('okta');
    expect(first.claims.sub).toBe(subject);
    expect(first.info).toMatchObject({ sub: subject, preferred_username: 'ada@contoso.com' });

    const bobSub = oktaId();
    const bob = await provision('okta', { userName: 'bob@contoso.com', externalId: 'bob-hr-number' });
    okta.signInAs({ sub: bobSub, preferred_username: 'bob@contoso.com' });
    expect((await signIn('okta')).claims.sub).toBe(bob);
    // Renamed in Okta: the (okta, iss, sub) binding still finds him.
    okta.signInAs({ sub: bobSub, preferred_username: 'robert@contoso.com' });
    expect((await signIn('okta')).claims.sub).toBe(bob);

    const events = (await audit()).filter((e) => e.action.startsWith('signin.'));
    expect(events.find((e) => e.action === 'signin.linked' && e.target === subject)?.data).toMatchObject({
      rule: 'externalId',
      directory: okta.issuer,
      subject: sub,
    });
    expect(events.some((e) => e.action === 'signin.linked' && e.target === bob && e.data.rule === 'userName')).toBe(
      true,
    );
    expect(events.some((e) => e.action === 'signin.bound' && e.target === bob)).toBe(true);
  });

  it('a configured subjectClaim is matched to externalId (the identity key stays iss + sub)', async () => {
    await setProvider('okta', { subjectClaim: 'employee_number' });
    const subject = await provision('okta', { userName: 'cy@contoso.com', externalId: 'E-4711' });
    okta.signInAs({ sub: oktaId(), preferred_username: 'someone-else@contoso.com', employee_number: 'E-4711' });
    expect((await signIn('okta')).claims.sub).toBe(subject);
    // Without the claim the token identifies nobody: refused, with the reason audited.
    okta.signInAs({ sub: oktaId(), preferred_username: 'cy@contoso.com' });
    await expectRefused('okta');
    expect(await refusedFor('missing_subject_claim')).toHaveLength(1);
  });

  it('an unknown person is refused without JIT and created with it; an email match never links', async () => {
    const victim = await provision('okta', {
      userName: 'victim@contoso.com',
      externalId: oktaId(),
      emails: [{ value: 'victim@contoso.com', type: 'work', primary: true }],
    });
    // Mallory's Okta profile claims the victim's (verified) email; her login and id are her own.
    okta.signInAs({
      sub: oktaId(),
      preferred_username: 'mallory@contoso.com',
      email: 'victim@contoso.com',
      email_verified: true,
    });
    const before = (await refusedFor('no_subject')).length;
    await expectRefused('okta');
    expect(await refusedFor('no_subject')).toHaveLength(before + 1);

    await setProvider('okta', { autoProvisioningEnabled: true });
    const { claims, info } = await signIn('okta');
    expect(claims.sub).not.toBe(victim);
    expect(info).toMatchObject({ preferred_username: 'mallory@contoso.com' });
    const created = await rig.t.app.inject({
      method: 'GET',
      url: `${rig.tenant.base}/Users/${claims.sub}`,
      headers: { authorization: `Bearer ${scimTokens.okta}` },
    });
    expect(created.json()).toMatchObject({ userName: 'mallory@contoso.com' });
    expect(created.json().externalId).toMatch(/^00u/);
    expect((await audit()).some((e) => e.action === 'signin.provisioned' && e.target === claims.sub)).toBe(true);
  });

  it('refetches the JWKS when the IdP rotates its key mid-test', async () => {
    const sub = oktaId();
    const subject = await provision('okta', { userName: 'rot@contoso.com', externalId: sub });
    okta.signInAs({ sub, preferred_username: 'rot@contoso.com' });
    expect((await signIn('okta')).claims.sub).toBe(subject);
    const oldKid = okta.kid;
    const fetches = okta.jwksFetches;
    await okta.rotateKeys();
    expect(okta.kid).not.toBe(oldKid);
    expect((await signIn('okta')).claims.sub).toBe(subject);
    expect(okta.jwksFetches).toBeGreaterThan(fetches);
  });

  it('refuses a validly signed ID token for another audience or from another issuer', async () => {
    const sub = oktaId();
    await provision('okta', { userName: 'aud@contoso.com', externalId: sub });
    okta.signInAs({ sub, preferred_username: 'aud@contoso.com' });
    for (const alter of [
      (c: Record<string, unknown>) => ({ ...c, aud: 'another-app' }),
      (c: Record<string, unknown>) => ({ ...c, iss: 'http://127.0.0.1:9' }),
    ]) {
      const before = (await refusedFor('token_rejected')).length;
      okta.alterIdToken = alter;
      await expectRefused('okta');
      expect((await refusedFor('token_rejected')).length).toBe(before + 1);
    }
    okta.alterIdToken = undefined;
    // An IdP that announces another issuer than the one configured is refused at discovery.
    const liar = await startFakeIdp({
      name: 'liar',
      shape: OKTA_ORG,
      clientId: 'liar-client',
      clientSecret: 'liar-secret-value',
      redirectUri: `${rig.publicUrl}/${rig.tenant.tenantId}/signin/callback`,
      announcedIssuer: (own) => `${own}/elsewhere`,
    });
    try {
      expect((await admin('POST', '/iam/v1/sso/oidc', oidcBody('liar', liar))).statusCode).toBe(201);
      await expectRefused('liar');
      expect((await refusedFor('issuer_mismatch')).some((e) => e.data.provider === 'liar')).toBe(true);
    } finally {
      await admin('DELETE', '/iam/v1/sso/liar');
      await liar.close();
    }
  });

  it('Google-like: links by externalId = numeric sub, with hd pinned to the configured domain', async () => {
    const sub = googleId();
    const subject = await provision('google', { userName: 'grace@contoso.com', externalId: sub });
    google.signInAs({ sub, hd: 'contoso.com', email: 'grace@contoso.com', email_verified: true, name: 'Grace H' });
    const { claims, info } = await signIn('google');
    expect(claims.sub).toBe(subject);
    expect(info.sub).toBe(subject);

    // Same person, but the token says another Workspace, or none (a consumer account): refused.
    for (const hd of ['fabrikam.com', undefined]) {
      google.signInAs({ sub, email: 'grace@contoso.com', ...(hd ? { hd } : {}) });
      await expectRefused('google');
    }
    expect(await refusedFor('hosted_domain_mismatch')).toHaveLength(2);
  });

  it('Google-like with hostedDomain "verified": hd must be one of the tenant\'s verified domains', async () => {
    await setProvider('google', { hostedDomain: 'verified' });
    const sub = googleId();
    const subject = await provision('google', { userName: 'hedy@northwind.test', externalId: sub });
    google.signInAs({ sub, hd: 'northwind.test', email: 'hedy@northwind.test' });
    await expectRefused('google');
    const claimed = await admin('POST', '/iam/v1/domains', { domain: 'northwind.test' });
    expect(claimed.statusCode, claimed.body).toBe(201);
    const { id, verification } = claimed.json();
    txt.set(verification.name, [[verification.value]]);
    expect((await admin('POST', `/iam/v1/domains/${id}/verify`)).json().status).toBe('verified');
    expect((await signIn('google')).claims.sub).toBe(subject);
    await setProvider('google', { hostedDomain: 'contoso.com' });
  });
});
