// The sign-in page in a real browser (Debian's chromium through playwright-core): choose a provider, pass through
// the stand-in Entra ID, arrive at the app with a code that redeems to the SCIM subject.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import * as oidc from 'openid-client';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../src/lib/html.ts';
import { call, OPERATOR_TOKEN } from '../support/app.ts';
import { computed, naturalWidth, PNG_LOGO } from '../support/branding.ts';
import { entraUser, scim } from '../support/scim.ts';
import { APP_REDIRECT, beginAppSignIn, type SignInRig, startSignInRig } from '../support/signin.ts';
import { STORE_KINDS } from '../support/stores.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe.each(STORE_KINDS)('sign-in page in chromium (%s)', (kind) => {
  let rig: SignInRig;
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `chromium not found at ${CHROMIUM}: install it with "apt-get install chromium" (or set CHROMIUM_PATH)`,
      );
    }
    rig = await startSignInRig(kind);
    // A second visible provider, so the page offers a choice instead of redirecting straight away.
    const second = await call(rig.t.app, 'POST', '/iam/v1/sso/azuread', {
      token: rig.tenant.adminToken,
      body: { scheme: 'entra-emea', ...rig.providerBody({ displayName: 'Contoso EMEA' }) },
    });
    expect(second.statusCode).toBe(201);
    // Branded (ADR 0035): the operator's name and logo, the tenant's light accent (so the text over it is black).
    const brand = await call(rig.t.app, 'PATCH', '/iam/v1/operator/branding', {
      token: OPERATOR_TOKEN,
      body: { productName: 'Northwind Identity', logoUrl: PNG_LOGO, accentColor: '#0b3d91' },
    });
    expect(brand.statusCode).toBe(200);
    const override = await call(rig.t.app, 'PATCH', '/iam/v1/branding', {
      token: rig.tenant.adminToken,
      body: { accentColor: '#ffd54f' },
    });
    expect(override.statusCode).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await rig?.dispose();
  });

  it('lists the visible providers, signs in through one, and lands at the app as the SCIM subject', async () => {
    const id = randomUUID();
    const created = await scim(
      rig.t.app,
      rig.tenant,
      'POST',
      `${rig.tenant.base}/Users`,
      entraUser('page@contoso.com', id),
    );
    rig.entra.signInAs({ oid: id, upn: 'page@contoso.com' });
    const sign = await beginAppSignIn(rig);

    const context = await browser.newContext();
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    // The app's redirect URI is not served: the browser's arrival there is the result.
    let arrived: URL | undefined;
    await page.route(`${APP_REDIRECT}**`, async (route) => {
      arrived = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'app' });
    });

    const response = await page.goto(sign.authorizationUrl.href);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Sign in to Vendor app · Northwind Identity');
    expect(response?.headers()['content-security-policy']).toBe(PAGE_CSP);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to Vendor app');
    expect(await page.getByText('with your Contoso account').isVisible()).toBe(true);
    expect(await page.locator('header.brand').textContent()).toBe('Northwind Identity');
    expect(await naturalWidth(page.locator('header.brand img'))).toBe(1);
    const first = page.getByRole('link', { name: 'Sign in with Contoso Entra ID' });
    expect(await computed(first, 'backgroundColor')).toBe('rgb(255, 213, 79)');
    expect(await computed(first, 'color')).toBe('rgb(0, 0, 0)');
    // Legacy mode: axe.run() in the page, without the blank page finishRun() opens; the page has no frames.
    const axe = await new AxeBuilder({ page })
      .setLegacyMode()
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual(
      [],
    );
    const buttons = page.getByRole('link', { name: /^Sign in with/ });
    expect(await buttons.allTextContents()).toEqual(['Sign in with Contoso Entra ID', 'Sign in with Contoso EMEA']);

    await page.getByRole('link', { name: 'Sign in with Contoso Entra ID' }).click();
    await page.waitForURL(`${APP_REDIRECT}**`);
    expect(arrived?.searchParams.get('state')).toBe(sign.checks.state);
    const tokens = await oidc.authorizationCodeGrant(sign.config, arrived!, {
      expectedState: sign.checks.state,
      expectedNonce: sign.checks.nonce,
      pkceCodeVerifier: sign.checks.codeVerifier,
    });
    expect(tokens.claims()?.sub).toBe(created.json().id);
    expect(scriptErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows a refusal in words and sends the person back to the app with access_denied', async () => {
    rig.entra.signInAs({ oid: randomUUID(), upn: 'stranger@contoso.com' });
    const sign = await beginAppSignIn(rig, { idp_hint: 'entra' });
    const context = await browser.newContext();
    const page = await context.newPage();
    let arrived: URL | undefined;
    await page.route(`${APP_REDIRECT}**`, async (route) => {
      arrived = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'app' });
    });
    const response = await page.goto(sign.authorizationUrl.href);
    expect(response?.status()).toBe(403);
    expect(await page.getByRole('heading').textContent()).toBe('You cannot sign in');
    expect(await page.textContent('main')).toContain('has not been set up');
    await page.getByRole('link', { name: 'Return to the application' }).click();
    await page.waitForURL(`${APP_REDIRECT}**`);
    expect(arrived?.searchParams.get('error')).toBe('access_denied');
    await context.close();
  }, 60_000);
});
