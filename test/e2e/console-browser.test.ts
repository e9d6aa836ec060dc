// A newcomer IT admin does seed 002 in the console, in a real browser (Debian's chromium through playwright-core),
// on both stores: open a setup link, register the Azure AD provider (the stand-in Entra ID) and copy the redirect
// URI, create a SCIM token and copy it, watch Entra's SCIM sequence arrive (users, log entries, a failure explained),
// revoke the token. Every page is checked with axe (no serious or critical violation); the main actions are done
// with the keyboard alone; spent, expired and revoked links open nothing. ROSTER_SCREENSHOTS=1 writes docs/console/.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, OPERATOR_TOKEN, startTestApp, type TestApp } from '../support/app.ts';
import { computed, naturalWidth, PNG_LOGO } from '../support/branding.ts';
import { type FakeEntra, startFakeEntra } from '../support/fake-entra.ts';
import { freePort } from '../support/free-port.ts';
import { httpClient } from '../support/http.ts';
import { entraReplay } from '../support/replays.ts';
import { entraUser } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = process.env.ROSTER_SCREENSHOTS === '1' ? join(import.meta.dirname, '../../docs/console') : undefined;
const ENTRA_APP = { clientId: 'entra-app-id', clientSecret: 'entra-app-secret-value' };

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
}, 60_000);
afterAll(async () => browser?.close());

/**
 * No serious or critical accessibility violation on the page as it stands. Checked on the SQLite pass only: the
 * pages' markup does not depend on the store, and axe costs seconds a page on a loaded machine.
 */
async function accessible(page: Page, kind: string): Promise<void> {
  if (kind !== 'sqlite') return;
  // Legacy mode runs axe.run() in the page itself instead of runPartial() plus finishRun() in a blank page it opens
  // and injects axe into again: the same rules and results for these pages, which have no frames, in half the time.
  const result = await new AxeBuilder({ page })
    .setLegacyMode()
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    page.url(),
  ).toEqual([]);
}

/** Moves focus with Tab alone until the control named `name` has it, then presses Enter (keyboard-only use). */
async function tabAndPress(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string>("document.activeElement?.textContent?.trim() ?? ''");
    if (focused === name) {
      await page.keyboard.press('Enter');
      return;
    }
  }
  throw new Error(`"${name}" cannot be reached with Tab on ${page.url()}`);
}

