// The OpenAPI document and its docs page: every listed operation is typed, and the page loads and renders at
// /iam/v1/docs with or without the trailing slash (its assets once resolved against the wrong prefix).
import { existsSync } from 'node:fs';
import Fastify from 'fastify';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDocumentedRoutes } from '../../src/http/admin/plugin.ts';
import { call, startTestApp, type TestApp } from '../support/app.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'query'];

interface Operation {
  readonly summary?: string;
  readonly responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** The URLs a page loads by itself: scripts, stylesheets, icons, images. */
function assetUrls(html: string, page: URL): URL[] {
  const refs = [...html.matchAll(/<(?:script|link|img)\b[^>]*?\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  return refs.map((ref) => new URL(ref, page));
}

function expectedType(path: string): RegExp {
  if (path.endsWith('.js')) return /^application\/javascript/;
  if (path.endsWith('.css')) return /^text\/css/;
  if (path.endsWith('.png')) return /^image\/png$/;
  throw new Error(`unexpected asset ${path}`);
}

describe('OpenAPI document and docs page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('lists only typed operations: each has a summary and a response schema for every status', async () => {
    const doc = (await call(t.app, 'GET', '/iam/v1/openapi.json')).json();
    const operations: [string, Operation][] = Object.entries<Record<string, Operation>>(doc.paths).flatMap(
      ([path, item]) =>
        Object.entries(item)
          .filter(([method]) => METHODS.includes(method))
          .map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
    );
    const names = operations.map(([name]) => name);
    // The SCIM surfaces, their 405 catch-alls and the sign-in pages are not part of the admin API's document.
    expect(
      names.filter((n) => /\/api\/scim\/v2|\/iam\/v1\/scim\/[A-Z.]|\/signin\/|\/oidc\/|healthz|\/docs/.test(n)),
    ).toEqual([]);
    expect(names.filter((n) => /^(TRACE|OPTIONS|HEAD|QUERY) /.test(n))).toEqual([]);
    // The admin and operator API is all there (a new route without a summary fails at registration instead).
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /iam/v1/tenants',
        'GET /iam/v1/tenants/{tenantId}',
        'DELETE /iam/v1/tenants/{tenantId}/admin-tokens/{tokenId}',
        'POST /iam/v1/sso/azuread',
        'GET /iam/v1/sso',
        'GET /iam/v1/sso/{scheme}',
        'PUT /iam/v1/sso/{scheme}',
        'PATCH /iam/v1/sso/{scheme}',
        'DELETE /iam/v1/sso/{scheme}',
        'POST /iam/v1/scim',
        'GET /iam/v1/scim',
        'DELETE /iam/v1/scim/{id}',
        'GET /iam/v1/scim/logs',
        'GET /iam/v1/audit-events',
        'POST /iam/v1/clients',
        'POST /iam/v1/signing-keys/rotate',
        'GET /iam/v1/events',
        'GET /iam/v1/operator/events',
        'GET /iam/v1/directory/users',
        'GET /iam/v1/directory/users/{id}',
        'GET /iam/v1/directory/groups',
        'GET /iam/v1/directory/groups/{id}',
        'GET /iam/v1/directory/groups/{id}/members',
        'POST /iam/v1/tenants/{tenantId}/setup-links',
        'GET /iam/v1/tenants/{tenantId}/setup-links',
        'DELETE /iam/v1/tenants/{tenantId}/setup-links/{linkId}',
        'GET /iam/v1/setup',
        'POST /iam/v1/setup/redirect-uri-confirmed',
        'POST /iam/v1/sso/{scheme}/test-signin',
        'GET /iam/v1/sso/test-signins/{id}',
        'POST /iam/v1/domains',
        'GET /iam/v1/domains',
        'GET /iam/v1/domains/{id}',
        'POST /iam/v1/domains/{id}/verify',
        'DELETE /iam/v1/domains/{id}',
        'PUT /iam/v1/directory/users/{id}/roles',
        'POST /iam/v1/roles',
        'GET /iam/v1/roles',
        'DELETE /iam/v1/roles/{key}',
        'POST /iam/v1/role-mappings',
        'GET /iam/v1/role-mappings',
        'DELETE /iam/v1/role-mappings/{id}',
        'GET /iam/v1/settings',
        'PATCH /iam/v1/settings',
        'GET /iam/v1/branding',
        'PATCH /iam/v1/branding',
        'GET /iam/v1/operator/branding',
        'PATCH /iam/v1/operator/branding',
        'POST /iam/v1/admin-tokens',
        'GET /iam/v1/admin-tokens',
        'DELETE /iam/v1/admin-tokens/{id}',
        ...['/iam/v1/webhooks', '/iam/v1/operator/webhooks'].flatMap((base) => [
          `POST ${base}`,
          `GET ${base}`,
          `GET ${base}/{id}`,
          `PATCH ${base}/{id}`,
          `DELETE ${base}/{id}`,
          `POST ${base}/{id}/secret`,
          `GET ${base}/{id}/deliveries`,
          `POST ${base}/{id}/deliveries/{deliveryId}/retry`,
        ]),
      ]),
    );
    // 77 before issue 13 item 3; +3: POST/GET /invitations, DELETE /invitations/{id} (ADR 0040).
    expect(operations.length).toBe(80);
    for (const [name, op] of operations) {
      expect(op.summary, name).toMatch(/\S/);
      const statuses = Object.keys(op.responses ?? {});
      expect(
        statuses.some((s) => s.startsWith('2')),
        name,
      ).toBe(true);
      for (const status of statuses) {
        if (status === '204') continue;
        const content = op.responses?.[status]?.content ?? {};
        expect(Object.values(content).length, `${name} ${status}`).toBeGreaterThan(0);
        for (const media of Object.values(content)) expect(media.schema, `${name} ${status}`).toBeTruthy();
      }
    }
  });

  it('refuses at registration an admin route that would drop out of the document', async () => {
    const app = Fastify();
    requireDocumentedRoutes(app);
    const response = { 200: { type: 'object' } };
    expect(() => app.get('/bare', async () => ({}))).toThrow('GET /bare needs schema.summary and schema.response');
    expect(() => app.get('/no-summary', { schema: { response } }, async () => ({}))).toThrow('/no-summary');
    expect(() => app.get('/no-response', { schema: { summary: 'x' } }, async () => ({}))).toThrow('/no-response');
    app.get('/typed', { schema: { summary: 'Typed', response } }, async () => ({}));
    app.get('/hidden', { schema: { hide: true } }, async () => ({}));
    await app.ready();
    expect(app.hasRoute({ method: 'GET', url: '/typed' })).toBe(true);
    await app.close();
  });

  it.each(['/iam/v1/docs', '/iam/v1/docs/'])('serves %s with every asset it loads', async (path) => {
    const page = new URL(path, 'https://roster.test');
    const res = await call(t.app, 'GET', path);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const assets = assetUrls(res.body, page);
    expect(assets.map((a) => a.pathname.split('/').pop())).toEqual([
      'swagger-ui.css',
      'index.css',
      'favicon-32x32.png',
      'favicon-16x16.png',
      'swagger-ui-bundle.js',
      'swagger-ui-standalone-preset.js',
      'swagger-initializer.js',
    ]);
    for (const asset of assets) {
      expect(asset.origin).toBe(page.origin);
      const got = await call(t.app, 'GET', asset.pathname);
      expect(got.statusCode, asset.pathname).toBe(200);
      expect(got.headers['content-type'], asset.pathname).toMatch(expectedType(asset.pathname));
      expect(got.rawPayload.length, asset.pathname).toBeGreaterThan(0);
    }
    // The initializer fetches the document at ./json, relative to the page with a trailing slash added.
    const spec = await call(t.app, 'GET', new URL('json', `${page.href.replace(/\/?$/, '/')}`).pathname);
    expect(spec.statusCode).toBe(200);
    expect(spec.json().openapi).toBe('3.1.0');
  });

  describe('in chromium', () => {
    let browser: Browser;
    let origin: string;
    beforeAll(async () => {
      if (!existsSync(CHROMIUM)) {
        throw new Error(
          `chromium not found at ${CHROMIUM}: install it with "apt-get install chromium" (or set CHROMIUM_PATH)`,
        );
      }
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      origin = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it.each(['/iam/v1/docs', '/iam/v1/docs/'])(
      'renders the operations at %s',
      async (path) => {
        const doc = (await call(t.app, 'GET', '/iam/v1/openapi.json')).json();
        const expected = Object.values<Record<string, unknown>>(doc.paths).reduce(
          (n, item) => n + Object.keys(item).filter((m) => METHODS.includes(m)).length,
          0,
        );
        const context = await browser.newContext();
        const page = await context.newPage();
        const failures: string[] = [];
        page.on('pageerror', (e) => failures.push(e.message));
        page.on('requestfailed', (r) => failures.push(`${r.url()} failed`));
        page.on('response', (r) => {
          if (r.status() >= 400) failures.push(`${r.url()} ${r.status()}`);
        });
        const response = await page.goto(`${origin}${path}`);
        expect(response?.status()).toBe(200);
        await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
        expect(await page.locator('.opblock').count()).toBe(expected);
        expect(await page.locator('.opblock-summary-description').allTextContents()).toContain(
          'Register a Microsoft Entra ID (Azure AD) OpenID Connect provider',
        );
        expect(failures).toEqual([]);
        await context.close();
      },
      60_000,
    );
  });
});
