// Issue 12 item 5 (ADR 0035): the operator's branding and a tenant's override, on the admin API, the sign-in page
// (names the app and the tenant), the console's stylesheet and the home-realm page. Both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../src/http/console/layout.ts';
import { call, createTenant, OPERATOR_TOKEN } from '../support/app.ts';
import { PNG_LOGO, SVG_LOGO } from '../support/branding.ts';
import { Browser } from '../support/browser.ts';
import { atApp, beginAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('branding (%s)', (kind) => {
  let rig: SignInRig;
  let other: { id: string; adminToken: string };

  beforeAll(async () => {
    rig = await startSignInRig(kind, {}, false, { ROSTER_SIGNIN_INITIATE_LOGIN_URI: 'https://app.example/login' });
    // A second provider, so the sign-in page offers a choice instead of redirecting to the only one.
    const second = await call(rig.t.app, 'POST', '/iam/v1/sso/azuread', {
      token: rig.tenant.adminToken,
      body: { scheme: 'entra-emea', ...rig.providerBody({ displayName: 'Contoso EMEA' }) },
    });
    expect(second.statusCode).toBe(201);
    other = await createTenant(rig.t.app, 'Fabrikam');
  }, 60_000);
  afterAll(() => rig?.dispose());

  const operator = (method: 'GET' | 'PATCH', body?: unknown, token = OPERATOR_TOKEN) =>
    call(rig.t.app, method, '/iam/v1/operator/branding', { token, ...(body === undefined ? {} : { body }) });
  const tenant = (method: 'GET' | 'PATCH', token: string, body?: unknown) =>
    call(rig.t.app, method, '/iam/v1/branding', { token, ...(body === undefined ? {} : { body }) });
  const brandCss = async (tenantId?: string) =>
    (await call(rig.t.app, 'GET', `/console/assets/brand.css${tenantId ? `?tenant=${tenantId}` : ''}`)).body;

  async function signInPage(): Promise<string> {
    const sign = await beginAppSignIn(rig, {}, new Browser());
    const page = await sign.browser.follow(sign.authorizationUrl, atApp);
    expect(page.status).toBe(200);
    return page.body;
  }

  it('refuses bad colours, logos and fields with a problem+json 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ accentColor: 'red' }, 'accentColor'],
      [{ accentColor: '#12345' }, 'accentColor'],
      [{ accentColor: '#1234567' }, 'accentColor'],
      [{ logoUrl: 'https://cdn.example/logo.png' }, 'logoUrl'],
      [{ logoUrl: 'javascript:alert(1)' }, 'logoUrl'],
      [{ logoUrl: `data:image/png;base64,${Buffer.from('<svg>not a png</svg>').toString('base64')}` }, 'logoUrl'],
      [{ logoUrl: `data:image/png;base64,${'A'.repeat(30_000)}` }, 'logoUrl'],
      [{ productName: '' }, 'productName'],
      [{ productName: 'x'.repeat(61) }, 'productName'],
      [{ productName: 42 }, 'productName'],
    ];
    for (const [body, field] of cases) {
      for (const res of [await operator('PATCH', body), await tenant('PATCH', rig.tenant.adminToken, body)]) {
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().errors?.[0]?.field ?? res.body, JSON.stringify(body)).toContain(field);
      }
    }
    const unknown = await operator('PATCH', { colour: '#000000' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    // Nothing was stored by the refusals.
    expect((await operator('GET')).json()).toEqual({ productName: null, logoUrl: null, accentColor: null });
  });

  it('a tenant admin can change neither the operator’s branding nor another tenant’s', async () => {
    expect((await operator('PATCH', { productName: 'Mine' }, rig.tenant.adminToken)).statusCode).toBe(403);
    expect((await operator('GET', undefined, rig.tenant.adminToken)).statusCode).toBe(403);
    // The operator token is no tenant admin: the tenant resource is not its to change.
    expect((await tenant('PATCH', OPERATOR_TOKEN, { productName: 'Theirs' })).statusCode).toBe(403);
    // A tenant's PATCH touches only its own row: the other tenant still inherits.
    const own = await tenant('PATCH', rig.tenant.adminToken, { accentColor: '#FFD54F' });
    expect(own.json()).toEqual({ productName: null, logoUrl: null, accentColor: '#ffd54f' });
    expect((await tenant('GET', other.adminToken)).json()).toEqual({
      productName: null,
      logoUrl: null,
      accentColor: null,
    });
    expect(await brandCss(other.id)).not.toContain('#ffd54f');
    await tenant('PATCH', rig.tenant.adminToken, { accentColor: null });
  });

  it('the sign-in page names the app and the tenant and carries the branding; the override wins, null inherits', async () => {
    const set = await operator('PATCH', {
      productName: 'Northwind <Identity>',
      accentColor: '#0B3D91',
      logoUrl: PNG_LOGO,
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({ productName: 'Northwind <Identity>', logoUrl: PNG_LOGO, accentColor: '#0b3d91' });

    let body = await signInPage();
    expect(body).toContain('<h1>Sign in to Vendor app</h1>');
    expect(body).toContain('with your Contoso account');
    expect(body).toContain('Northwind &lt;Identity&gt;');
    expect(body).not.toContain('Northwind <Identity>');
    expect(body).toContain(`<img src="${PNG_LOGO}" alt=""`);
    // White text over a dark accent.
    expect(body).toContain(':root{--accent:#0b3d91;--accent-ink:#ffffff}');

    // The tenant's override wins field by field; what it leaves null comes from the operator.
    const override = await tenant('PATCH', rig.tenant.adminToken, { accentColor: '#ffd54f', logoUrl: SVG_LOGO });
    expect(override.statusCode, override.body).toBe(200);
    body = await signInPage();
    expect(body).toContain(':root{--accent:#ffd54f;--accent-ink:#000000}');
    expect(body).toContain(`<img src="${SVG_LOGO}"`);
    expect(body).toContain('Northwind &lt;Identity&gt;');
    expect(await brandCss(rig.tenant.tenantId)).toContain('--brand:#ffd54f;--brand-ink:#000000');
    expect(await brandCss(other.id)).toContain('--brand:#0b3d91;--brand-ink:#ffffff');
    expect(await brandCss()).toContain('--brand:#0b3d91');

    // Back to null: inherits the operator's again.
    await tenant('PATCH', rig.tenant.adminToken, { accentColor: null, logoUrl: null });
    body = await signInPage();
    expect(body).toContain(':root{--accent:#0b3d91;');
    expect(body).toContain(`<img src="${PNG_LOGO}"`);

    // The tenant's change is in its audit trail, without the values.
    const audit = await call(rig.t.app, 'GET', '/iam/v1/audit-events?limit=50', { token: rig.tenant.adminToken });
    const entries = (audit.json().items as { action: string; data: { fields?: string[] } }[]).filter(
      (e) => e.action === 'branding.updated',
    );
    expect(entries.map((e) => e.data.fields)).toContainEqual(['accentColor', 'logoUrl']);
  });

  it('the console stylesheet, the console pages and the home-realm page keep their CSP', async () => {
    const css = await call(rig.t.app, 'GET', `/console/assets/brand.css?tenant=${rig.tenant.tenantId}`);
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['content-security-policy']).toBe(CONSOLE_CSP);
    // An id that is not a tenant's, or not an id at all: the operator's branding, never an error.
    expect((await call(rig.t.app, 'GET', '/console/assets/brand.css?tenant=%3C%2Fstyle%3E')).statusCode).toBe(200);

    const login = await call(rig.t.app, 'GET', '/console/login');
    expect(login.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(login.body).toContain('Northwind &lt;Identity&gt; console');
    expect(login.body).toContain('<link rel="stylesheet" href="/console/assets/brand.css">');

    const hrd = await call(rig.t.app, 'GET', '/signin');
    expect(hrd.statusCode).toBe(200);
    expect(hrd.headers['content-security-policy']).toContain("default-src 'none'");
    expect(hrd.body).toContain('Northwind &lt;Identity&gt;');
    expect(hrd.body).toContain(`<img src="${PNG_LOGO}"`);
  });
  it("a setup link's pages wear its tenant's branding; unknown links and error pages the operator's", async () => {
    expect((await tenant('PATCH', other.adminToken, { productName: 'Fabrikam Portal' })).statusCode).toBe(200);
    const created = await call(rig.t.app, 'POST', `/iam/v1/tenants/${other.id}/setup-links`, {
      token: OPERATOR_TOKEN,
      body: {},
    });
    expect(created.statusCode).toBe(201);
    const path = new URL(created.json().url).pathname;
    const tenantSheet = `<link rel="stylesheet" href="/console/assets/brand.css?tenant=${other.id}">`;
    const operatorSheet = '<link rel="stylesheet" href="/console/assets/brand.css">';

    const open = await call(rig.t.app, 'GET', path);
    expect(open.statusCode).toBe(200);
    expect(open.body).toContain('Fabrikam Portal');
    expect(open.body).toContain(tenantSheet);

    // Spent: the refusal still knows whose link it was.
    const origin = { origin: new URL(rig.publicUrl).origin };
    expect((await call(rig.t.app, 'POST', path, { headers: origin })).statusCode).toBe(303);
    const spent = await call(rig.t.app, 'POST', path, { headers: origin });
    expect(spent.statusCode).toBe(410);
    expect(spent.body).toContain('Fabrikam Portal');
    expect(spent.body).toContain(tenantSheet);

    // A guessed link learns nothing about any tenant: the operator's branding, as on the console's error pages.
    const guessed = `${path.slice(0, -4)}AAAA`;
    for (const res of [
      await call(rig.t.app, 'GET', guessed),
      await call(rig.t.app, 'POST', guessed, { headers: origin }),
      await call(rig.t.app, 'GET', '/console/no-such-page'),
    ]) {
      expect(res.body).toContain('Northwind &lt;Identity&gt;');
      expect(res.body).not.toContain('Fabrikam Portal');
      expect(res.body).toContain(operatorSheet);
    }
  });
});
