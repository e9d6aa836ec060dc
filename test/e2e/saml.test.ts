// SAML 2.0 SP (issue 16 item 2, ADR 0038) against a real signing IdP on loopback (test/support/saml-idp.ts): the
// admin API, an SP-initiated sign-in through to the vendor app's code exchange, and the attack matrix — every
// attack refused at the ACS with a `saml_*` audit reason, none reaching a session. One Roster per store.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { parseKeyring } from '../../src/lib/keyring.ts';
import { openStore } from '../../src/store/open-store.ts';
import { call, OPERATOR_TOKEN } from '../support/app.ts';
import { freePort } from '../support/free-port.ts';
import { ALGORITHMS, makeKeyPair, newSamlId, type ResponseOptions, SamlIdp } from '../support/saml-idp.ts';
import { XSW } from '../support/saml-xsw.ts';
import { atApp, beginAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

const SCHEME = 'okta';

describe.each(STORE_KINDS)('SAML 2.0 service provider (%s)', (kind) => {
  let rig: SignInRig;
  let idp: SamlIdp;
  let sp: { entityId: string; acsUrl: string; metadataUrl: string };

  beforeAll(async () => {
    idp = new SamlIdp();
    await idp.listen();
    rig = await startSignInRig(kind, {}, false, { ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true' });
    const created = await call(rig.t.app, 'POST', '/iam/v1/sso/saml', {
      token: rig.tenant.adminToken,
      body: {
        scheme: SCHEME,
        displayName: 'Okta',
        enabled: true,
        type: 'saml',
        properties: {
          metadataUrl: idp.metadataUrl,
          loginEnabled: true,
          visible: true,
          autoProvisioningEnabled: true,
          attributeMapping: { givenName: 'firstName', familyName: 'lastName', email: 'email' },
        },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    sp = created.json().serviceProvider;
  });
  afterAll(async () => {
    await rig?.dispose();
    await idp?.close();
  });

  /** An app's sign-in, hinted to the SAML provider, followed to the IdP: the browser and the AuthnRequest seen. */
  async function toIdp() {
    const sign = await beginAppSignIn(rig, { idp_hint: SCHEME });
    const hop = await sign.browser.follow(sign.authorizationUrl, (u) => u.href.startsWith(idp.ssoUrl));
    expect(hop.stopped, hop.body.slice(0, 200)).toBe(true);
    return { sign, request: idp.readRequest(hop.url) };
  }

  /** The IdP's auto-posting form, as a browser sends it: a cross-site POST, so no Roster cookie goes with it. */
  const postAcs = (samlResponse: string, url = sp.acsUrl) =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: '' }).toString(),
    });

  const options = (request: { id: string }, extra: Partial<ResponseOptions> = {}): ResponseOptions => ({
    inResponseTo: request.id,
    acsUrl: sp.acsUrl,
    audience: sp.entityId,
    nameId: 'alice@contoso.com',
    attributes: { firstName: 'Alice', lastName: 'Liddell', email: 'alice@contoso.com' },
    ...extra,
  });

  async function auditEntries(): Promise<{ action: string; data: Record<string, unknown> }[]> {
    const res = await call(rig.t.app, 'GET', '/iam/v1/audit-events?limit=200', { token: rig.tenant.adminToken });
    return res.json().items;
  }
  const count = (entries: { action: string; data: Record<string, unknown> }[], reason: string) =>
    entries.filter((e) => e.action === 'signin.refused' && e.data.reason === reason).length;
  const signedIn = (entries: { action: string }[]) =>
    entries.filter((e) => /^signin\.(bound|linked|provisioned)$/.test(e.action)).length;

  /** Posts and expects a refusal with `reason` in the audit log, and no new sign-in. */
  async function expectRefused(samlResponse: string, reason: string, acsUrl = sp.acsUrl) {
    const before = await auditEntries();
    const res = await postAcs(samlResponse, acsUrl);
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.getSetCookie().join(';')).not.toContain('roster_session');
    const after = await auditEntries();
    expect(count(after, reason) - count(before, reason), `audit reason ${reason}`).toBe(1);
    expect(signedIn(after)).toBe(signedIn(before));
  }

  /** ACS → return step → the app's callback → the code redeemed: the ID token's claims. */
  async function finish(sign: Awaited<ReturnType<typeof toIdp>>['sign'], samlResponse: string) {
    const posted = await postAcs(samlResponse);
    expect(posted.status).toBe(303);
    const result = await sign.browser.follow(new URL(posted.headers.get('location')!, rig.publicUrl), atApp);
    expect(result.stopped, `${result.status} ${result.url.pathname}`).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(sign.config, result.url, {
      expectedState: sign.checks.state,
      expectedNonce: sign.checks.nonce,
      pkceCodeVerifier: sign.checks.codeVerifier,
    });
    return tokens.claims()!;
  }

  it('publishes SP metadata and shows the values to paste; the scheme namespace is shared with OIDC providers', async () => {
    const metadata = await fetch(sp.metadataUrl);
    expect(metadata.headers.get('content-type')).toContain('application/samlmetadata+xml');
    const xml = await metadata.text();
    expect(xml).toContain(`entityID="${sp.entityId}"`);
    expect(xml).toContain(`Location="${sp.acsUrl}"`);
    const got = await call(rig.t.app, 'GET', `/iam/v1/sso/saml/${SCHEME}`, { token: rig.tenant.adminToken });
    expect(got.json()).toMatchObject({
      scheme: SCHEME,
      type: 'saml',
      identityProvider: { entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: 1 },
    });
    // "entra" is the tenant's OIDC provider: a SAML provider cannot take its scheme, nor the reverse.
    const clash = await call(rig.t.app, 'POST', '/iam/v1/sso/saml', {
      token: rig.tenant.adminToken,
      body: {
        scheme: 'entra',
        displayName: 'Clash',
        enabled: true,
        type: 'saml',
        properties: {
          metadataXml: idp.metadataXml(),
          loginEnabled: true,
          visible: true,
          autoProvisioningEnabled: false,
        },
      },
    });
    expect(clash.statusCode, clash.body).toBe(409);
    const entraClash = await call(rig.t.app, 'POST', '/iam/v1/sso/azuread', {
      token: rig.tenant.adminToken,
      body: { scheme: SCHEME, ...(rig.providerBody() as object) },
    });
    expect(entraClash.statusCode).toBe(409);
    // One namespace with directory connections too (ADR 0043), both ways.
    const dirClash = await call(rig.t.app, 'POST', '/iam/v1/directories', {
      token: rig.tenant.adminToken,
      body: { scheme: SCHEME, displayName: 'Clash', type: 'okta' },
    });
    expect(dirClash.statusCode, dirClash.body).toBe(409);
    expect(dirClash.json()).toMatchObject({ code: 'sso.scheme_taken' });
    const dir = await call(rig.t.app, 'POST', '/iam/v1/directories', {
      token: rig.tenant.adminToken,
      body: { scheme: 'saml-dir', displayName: 'Directory', type: 'generic' },
    });
    expect(dir.statusCode, dir.body).toBe(201);
    const samlOnDir = await call(rig.t.app, 'POST', '/iam/v1/sso/saml', {
      token: rig.tenant.adminToken,
      body: {
        scheme: 'saml-dir',
        displayName: 'Clash',
        enabled: true,
        type: 'saml',
        properties: {
          metadataXml: idp.metadataXml(),
          loginEnabled: true,
          visible: true,
          autoProvisioningEnabled: false,
        },
      },
    });
    expect(samlOnDir.statusCode, samlOnDir.body).toBe(409);
    expect(samlOnDir.json()).toMatchObject({ code: 'directories.scheme_taken' });
    // A SCIM token can name the SAML provider's scheme (issue 16 item 3).
    const token = await call(rig.t.app, 'POST', '/iam/v1/scim', {
      token: rig.tenant.adminToken,
      body: { provider: SCHEME, providerDisplayName: 'Okta provisioning' },
    });
    expect(token.statusCode, token.body).toBe(201);
    const revoked = await call(rig.t.app, 'DELETE', `/iam/v1/scim/${token.json().id}`, {
      token: rig.tenant.adminToken,
    });
    expect(revoked.statusCode).toBe(204);
    expect(
      (await call(rig.t.app, 'DELETE', '/iam/v1/directories/saml-dir', { token: rig.tenant.adminToken })).statusCode,
    ).toBe(204);
  });

  it('changes a provider by merge patch (metadata read again only when named) and deletes it', async () => {
    const token = rig.tenant.adminToken;
    const body = {
      scheme: 'adfs',
      displayName: 'ADFS',
      enabled: true,
      type: 'saml',
      properties: {
        metadataXml: idp.metadataXml(),
        loginEnabled: true,
        visible: false,
        autoProvisioningEnabled: false,
      },
    };
    expect((await call(rig.t.app, 'POST', '/iam/v1/sso/saml', { token, body })).statusCode).toBe(201);
    const patched = await call(rig.t.app, 'PATCH', '/iam/v1/sso/saml/adfs', {
      token,
      body: { displayName: 'Contoso ADFS', properties: { attributeMapping: { externalId: 'objectGUID' } } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      displayName: 'Contoso ADFS',
      properties: { metadataUrl: null, visible: false, attributeMapping: { externalId: 'objectGUID' } },
      identityProvider: { entityId: idp.entityId },
    });
    const refetched = await call(rig.t.app, 'PATCH', '/iam/v1/sso/saml/adfs', {
      token,
      body: { properties: { metadataUrl: idp.metadataUrl } },
    });
    expect(refetched.json().properties.metadataUrl).toBe(idp.metadataUrl);
    const listed = await call(rig.t.app, 'GET', '/iam/v1/sso/saml', { token });
    expect(listed.json().items.map((p: { scheme: string }) => p.scheme)).toEqual(['adfs', SCHEME]);
    const oidcList = await call(rig.t.app, 'GET', '/iam/v1/sso', { token });
    expect(oidcList.json().items.map((p: { scheme: string }) => p.scheme)).toEqual(['entra']);
    expect((await call(rig.t.app, 'DELETE', '/iam/v1/sso/saml/adfs', { token })).statusCode).toBe(204);
    expect((await call(rig.t.app, 'GET', '/iam/v1/sso/saml/adfs', { token })).statusCode).toBe(404);
  });

  it('answers an ACS post for an unknown tenant or scheme with the refusal page, never a 500', async () => {
    const unknownTenant = await postAcs(
      'PHg+',
      `${rig.publicUrl}/00000000-0000-4000-8000-000000000000/signin/saml/okta/acs`,
    );
    expect(unknownTenant.status).toBe(403);
    const unknownScheme = await postAcs('PHg+', sp.acsUrl.replace('/okta/', '/nope/'));
    expect(unknownScheme.status).toBe(403);
    const notFound = await fetch(sp.metadataUrl.replace('/okta/', '/nope/'));
    expect(notFound.status).toBe(404);
    // A body over the ACS limit (256 KiB) is the client's fault: a 400 page, not the 500 of a bug.
    const oversized = await postAcs('A'.repeat(300 * 1024));
    expect(oversized.status).toBe(400);
    expect(oversized.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('refuses metadata with a DTD, without an IdP descriptor, or from an unanswering URL, with problem+json', async () => {
    const base = { displayName: 'Bad', enabled: true, type: 'saml' };
    const props = { loginEnabled: true, visible: true, autoProvisioningEnabled: false };
    const cases = [
      {
        metadataXml: `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idp.metadataXml().replace('<?xml version="1.0"?>', '')}`,
      },
      { metadataXml: '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>' },
      { metadataUrl: `${idp.origin}/missing` },
      { metadataUrl: idp.metadataUrl, metadataXml: idp.metadataXml() },
    ];
    for (const [i, source] of cases.entries()) {
      const res = await call(rig.t.app, 'POST', '/iam/v1/sso/saml', {
        token: rig.tenant.adminToken,
        body: { ...base, scheme: `bad-${i}`, properties: { ...props, ...source } },
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('signs in SP-initiated through to the app: just in time, then bound; the same assertion twice is a replay', async () => {
    const first = await toIdp();
    expect(first.request.acsUrl).toBe(sp.acsUrl);
    expect(first.request.issuer).toBe(sp.entityId);
    const samlResponse = idp.response(options(first.request));
    const claims = await finish(first.sign, samlResponse);
    expect(claims.sub).toBeTruthy();
    // Signed in again (response-level signature this time): the same subject, through the binding.
    const again = await toIdp();
    const claims2 = await finish(again.sign, idp.response(options(again.request, { sign: 'response' })));
    expect(claims2.sub).toBe(claims.sub);
    const entries = await auditEntries();
    expect(entries.some((e) => e.action === 'signin.provisioned')).toBe(true);
    expect(entries.some((e) => e.action === 'signin.bound')).toBe(true);
    await expectRefused(samlResponse, 'saml_replayed');
  });

  it.runIf(kind === 'postgres')('refuses an assertion replayed at a second Roster on the same PostgreSQL', async () => {
    const store = await openStore(rig.t.db.location);
    const port = await freePort();
    const second = await createApp({
      config: loadConfig({
        ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
        ROSTER_SECRET_KEY: rig.t.secretKey,
        ROSTER_PUBLIC_URL: rig.publicUrl,
        DATABASE_URL: rig.t.db.location.kind === 'postgres' ? rig.t.db.location.url : '',
      }),
      store,
      keyring: parseKeyring(rig.t.secretKey),
      clock: fixedClock('2026-11-23T10:00:00.000Z'),
      logger: false,
    });
    try {
      await second.listen({ port, host: '127.0.0.1' });
      const { sign, request } = await toIdp();
      const samlResponse = idp.response(options(request, { nameId: 'bob@contoso.com' }));
      await finish(sign, samlResponse);
      const elsewhere = new URL(new URL(sp.acsUrl).pathname, `http://127.0.0.1:${port}`).href;
      await expectRefused(samlResponse, 'saml_replayed', elsewhere);
    } finally {
      await second.close();
      await store.close();
    }
  });

  describe('attacks, each refused at the ACS', () => {
    const victim = 'admin@contoso.com';
    // An attacker's own key pair, with a certificate the metadata does not name.
    const attacker = makeKeyPair();
    beforeAll(async () => {
      // The victim exists (just in time) so that any attack that fooled the SP would sign in as someone real.
      const { sign, request } = await toIdp();
      await finish(sign, idp.response(options(request, { nameId: victim })));
    });

    for (const variant of Object.keys(XSW)) {
      it(`signature wrapping ${variant}`, async () => {
        const { request } = await toIdp();
        const sign = variant === 'XSW1' || variant === 'XSW2' ? 'response' : 'assertion';
        const signed = idp.signedXml(options(request, { nameId: 'eve@contoso.com', sign }));
        const attack = XSW[variant]!(signed, victim);
        await expectRefused(Buffer.from(attack).toString('base64'), 'saml_structure');
      });
    }

    it('comment injection in the NameID', async () => {
      const { request } = await toIdp();
      await expectRefused(
        idp.response(options(request, { nameId: '', nameIdXml: 'admin@contoso.com<!---->.evil.com' })),
        'saml_comment_in_assertion',
      );
    });

    it('an assertion changed inside a signed response (the response signature is what is trusted)', async () => {
      const { request } = await toIdp();
      const signed = idp.signedXml(options(request, { nameId: 'eve@contoso.com', sign: 'response' }));
      const attack = signed.replace('>eve@contoso.com<', `>${victim}<`);
      await expectRefused(Buffer.from(attack).toString('base64'), 'saml_signature_invalid');
    });

    it('a signed assertion changed inside an unsigned response, and an unsigned response and assertion', async () => {
      const { request } = await toIdp();
      const signed = idp.signedXml(options(request, { nameId: 'eve@contoso.com' }));
      await expectRefused(
        Buffer.from(signed.replace('>eve@contoso.com<', `>${victim}<`)).toString('base64'),
        'saml_signature_invalid',
      );
      const next = await toIdp();
      await expectRefused(idp.response(options(next.request, { nameId: victim, sign: 'none' })), 'saml_unsigned');
    });

    it('a signature by another key than the metadata names', async () => {
      const { request } = await toIdp();
      await expectRefused(
        idp.response(options(request, { nameId: victim, signer: attacker })),
        'saml_signature_invalid',
      );
    });

    it('a duplicated ID', async () => {
      const { request } = await toIdp();
      const signed = idp.signedXml(options(request, { nameId: victim }));
      const assertionId = /<saml:Assertion ID="([^"]+)"/.exec(signed)![1]!;
      const attack = signed.replace(/<samlp:Response([^>]*) ID="[^"]+"/, `<samlp:Response$1 ID="${assertionId}"`);
      await expectRefused(Buffer.from(attack).toString('base64'), 'saml_duplicate_id');
    });

    it('a DTD with an external entity', async () => {
      const { request } = await toIdp();
      const signed = idp.signedXml(options(request, { nameId: victim }));
      const attack = `<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${signed}`;
      await expectRefused(Buffer.from(attack).toString('base64'), 'saml_dtd');
    });

    it('an assertion for another audience', async () => {
      const { request } = await toIdp();
      await expectRefused(
        idp.response(options(request, { nameId: victim, audience: 'https://other-sp.example/metadata' })),
        'saml_audience_mismatch',
      );
    });

    it('a wrong recipient, and a wrong destination', async () => {
      const { request } = await toIdp();
      await expectRefused(
        idp.response(options(request, { nameId: victim, recipient: 'https://other-sp.example/acs' })),
        'saml_recipient_mismatch',
      );
      const next = await toIdp();
      await expectRefused(
        idp.response(
          options(next.request, { nameId: victim, destination: 'https://other-sp.example/acs', sign: 'response' }),
        ),
        'saml_destination_mismatch',
      );
    });

    it('an expired assertion, and one not yet valid (beyond the skew)', async () => {
      const { request } = await toIdp();
      await expectRefused(
        idp.response(options(request, { nameId: victim, notBefore: -600, notOnOrAfter: -120 })),
        'saml_expired',
      );
      const next = await toIdp();
      await expectRefused(
        idp.response(options(next.request, { nameId: victim, notBefore: 300, notOnOrAfter: 600 })),
        'saml_not_yet_valid',
      );
    });

    it('a SHA-1 signature', async () => {
      const { request } = await toIdp();
      await expectRefused(idp.response(options(request, { nameId: victim, algorithm: 'sha1' })), 'saml_weak_algorithm');
      expect(ALGORITHMS.sha1.signature).toContain('sha1');
    });

    it('an unknown InResponseTo, and an unsolicited (IdP-initiated) response', async () => {
      await toIdp();
      await expectRefused(idp.response(options({ id: newSamlId() }, { nameId: victim })), 'saml_unknown_request');
      await expectRefused(
        idp.response(options({ id: '' }, { nameId: victim, inResponseTo: undefined })),
        'saml_unsolicited',
      );
    });

    it('a request state used once: a second fresh assertion for the same AuthnRequest', async () => {
      const { sign, request } = await toIdp();
      await finish(sign, idp.response(options(request, { nameId: victim })));
      await expectRefused(idp.response(options(request, { nameId: victim })), 'saml_unknown_request');
    });
  });
});
