// Roster ID's own credentials (issue 13 item 3, ADR 0040/0041), end to end on both stores with a real SMTP server on
// loopback: an invitation mail → the link redeemed → a password set → sign-in to a registered app → ID token `sub`
// = the SCIM id; password + TOTP; SSO-required refusal; no SMTP → invitations refused; link replay; reset;
// enumeration (same text, a hash either way); credential stuffing throttled.
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpSecretContext } from '../../src/core/credentials/totp.ts';
import { resealSecrets } from '../../src/core/keys/rotation.ts';
import { decryptSecret, generateKeyText, parseKeyring, sealedKeyId } from '../../src/lib/keyring.ts';
import { call, startTestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { entraUser, scim } from '../support/scim.ts';
import { atApp, beginAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { type SmtpCapture, startSmtpCapture } from '../support/smtp-capture.ts';
import { STORE_KINDS } from '../support/stores.ts';

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const linkOf = (text: string) => /(http:\/\/\S+\/signin\/(?:activate|reset)\/\S+)/.exec(text)?.[1] ?? '';

describe.each(STORE_KINDS)('Roster ID credentials (%s)', (kind) => {
  let rig: SignInRig;
  let smtp: SmtpCapture;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    rig = await startSignInRig(kind, {}, false, {
      ROSTER_SMTP_URL: smtp.url,
      ROSTER_SMTP_FROM: 'Roster <id@roster.test>',
    });
    const set = await call(rig.t.app, 'PATCH', '/iam/v1/settings', {
      token: rig.tenant.adminToken,
      body: { scimAloneMode: true },
    });
    expect(set.json().scimAloneMode).toBe(true);
  });
  afterAll(async () => {
    await rig?.dispose();
    await smtp?.close();
  });

  const origin = () => new URL(rig.publicUrl).origin;
  const tenantPath = () => `${rig.publicUrl}/${rig.tenant.tenantId}`;

  /** A form POST as the browser sends it: its cookies, its Origin, the page's CSRF token. */
  async function post(browser: Browser, url: string, fields: Record<string, string>) {
    const target = new URL(url);
    const cookie = browser.jar.header(target);
    const res = await fetch(target, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: origin(),
        ...(cookie ? { cookie } : {}),
      },
      body: new URLSearchParams(fields).toString(),
    });
    browser.jar.store(target, res.headers.getSetCookie());
    return { status: res.status, location: res.headers.get('location'), body: await res.text() };
  }

  async function provision(email: string) {
    const created = await scim(
      rig.t.app,
      rig.tenant,
      'POST',
      `${rig.tenant.base}/Users`,
      entraUser(email, randomUUID()),
    );
    expect(created.statusCode).toBe(201);
    return created.json().id as string;
  }

  async function invite(email: string) {
    const res = await call(rig.t.app, 'POST', '/iam/v1/invitations', { token: rig.tenant.adminToken, body: { email } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }

  /** Opens a mailed link, presses its button, and lands on the enrolment page (a fresh browser, as from a mail app). */
  async function redeem(link: string, browser = new Browser()) {
    const page = await browser.get(link);
    const html = await page.text();
    expect(page.status).toBe(200);
    const pressed = await post(browser, link, { csrf: csrfOf(html) });
    return { browser, pressed };
  }

  async function enrolPassword(browser: Browser, password: string) {
    const form = await browser.get(`${tenantPath()}/signin/enrol`);
    const html = await form.text();
    expect(form.status, html).toBe(200);
    return post(browser, `${tenantPath()}/signin/enrol/password`, { csrf: csrfOf(html), password });
  }

  /** The app starts a sign-in; the chooser offers Roster ID; its page; the password form posted. */
  async function passwordSignIn(email: string, password: string, browser = new Browser()) {
    const sign = await beginAppSignIn(rig, {}, browser);
    const chooser = await browser.follow(sign.authorizationUrl, atApp);
    expect(chooser.body).toContain('Sign in with Roster ID');
    const uid = /signin\/([A-Za-z0-9_-]+)\/local/.exec(chooser.body)![1]!;
    const page = await browser.get(`${tenantPath()}/signin/${uid}/local`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('id="passkey-slot"');
    const answer = await post(browser, `${tenantPath()}/signin/${uid}/local`, { csrf: csrfOf(html), email, password });
    return { sign, uid, answer, browser };
  }

  /** From the OP's 303 on to the app's callback, then the code redeemed: the ID token's verified claims. */
  async function finish(sign: Awaited<ReturnType<typeof beginAppSignIn>>, location: string) {
    const result = await sign.browser.follow(new URL(location, rig.publicUrl), atApp);
    expect(result.stopped, result.body.slice(0, 300)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(sign.config, result.url, {
      expectedState: sign.checks.state,
      expectedNonce: sign.checks.nonce,
      pkceCodeVerifier: sign.checks.codeVerifier,
    });
    return tokens.claims()!;
  }

  async function audit(action: string) {
    const res = await call(rig.t.app, 'GET', '/iam/v1/audit-events?limit=200', { token: rig.tenant.adminToken });
    return (res.json().items as { action: string; target: string | null; data: Record<string, unknown> }[]).filter(
      (e) => e.action === action,
    );
  }

  it('SCIM alone: SCIM creates a user → activation mail → password → sign-in to the app: sub is the SCIM id', async () => {
    const email = 'ann@scimalone.test';
    const id = await provision(email);
    // Sent after the SCIM request was answered, from the committed feed.
    const mail = await smtp.waitFor(email);
    const link = linkOf(mail.text);
    expect(link).toContain(`/${rig.tenant.tenantId}/signin/activate/`);
    expect((await audit('credentials.activation_queued')).some((e) => e.data.userId === id)).toBe(true);

    const { browser, pressed } = await redeem(link);
    expect(pressed.status).toBe(303);
    const weak = await enrolPassword(browser, 'password123');
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('too common');
    const short = await enrolPassword(browser, 'short');
    expect(short.body).toContain('at least 8');
    const set = await enrolPassword(browser, 'correct horse battery staple');
    expect(set.status).toBe(200);
    expect(set.body).toContain('authenticator');

    // Replay: the same link a second time is refused, and the refusal is audited.
    const again = await redeem(link);
    expect(again.pressed.status).toBe(410);
    expect((await audit('credentials.link_refused')).some((e) => e.data.reason === 'used')).toBe(true);

    const { sign, answer } = await passwordSignIn('ANN@scimalone.test', 'correct horse battery staple');
    expect(answer.status).toBe(303);
    const claims = await finish(sign, answer.location!);
    expect(claims.sub).toBe(id);
    const listed = await call(rig.t.app, 'GET', '/iam/v1/invitations', { token: rig.tenant.adminToken });
    expect(listed.json().items.find((i: { userId: string }) => i.userId === id)).toMatchObject({
      state: 'used',
      mail: 'sent',
      createdBy: 'activation',
    });
  });

  it('an admin invitation creates the subject; revoked, its link opens nothing', async () => {
    const first = await invite('ivan@scimalone.test');
    expect(first).toMatchObject({ email: 'ivan@scimalone.test', state: 'active' });
    const firstLink = linkOf((await smtp.waitFor('ivan@scimalone.test')).text);
    const revoked = await call(rig.t.app, 'DELETE', `/iam/v1/invitations/${first.id}`, {
      token: rig.tenant.adminToken,
    });
    expect(revoked.statusCode).toBe(204);
    expect((await redeem(firstLink)).pressed.status).toBe(410);
    const user = await scim(rig.t.app, rig.tenant, 'GET', `${rig.tenant.base}/Users/${first.userId}`);
    expect(user.json().userName).toBe('ivan@scimalone.test');
  });

  it('a password user with TOTP must pass both; a used code cannot be replayed', async () => {
    const email = 'tom@scimalone.test';
    const id = (await invite(email)).userId as string;
    const { browser } = await redeem(linkOf((await smtp.waitFor(email)).text));
    const totpPage = await enrolPassword(browser, 'a long enough passphrase');
    const secret = /<code>([A-Z2-7]+)<\/code>/.exec(totpPage.body)![1]!;
    expect(totpPage.body).toContain('otpauth://totp/');
    const epoch = () => Math.floor(rig.t.clock.now().getTime() / 1000);
    const wrong = await post(browser, `${tenantPath()}/signin/enrol/totp`, {
      csrf: csrfOf(totpPage.body),
      code: '000000',
    });
    expect(wrong.status).toBe(400);
    const fresh = /<code>([A-Z2-7]+)<\/code>/.exec(wrong.body)![1]!;
    const confirmed = await post(browser, `${tenantPath()}/signin/enrol/totp`, {
      csrf: csrfOf(wrong.body),
      code: await generate({ secret: fresh, epoch: epoch() }),
    });
    expect(confirmed.body).toContain('all set');
    expect(fresh).not.toBe(secret);

    rig.t.clock.advance(30_000);
    const { sign, uid, answer, browser: b } = await passwordSignIn(email, 'a long enough passphrase');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('authenticator app');
    const code = await generate({ secret: fresh, epoch: epoch() });
    const bad = await post(b, `${tenantPath()}/signin/${uid}/local/totp`, {
      csrf: csrfOf(answer.body),
      code: '123456',
    });
    expect(bad.status).toBe(401);
    const good = await post(b, `${tenantPath()}/signin/${uid}/local/totp`, { csrf: csrfOf(answer.body), code });
    expect(good.status).toBe(303);
    const claims = await finish(sign, good.location!);
    expect(claims.sub).toBe(id);
    expect((await audit('credentials.signed_in')).some((e) => e.target === id)).toBe(true);

    // The same code again, in a new sign-in within its window: spent.
    const replay = await passwordSignIn(email, 'a long enough passphrase');
    const refused = await post(replay.browser, `${tenantPath()}/signin/${replay.uid}/local/totp`, {
      csrf: csrfOf(replay.answer.body),
      code,
    });
    expect(refused.status).toBe(401);

    // Rotating ROSTER_SECRET_KEY re-seals the TOTP secret too (keys:reencrypt), so the old key can go.
    const keys = rig.t.db.store.keys;
    const sealedOf = async () =>
      (await keys.sealedValues()).find((v) => v.kind === 'totp_secret' && v.rowId === id)!.sealed;
    const k1 = rig.t.secretKey;
    const k2 = generateKeyText('k2');
    const toK2 = parseKeyring(`${k2},${k1}`);
    expect(sealedKeyId(await sealedOf())).toBe('k1');
    expect((await resealSecrets({ keys, keyring: toK2 })).unreadable).toEqual([]);
    const underK2 = await sealedOf();
    expect(sealedKeyId(underK2)).toBe('k2');
    expect(decryptSecret(toK2, underK2, totpSecretContext(rig.tenant.tenantId, id))).toBe(fresh);
    await resealSecrets({ keys, keyring: parseKeyring(`${k1},${k2}`) });
    expect(sealedKeyId(await sealedOf())).toBe('k1');
  });

  it('password reset: one answer for every address; the link works once; the new password signs in', async () => {
    const email = 'rita@scimalone.test';
    await invite(email);
    const { browser } = await redeem(linkOf((await smtp.waitFor(email)).text));
    await enrolPassword(browser, 'first password here');

    const ask = async (address: string) => {
      const b = new Browser();
      const form = await b.get(`${tenantPath()}/signin/reset`);
      return post(b, `${tenantPath()}/signin/reset`, { csrf: csrfOf(await form.text()), email: address });
    };
    const known = await ask(email);
    const unknown = await ask('nobody@scimalone.test');
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    const text = (html: string) => html.replace(/value="[^"]+"/g, '');
    expect(text(known.body)).toBe(text(unknown.body));

    const link = linkOf((await smtp.waitFor(email, 1)).text);
    expect(link).toContain('/signin/reset/');
    const { browser: b2, pressed } = await redeem(link);
    expect(pressed.status).toBe(303);
    await enrolPassword(b2, 'second password here');
    expect((await redeem(link)).pressed.status).toBe(410);

    const old = await passwordSignIn(email, 'first password here');
    expect(old.answer.status).toBe(401);
    const now = await passwordSignIn(email, 'second password here');
    expect(now.answer.status).toBe(303);
  });

  it('enumeration: unknown accounts get the same page, after Argon2 work as a wrong password does', async () => {
    const email = 'eve@scimalone.test';
    await invite(email);
    const { browser } = await redeem(linkOf((await smtp.waitFor(email)).text));
    await enrolPassword(browser, 'eves real password');

    const b = new Browser();
    const sign = await beginAppSignIn(rig, {}, b);
    const chooser = await b.follow(sign.authorizationUrl, atApp);
    const uid = /signin\/([A-Za-z0-9_-]+)\/local/.exec(chooser.body)![1]!;
    const html = await (await b.get(`${tenantPath()}/signin/${uid}/local`)).text();
    const attempt = async (address: string) => {
      const started = performance.now();
      const res = await post(b, `${tenantPath()}/signin/${uid}/local`, {
        csrf: csrfOf(html),
        email: address,
        password: 'not the password',
      });
      return { ...res, ms: performance.now() - started };
    };
    const times = { known: [] as number[], unknown: [] as number[] };
    let bodies: string[] = [];
    for (let i = 0; i < 4; i++) {
      const k = await attempt(email);
      const u = await attempt(`ghost${i}@scimalone.test`);
      expect([k.status, u.status]).toEqual([401, 401]);
      bodies = [k.body, u.body];
      times.known.push(k.ms);
      times.unknown.push(u.ms);
    }
    expect(bodies[0]).toBe(bodies[1]);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Not a timing assertion: an unknown account that skipped the hash would answer in a few milliseconds, an
    // Argon2 verification (19 MiB, 2 passes) takes tens. The ratio only shows the hash ran on both paths.
    expect(median(times.unknown)).toBeGreaterThan(0.3 * median(times.known));
    const reasons = (await audit('credentials.signin_refused')).map((e) => e.data.reason);
    expect(reasons).toContain('unknown_account');
    expect(reasons).toContain('wrong_password');
  });

  it('credential stuffing at one account is throttled (429), and the refusals are audited', async () => {
    const b = new Browser();
    const sign = await beginAppSignIn(rig, {}, b);
    const chooser = await b.follow(sign.authorizationUrl, atApp);
    const uid = /signin\/([A-Za-z0-9_-]+)\/local/.exec(chooser.body)![1]!;
    const html = await (await b.get(`${tenantPath()}/signin/${uid}/local`)).text();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await post(b, `${tenantPath()}/signin/${uid}/local`, {
        csrf: csrfOf(html),
        email: 'target@scimalone.test',
        password: `guess-${i}-password`,
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect((await audit('credentials.rate_limited')).length).toBeGreaterThanOrEqual(2);
    // A form without the CSRF token or from another origin is refused before any account work.
    const forged = await post(b, `${tenantPath()}/signin/${uid}/local`, {
      email: 'x@scimalone.test',
      password: 'whatever1',
    });
    expect(forged.status).toBe(403);
  });

  it('ssoRequiredForVerifiedDomains refuses the password and the invitation', async () => {
    const email = 'sam@sso-only.test';
    await invite(email);
    const { browser } = await redeem(linkOf((await smtp.waitFor(email)).text));
    await enrolPassword(browser, 'sams good password');
    // The domain verified (a real row of the store, as verification would leave it) and the policy on.
    const now = rig.t.clock.now().toISOString();
    await rig.t.db.store.domains.insert({
      id: randomUUID(),
      tenantId: rig.tenant.tenantId,
      domain: 'sso-only.test',
      status: 'verified',
      challenge: 'roster-verification=x',
      reason: null,
      failures: 0,
      createdAt: now,
      verifiedAt: now,
      checkedAt: now,
      nextCheckAt: now,
      leaseUntil: null,
    });
    const policy = await call(rig.t.app, 'PATCH', '/iam/v1/settings', {
      token: rig.tenant.adminToken,
      body: { domainPolicy: { ssoRequiredForVerifiedDomains: true } },
    });
    expect(policy.statusCode).toBe(200);
    const refused = await passwordSignIn(email, 'sams good password');
    expect(refused.answer.status).toBe(401);
    expect((await audit('credentials.signin_refused')).some((e) => e.data.reason === 'sso_required')).toBe(true);
    const again = await call(rig.t.app, 'POST', '/iam/v1/invitations', {
      token: rig.tenant.adminToken,
      body: { email: 'other@sso-only.test' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('invitations.sso_required');
    await call(rig.t.app, 'PATCH', '/iam/v1/settings', {
      token: rig.tenant.adminToken,
      body: { domainPolicy: { ssoRequiredForVerifiedDomains: false } },
    });
  });

  it('outside SCIM-alone mode the Roster ID page opens nothing, even by its URL', async () => {
    const off = async (scimAloneMode: boolean) =>
      call(rig.t.app, 'PATCH', '/iam/v1/settings', { token: rig.tenant.adminToken, body: { scimAloneMode } });
    await off(false);
    try {
      const b = new Browser();
      const sign = await beginAppSignIn(rig, {}, b);
      const toEntra = await b.follow(sign.authorizationUrl, (u) => u.origin === new URL(rig.entra.authority).origin);
      expect(toEntra.stopped).toBe(true);
      const uid = /signin\/([A-Za-z0-9_-]+)\/start/.exec(toEntra.hops.map((h) => h.url.pathname).join(' '))![1]!;
      const page = await b.get(`${tenantPath()}/signin/${uid}/local`);
      expect(page.status).toBe(404);
    } finally {
      await off(true);
    }
  });

  it('without ROSTER_SMTP_URL, invitations are refused with a clear problem', async () => {
    const t = await startTestApp(kind);
    try {
      const tenant = await call(t.app, 'POST', '/iam/v1/tenants', {
        token: 'test-operator-token-0123456789-abcdefghijklmnop',
        body: { name: 'NoMail' },
      });
      const res = await call(t.app, 'POST', '/iam/v1/invitations', {
        token: tenant.json().adminToken,
        body: { email: 'x@nomail.test' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'invitations.mail_not_configured' });
      expect(res.json().detail).toContain('ROSTER_SMTP_URL');
    } finally {
      await t.dispose();
    }
  });
});
