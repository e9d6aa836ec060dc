// Test sign-in (ADR 0029): a real sign-in through the stand-in Entra ID, recorded instead of completed — the claims,
// the subject it resolves to (same rule as sign-in, nothing bound or created) or why it is refused; no OP session,
// no app code.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, createTenant } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { entraUser, scim } from '../support/scim.ts';
import { beginAppSignIn, completeAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('test sign-in (%s)', (kind) => {
  let rig: SignInRig;
  beforeAll(async () => {
    rig = await startSignInRig(kind);
  });
  afterAll(() => rig?.dispose());
  beforeEach(async () => {
    await setProvider({ autoProvisioningEnabled: false });
  });

  async function setProvider(properties: Record<string, unknown>) {
    const res = await call(rig.t.app, 'PUT', '/iam/v1/sso/entra', {
      token: rig.tenant.adminToken,
      body: { scheme: 'entra', ...rig.providerBody({ properties }) },
    });
    expect(res.statusCode).toBe(200);
  }

  async function provision(userName: string, externalId: string) {
    const res = await scim(rig.t.app, rig.tenant, 'POST', `${rig.tenant.base}/Users`, entraUser(userName, externalId));
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  }

  async function startTest(): Promise<{ id: string; url: string }> {
    const res = await call(rig.t.app, 'POST', '/iam/v1/sso/entra/test-signin', { token: rig.tenant.adminToken });
    expect(res.statusCode).toBe(201);
    return res.json();
  }

  async function outcomeOf(id: string) {
    const res = await call(rig.t.app, 'GET', `/iam/v1/sso/test-signins/${id}`, { token: rig.tenant.adminToken });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  async function count(query: ReturnType<typeof sql<{ n: number | string }>>): Promise<number> {
    return Number((await query.execute(rig.t.db.store.db)).rows[0]?.n);
  }
  const opState = () =>
    count(sql`select count(*) as n from oidc_payloads where tenant_id = ${rig.tenant.tenantId}
      and model in ('Session', 'AuthorizationCode', 'Grant', 'AccessToken', 'Interaction')`);
  const bindings = () =>
    count(sql`select count(*) as n from upstream_identities where tenant_id = ${rig.tenant.tenantId}`);
  const users = () => count(sql`select count(*) as n from scim_users where tenant_id = ${rig.tenant.tenantId}`);

  /** Opens the URL in a fresh browser and follows the redirects to the page it lands on. */
  async function run(url: URL | string, browser = new Browser()) {
    const result = await browser.follow(url, () => false);
    return { ...result, browser };
  }

  it('resolves a provisioned user and shows the claims, signing no one in', async () => {
    const oid = randomUUID();
    const userId = await provision('ada@contoso.com', oid);
    rig.entra.signInAs({ oid, upn: 'ada@contoso.com', name: 'Ada <Lovelace>', email: 'ada@contoso.com' });
    const before = { op: await opState(), bindings: await bindings() };

    const test = await startTest();
    expect(test.url).toBe(
      `${rig.publicUrl}/${rig.tenant.tenantId}/signin/test/${test.id}?key=${test.url.split('key=')[1]}`,
    );
    expect((await outcomeOf(test.id)).status).toBe('pending');
    const landed = await run(test.url);
    expect(landed.status).toBe(200);
    expect(landed.url.pathname).toBe(`/${rig.tenant.tenantId}/signin/test/${test.id}/return`);
    // The browser went to the IdP through the tenant's registered redirect URI, as a real sign-in does.
    expect(landed.hops.some((h) => h.url.pathname === `/${rig.tenant.tenantId}/signin/callback`)).toBe(true);
    expect(landed.body).toContain('Test sign-in succeeded');
    expect(landed.body).toContain('<strong>ada@contoso.com</strong>');
    expect(landed.body).toContain('Ada &lt;Lovelace&gt;');
    expect(landed.body).not.toContain('Ada <Lovelace>');

    const got = await outcomeOf(test.id);
    expect(got).toMatchObject({ status: 'finished', provider: 'entra' });
    expect(got.outcome).toMatchObject({
      result: 'resolved',
      reason: null,
      subject: { userId, userName: 'ada@contoso.com', how: 'would link', rule: 'externalId' },
    });
    expect(got.outcome.claims).toMatchObject({ oid, preferred_username: 'ada@contoso.com', tid: rig.entra.tid });
    expect(got.outcome.claims.nonce).toBeUndefined();
    expect(JSON.stringify(got)).not.toMatch(/eyJ[A-Za-z0-9_-]+\./); // no JWT of any kind

    // Nothing signed in: no OP session, grant, code or interaction, no binding, no Roster cookie but the test's.
    expect(await opState()).toBe(before.op);
    expect(await bindings()).toBe(before.bindings);
    // (The jar keys cookies by host: the stand-in Entra's own, also on 127.0.0.1, are named entra_….)
    const cookies = landed.browser.jar.header(new URL(`${rig.publicUrl}/${rig.tenant.tenantId}/oidc/auth`));
    expect(cookies.split('; ').filter((c) => c !== '' && !c.startsWith('entra_'))).toEqual([]);
    const audit = (await call(rig.t.app, 'GET', '/iam/v1/audit-events?limit=50', { token: rig.tenant.adminToken }))
      .json()
      .items.map((e: { action: string }) => e.action);
    expect(audit.filter((a: string) => a.startsWith('signin.'))).toEqual([]);
    expect(audit).toEqual(expect.arrayContaining(['sso.test_signin.created', 'sso.test_signin.finished']));
  });

  it('says why an unknown user is refused without auto-provisioning, and "would be created" with it', async () => {
    const person = { oid: randomUUID(), upn: 'newcomer@contoso.com' };
    rig.entra.signInAs(person);
    const refused = await startTest();
    const page = await run(refused.url);
    expect(page.body).toContain('Test sign-in refused');
    expect(page.body).toContain('no Roster user matches this identity');
    const outcome = (await outcomeOf(refused.id)).outcome;
    expect(outcome).toMatchObject({ result: 'refused', reason: 'no_subject' });
    expect(outcome.explanation).toMatch(/auto-provisioning is off/);
    expect(outcome.claims.preferred_username).toBe('newcomer@contoso.com');

    await setProvider({ autoProvisioningEnabled: true });
    const before = await users();
    const created = await startTest();
    expect((await run(created.url)).body).toContain('would be created');
    expect((await outcomeOf(created.id)).outcome).toMatchObject({
      result: 'resolved',
      subject: { userId: null, userName: 'newcomer@contoso.com', how: 'would be created' },
    });
    expect(await users()).toBe(before);
  });

  it('starts once, and finishes only in the browser that started it', async () => {
    const oid = randomUUID();
    await provision('grace@contoso.com', oid);
    rig.entra.signInAs({ oid, upn: 'grace@contoso.com' });
    const test = await startTest();
    const first = new Browser();
    const callback = await first.follow(test.url, (u) => u.pathname.endsWith('/signin/callback'));
    expect(callback.stopped).toBe(true);

    const again = await run(test.url);
    expect(again.status).toBe(409);
    expect(again.body).toContain('already started');
    const forged = await run(test.url.replace(/key=.*/, `key=${'A'.repeat(43)}`));
    expect(forged.status).toBe(404);
    // Its pages carry the sign-in pages' policy: no script at all, no framing.
    const page = await rig.t.app.inject({ method: 'GET', url: new URL(test.url).pathname + '?key=x' });
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");

    // Another browser replays the callback: the state is spent on a refusal, never resolved for that browser.
    const other = await run(callback.url);
    expect(other.body).toContain('refused');
    expect((await outcomeOf(test.id)).outcome).toEqual(
      expect.objectContaining({ result: 'refused', reason: 'state_mismatch', claims: null, subject: null }),
    );
    // The first browser's own return now shows the recorded outcome, not a second resolution.
    const mine = await first.follow(callback.url, () => false);
    expect(mine.body).toContain('refused');
  });

  it('cannot be started after 10 minutes', async () => {
    const test = await startTest();
    rig.t.clock.advance(10 * 60_000);
    try {
      const late = await run(test.url);
      expect(late.status).toBe(410);
      expect(late.body).toContain('expired');
      expect((await outcomeOf(test.id)).status).toBe('pending');
    } finally {
      rig.t.clock.advance(-10 * 60_000);
    }
  });

  it("is the admin's own: another tenant cannot read it, nor test another tenant's provider", async () => {
    const test = await startTest();
    const stranger = await createTenant(rig.t.app, 'Stranger');
    const read = await call(rig.t.app, 'GET', `/iam/v1/sso/test-signins/${test.id}`, { token: stranger.adminToken });
    expect(read.statusCode).toBe(404);
    expect(read.json().code).toBe('test_signin.not_found');
    const start = await call(rig.t.app, 'POST', '/iam/v1/sso/entra/test-signin', { token: stranger.adminToken });
    expect(start.statusCode).toBe(404);
    expect(start.json().code).toBe('sso.not_found');
  });

  it('leaves the first real sign-in to the checklist', async () => {
    const steps = async () =>
      (await call(rig.t.app, 'GET', '/iam/v1/setup', { token: rig.tenant.adminToken })).json().steps as {
        id: string;
        done: boolean;
      }[];
    expect((await steps()).find((s) => s.id === 'first_sign_in')?.done).toBe(false);
    const oid = randomUUID();
    await provision('linus@contoso.com', oid);
    rig.entra.signInAs({ oid, upn: 'linus@contoso.com' });
    const sign = await beginAppSignIn(rig, { idp_hint: 'entra' });
    await completeAppSignIn(sign, rig);
    expect((await steps()).find((s) => s.id === 'first_sign_in')?.done).toBe(true);
  });
});
