// The admin console under /console (ADR 0028): server-rendered pages over the same core use cases as the admin
// API. This module wires the shared parts: assets, headers, form bodies, sessions, CSRF and error pages.

import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { endConsoleSession, startSessionWithAdminToken } from '../../core/console/sessions.ts';
import { DomainError } from '../../core/errors.ts';
import { statusOf } from '../problem.ts';
import { auditPages } from './audit-pages.ts';
import { brandCssRoute, errorPageBrand, operatorBrand } from './brand-css.ts';
import { directoryPages } from './directory-pages.ts';
import { domainPages } from './domain-pages.ts';
import { html, type Markup } from './html.ts';
import { CONSOLE_CSP, type FrameBrand, plainPage } from './layout.ts';
import { logPages } from './log-pages.ts';
import { overviewPage } from './overview.ts';
import { sendPage } from './render.ts';
import {
  type ConsoleDeps,
  clearSessionCookie,
  cookiePolicy,
  refuseForgery,
  requireCsrf,
  requireSession,
  sameOrigin,
  sessionCookie,
  setSessionCookie,
} from './session.ts';
import { setupPages } from './setup-pages.ts';
import { ssoPages } from './sso-pages.ts';
import { testSignInPages } from './test-signin-pages.ts';
import { tokenPages } from './token-pages.ts';

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
const FORM_BYTES = 64 * 1024;

export async function consolePlugin(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const policy = cookiePolicy(deps.publicUrl, deps.timeouts.absoluteMs);
  const css = asset('console.css');
  const js = asset('console.js');
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on form posts, which the Origin
    // check must refuse; other sites still learn nothing (a setup link's URL carries its secret).
    reply.header('referrer-policy', 'same-origin');
    // Pages may show a secret once (a new SCIM token): nothing of the console is kept in any cache.
    reply.header('cache-control', 'no-store');
  });
  // HTML forms post application/x-www-form-urlencoded; the JSON API does not accept it, the console does.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BYTES },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  // Error pages wear the session's tenant's branding, or the operator's (Roster's own when the store is down).
  const errorPage = async (request: FastifyRequest, title: string, content: Markup) => {
    const tenantId = request.consoleSession?.tenantId;
    return plainPage(title, content, await errorPageBrand(deps, tenantId), tenantId);
  };
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof DomainError) {
      const status = statusOf(error.code);
      const page = await errorPage(request, 'Something is not right', html`<p>${error.message}</p>${back}`);
      return sendPage(reply, page, status);
    }
    if (deps.isStoreUnavailable(error)) {
      const page = await errorPage(request, 'Try again shortly', html`<p>The database is unavailable.</p>${back}`);
      return sendPage(reply, page, 503);
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const page = await errorPage(request, 'Request refused', html`<p>The request could not be read.</p>${back}`);
      return sendPage(reply, page, status);
    }
    request.log.error({ err: error }, 'unhandled console error');
    const page = await errorPage(request, 'Something went wrong', html`<p>It was logged with the request id.</p>`);
    return sendPage(reply, page, 500);
  });
  app.setNotFoundHandler(async (request, reply) =>
    sendPage(reply, await errorPage(request, 'Page not found', html`<p>There is no such page.</p>${back}`), 404),
  );

  app.get('/assets/console.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(css));
  app.get('/assets/console.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(js));
  await brandCssRoute(app, deps);

  app.get('/login', async (_request, reply) => sendPage(reply, loginForm(await operatorBrand(deps))));
  app.post<{ Body: { token?: string } }>('/login', async (request, reply) => {
    if (!sameOrigin(request, deps.publicUrl)) return refuseForgery(reply);
    try {
      const started = await startSessionWithAdminToken(deps, request.body?.token ?? '', sessionCookie(request, policy));
      setSessionCookie(reply, policy, started.cookie);
      return reply.redirect('/console', 303);
    } catch (error) {
      if (!(error instanceof DomainError) || !error.code.startsWith('auth.')) throw error;
      return sendPage(
        reply,
        loginForm(await operatorBrand(deps), 'That is not a valid admin token of any tenant.'),
        401,
      );
    }
  });

  await setupPages(app, deps, policy);

  await app.register(async (scope) => {
    scope.addHook('onRequest', requireSession(deps, policy));
    scope.addHook('preHandler', requireCsrf(deps));
    scope.post('/logout', async (request, reply) => {
      const cookie = sessionCookie(request, policy);
      if (cookie) await endConsoleSession(deps, cookie);
      clearSessionCookie(reply, policy);
      return sendPage(
        reply,
        plainPage(
          'Signed out',
          html`<p>You have signed out.</p><p><a href="/console/login">Sign in again</a></p>`,
          await operatorBrand(deps),
        ),
      );
    });
    await overviewPage(scope, deps);
    await ssoPages(scope, deps);
    await testSignInPages(scope, deps);
    await tokenPages(scope, deps);
    await logPages(scope, deps);
    await directoryPages(scope, deps);
    await domainPages(scope, deps);
    await auditPages(scope, deps);
  });
}

const back = html`<p><a href="/console">Back to the console</a></p>`;

function loginForm(brand: FrameBrand, error?: string): string {
  return plainPage(
    'Sign in to the console',
    html`<p>Paste a tenant admin token once. It starts a session; the token itself is not kept in this browser.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/console/login" class="stack">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="off" required${error ? html` aria-invalid="true"` : ''}>
<button type="submit">Sign in</button></form>
<p class="muted">Received a setup link? Open it instead: it signs you in by itself.</p>`,
    brand,
  );
}