async function shot(page: Page, kind: string, name: string): Promise<void> {
  if (SHOTS && kind === 'sqlite') await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function copied(page: Page, field: string): Promise<string> {
  await page
    .getByRole('button', { name: 'Copy' })
    .and(page.locator(`[data-copy="${field}"]`))
    .click();
  await expect.poll(() => page.locator(`[data-copy="${field}"]`).textContent()).toBe('Copied');
  return page.evaluate('navigator.clipboard.readText()');
}

const T0 = Date.now();
const step = (what: string) =>
  process.env.CONSOLE_TEST_TRACE && console.log(`${((Date.now() - T0) / 1000).toFixed(1)}s ${what}`);

describe.each(STORE_KINDS)('the console in chromium (%s)', (kind) => {
  let t: TestApp;
  let publicUrl: string;
  let tenantId: string;
  let entra: FakeEntra;

  const setupLink = async (expiresInMinutes?: number) => {
    const res = await call(t.app, 'POST', `/iam/v1/tenants/${tenantId}/setup-links`, {
      token: OPERATOR_TOKEN,
      body: expiresInMinutes === undefined ? {} : { expiresInMinutes },
    });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; url: string };
  };

  beforeAll(async () => {
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    t = await startTestApp(kind, { ROSTER_PUBLIC_URL: publicUrl });
    await t.app.listen({ port, host: '127.0.0.1' });
    tenantId = (await createTenant(t.app, 'Contoso')).id;
    // The operator's branding (ADR 0035): every page below is checked with axe as branded.
    const brand = await call(t.app, 'PATCH', '/iam/v1/operator/branding', {
      token: OPERATOR_TOKEN,
      body: { productName: 'Northwind Identity', logoUrl: PNG_LOGO, accentColor: '#ffd54f' },
    });
    expect(brand.statusCode).toBe(200);
    entra = await startFakeEntra({ ...ENTRA_APP, redirectUri: `${publicUrl}/${tenantId}/signin/callback` });
  }, 60_000);
  afterAll(async () => {
    await entra?.close();
    await t?.dispose();
  });

  it('plays seed 002 end to end: setup link → provider → SCIM token → provisioning → revoke', async () => {
    const link = await setupLink();
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: publicUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const scriptErrors: string[] = [];
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    page.on('dialog', (dialog) => dialog.accept());

    step('1');
    // 1. The setup link: a page with one button, then the console, signed in.
    const opened = await page.goto(link.url);
    expect(opened?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('Set up single sign-on and provisioning');
    await accessible(page, kind);
    await shot(page, kind, '01-setup-link');
    await tabAndPress(page, 'Open the console');
    await page.waitForURL(`${publicUrl}/console`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    expect(await page.locator('.tenant').textContent()).toBe('Contoso');
    expect(await page.locator('header .brand').textContent()).toBe('Northwind Identity console Contoso');
    expect(await page.title()).toBe('Overview · Northwind Identity console');
    // The accent comes from /console/assets/brand.css (no inline style), with black text over the light colour.
    const header = page.locator('header.top');
    expect(await computed(header, 'backgroundColor')).toBe('rgb(255, 213, 79)');
    expect(await computed(header, 'color')).toBe('rgb(0, 0, 0)');
    expect(await naturalWidth(page.locator('header .brand img'))).toBe(1);
    expect(await page.getByRole('heading', { level: 2 }).textContent()).toBe('Setup checklist: 0 of 6 done');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'roster-console', httpOnly: true, sameSite: 'Strict', path: '/' });
    await accessible(page, kind);
    await shot(page, kind, '02-overview');

    // The Domains page: claim a domain with the keyboard-reachable form; the TXT record to publish is shown.
    await page.getByRole('link', { name: 'Domains' }).click();
    await page.locator('#f-domain').fill('contoso.test');
    await page.getByRole('button', { name: 'Claim domain' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 3 }).textContent()).toBe('contoso.test (pending)');
    expect(await page.getByLabel('TXT record name').inputValue()).toBe('_roster-challenge.contoso.test');
    expect(await page.getByLabel('TXT record value').inputValue()).toMatch(/^roster-verification=/);
    await accessible(page, kind);
    await shot(page, kind, '19-domains');
    await page.getByRole('link', { name: 'Overview' }).click();

    step('2');
    // 2. Register the Azure AD provider: first with the multi-tenant authority, refused inline; then right.
    await page.getByRole('link', { name: 'SSO providers' }).click();
    await accessible(page, kind);
    await page.getByRole('link', { name: 'Register an Azure AD provider' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Register an Azure AD provider');
    await page.getByLabel('Scheme').fill('entra');
    await page.getByLabel('Display name').fill('Contoso Entra ID');
    await page.getByLabel('Application (client) ID').fill(ENTRA_APP.clientId);
    await page.getByLabel('Client secret').fill(ENTRA_APP.clientSecret);
    await page.getByLabel('Authority').fill('https://login.microsoftonline.com/common/v2.0');
    await page.getByRole('button', { name: 'Register provider' }).click();
    const authority = page.getByLabel('Authority');
    expect(await authority.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#error-properties-authority').textContent()).toMatch(/common|directory/i);
    await accessible(page, kind);
    await shot(page, kind, '03-sso-validation');
    await authority.fill(entra.authority);
    await page.getByLabel('Client secret').fill(ENTRA_APP.clientSecret);
    await authority.focus();
    await tabAndPress(page, 'Register provider');
    await page.waitForURL(`${publicUrl}/console/sso/entra?saved=created`);
    expect(await page.getByRole('status').textContent()).toBe('Provider registered.');
    const redirectUri = await copied(page, 'redirect-uri');
    expect(redirectUri).toBe(`${publicUrl}/${tenantId}/signin/callback`);
    expect(await page.content()).not.toContain(ENTRA_APP.clientSecret);
    await page.getByRole('button', { name: 'I have registered this redirect URI in Entra ID' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Redirect URI confirmed.');
    await accessible(page, kind);
    await shot(page, kind, '04-sso-provider');

    step('3');
    // 3. Create a SCIM token with the keyboard; copy the Tenant URL and the token shown once.
    await page.getByRole('link', { name: 'SCIM tokens' }).click();
    expect(await page.textContent('main')).toContain('create the new token first');
    await accessible(page, kind);
    await page.getByLabel('Label').focus();
    await tabAndPress(page, 'Create SCIM token');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('SCIM token created');
    expect(await page.getByRole('alert').textContent()).toContain('It will not be shown again');
    const tenantUrl = await copied(page, 'tenant-url');
    expect(tenantUrl).toBe(`${publicUrl}/${tenantId}/api/scim/v2`);
    const scimToken = await copied(page, 'scim-token');
    expect(scimToken).toMatch(/^scim_/);
    await accessible(page, kind);
    await shot(page, kind, '05-scim-token-created');
    await page.getByRole('link', { name: 'Back to SCIM tokens' }).click();
    expect(await page.content()).not.toContain(scimToken);
    expect(await page.locator('table').textContent()).toContain('Never used');

    step('4');
    // 4. Entra ID's provisioning sequence, with the token and Tenant URL as copied, over HTTP.
    const adminOid = randomUUID();
    const client = httpClient([publicUrl]);
    try {
      await entraReplay(client, { scimToken, base: new URL(tenantUrl).pathname });
      // The IT admin is assigned to the app too, so the test sign-in below resolves to them.
      const me = await client.send('POST', `${new URL(tenantUrl).pathname}/Users`, {
        token: scimToken,
        body: entraUser('it.admin@contoso.com', adminOid),
        headers: { 'content-type': 'application/scim+json' },
      });
      expect(me.status).toBe(201);
    } finally {
      await client.close();
    }

    step('5');
    // 5. Users and log entries appear; failures are highlighted and explained.
    await page.getByRole('link', { name: 'Users' }).click();
    const users = page.locator('table tbody tr');
    expect(await users.count()).toBeGreaterThan(10);
    expect(await page.locator('table').textContent()).toContain('pager00@contoso.com');
    await accessible(page, kind);
    await shot(page, kind, '06-users');
    await page.getByRole('link', { name: 'pager00@contoso.com' }).click();
    expect(await page.textContent('main')).toContain('Recent provisioning');
    expect(await page.locator('dl').textContent()).toContain('Active');
    await accessible(page, kind);
    await shot(page, kind, '07-user');

    await page.getByRole('link', { name: 'Provisioning log' }).click();
    expect(await page.locator('svg title').textContent()).toMatch(/requests, [1-9]\d* failed/);
    expect(await page.locator('tr.failure').count()).toBeGreaterThan(0);
    await accessible(page, kind);
    await shot(page, kind, '08-provisioning-log');
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Filter' }).click();
    const failures = page.locator('table.log tbody tr');
    expect(await failures.count()).toBe(await page.locator('tr.failure').count());
    expect(await page.locator('table.log').textContent()).toMatch(/already exists/i);
    await shot(page, kind, '09-failures');

    await page.getByRole('link', { name: 'Groups' }).click();
    expect(await page.locator('table tbody tr').count()).toBeGreaterThan(0);
    await accessible(page, kind);
    await page.getByRole('link', { name: 'Audit log' }).click();
    expect(await page.locator('table').textContent()).toContain('scim_token.created');
    expect(await page.locator('table').textContent()).toContain(`setup_link:${link.id}`);
    await accessible(page, kind);
    await shot(page, kind, '10-audit');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await accessible(page, kind);

    await page.getByRole('link', { name: 'Overview' }).click();
    expect(await page.getByRole('heading', { level: 2 }).textContent()).toBe('Setup checklist: 5 of 6 done');
    expect(await page.locator('[aria-current=step]').textContent()).toContain('First sign-in seen');

    step('6');
    // 6. Test sign-in: in a new tab, through the stand-in Entra ID, resolved to the provisioned admin.
    entra.signInAs({ oid: adminOid, upn: 'it.admin@contoso.com', name: 'Ingrid <Admin>' });
    await page.getByRole('link', { name: 'SSO providers' }).click();
    await page.getByRole('link', { name: 'Contoso Entra ID' }).click();
    await page.getByRole('button', { name: 'Test sign-in' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Test sign-in ready');
    await accessible(page, kind);
    const [tab] = await Promise.all([
      context.waitForEvent('page'),
      page.getByRole('link', { name: 'Open the test sign-in in a new tab' }).click(),
    ]);
    await tab.waitForLoadState();
    await expect.poll(() => tab.getByRole('heading', { level: 1 }).textContent()).toBe('Test sign-in succeeded');
    expect(await tab.textContent('main')).toContain('it.admin@contoso.com');
    await shot(tab, kind, '17-test-signin-tab');
    await tab.close();
    await page.getByRole('link', { name: 'see the outcome here' }).click();
    expect(await page.getByRole('status').textContent()).toContain('succeeded');
    expect(await page.textContent('main')).toContain('it.admin@contoso.com');
    expect(await page.textContent('main')).toContain('Ingrid <Admin>');
    await accessible(page, kind);
    await shot(page, kind, '18-test-signin-outcome');

    step('7');
    // 7. Revoke the token: a confirmation page (and a dialog), then Entra's next request is refused.
    await page.getByRole('link', { name: 'SCIM tokens' }).click();
    expect(await page.locator('table').textContent()).not.toContain('Never used');
    await page.getByRole('link', { name: /^Revoke/ }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Revoke this SCIM token?');
    await accessible(page, kind);
    await shot(page, kind, '11-revoke');
    await tabAndPress(page, 'Revoke token');
    await page.waitForURL(`${publicUrl}/console/scim-tokens?revoked=1`);
    expect(await page.getByRole('status').textContent()).toContain('Token revoked');
    const refused = await fetch(`${tenantUrl}/Users`, { headers: { authorization: `Bearer ${scimToken}` } });
    expect(refused.status).toBe(401);

    // Sign out ends the session.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Signed out');
    await page.goto(`${publicUrl}/console/users`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await accessible(page, kind);
    await shot(page, kind, '12-sign-in');
    expect(scriptErrors).toEqual([]);
    await context.close();
  }, 240_000);

  it('shows a clear page for a spent, an expired and a revoked link, and starts no session', async () => {
    const spent = await setupLink();
    const expired = await setupLink(1);
    const revoked = await setupLink();
    const del = await call(t.app, 'DELETE', `/iam/v1/tenants/${tenantId}/setup-links/${revoked.id}`, {
      token: OPERATOR_TOKEN,
    });
    expect(del.statusCode).toBe(204);
    const first = await browser.newContext();
    const used = await first.newPage();
    used.setDefaultTimeout(15_000);
    await used.goto(spent.url);
    await used.getByRole('button', { name: 'Open the console' }).click();
    await used.waitForURL(`${publicUrl}/console`);
    await first.close();
    t.clock.advance(2 * 60_000);

    // The four refusals are one template with another sentence (src/http/console/setup-pages.ts); axe checks it
    // once as the tenant's (a link that resolves) and once as the operator's (an unknown link).
    const cases = [
      [spent.url, 'This setup link has already been used', '13-link-used', true],
      [expired.url, 'This setup link has expired', '14-link-expired', false],
      [revoked.url, 'This setup link was withdrawn', '15-link-revoked', false],
      [`${publicUrl}/console/setup/not-a-link`, 'This setup link is not valid', '16-link-unknown', true],
    ] as const;
    for (const [url, heading, name, checkAxe] of cases) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url);
      await page.getByRole('button', { name: 'Open the console' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(heading);
      expect(await context.cookies()).toEqual([]);
      if (checkAxe) await accessible(page, kind);
      await shot(page, kind, name);
      await page.goto(`${publicUrl}/console`);
      expect(new URL(page.url()).pathname).toBe('/console/login');
      await context.close();
    }
  }, 180_000);
});
