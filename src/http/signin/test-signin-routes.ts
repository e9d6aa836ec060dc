// The browser's side of a test sign-in (ADR 0029): open the admin's URL → off to the IdP → back through the fixed
// callback → the outcome page. The cookie binds the return to the browser that opened the URL.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readCookie } from '../cookies.ts';
import type { SignInSurface } from './surface.ts';
import { testGonePage, testOutcomePage, testStartRefusedPage } from './test-signin-page.ts';

const COOKIE_NAME = 'roster_test_signin';
const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY = /^[A-Za-z0-9_-]{43}$/;

interface Params {
  tenantId: string;
  id: string;
}

export interface TestSignInRouteOptions {
  readonly engine: SignInSurface;
  /** Secure cookies unless ROSTER_PUBLIC_URL is plain http (loopback development). */
  readonly secureCookies: boolean;
  readonly sendPage: (reply: FastifyReply, status: number, html: string) => FastifyReply;
}

function cookieOf(request: FastifyRequest): string | undefined {
  return readCookie(request, COOKIE_NAME);
}

export async function testSignInRoutes(app: FastifyInstance, options: TestSignInRouteOptions): Promise<void> {
  const { engine, sendPage } = options;
  const valid = (p: Params) => TENANT.test(p.tenantId) && TENANT.test(p.id);
  const path = (p: Params) => `/${p.tenantId}/signin/test/${p.id}`;
  // SameSite=Lax: the IdP's redirect back is a cross-site navigation, which a Strict cookie would not follow.
  const cookie = (p: Params, value: string, maxAge: number) =>
    `${COOKIE_NAME}=${value}; Path=${path(p)}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${options.secureCookies ? '; Secure' : ''}`;

  app.get<{ Params: Params; Querystring: { key?: string } }>('/:tenantId/signin/test/:id', async (request, reply) => {
    const key = typeof request.query.key === 'string' ? request.query.key : '';
    if (!valid(request.params) || !KEY.test(key)) {
      const { status, html } = testStartRefusedPage('unknown');
      return sendPage(reply, status, html);
    }
    const step = await engine.startTestSignIn(request.params.tenantId, request.params.id, key);
    if (step.kind === 'refused') {
      const { status, html } = testStartRefusedPage(step.reason);
      return sendPage(reply, status, html);
    }
    if (step.kind === 'finished') return sendPage(reply, 200, testOutcomePage(step.outcome));
    return reply
      .code(303)
      .header('set-cookie', cookie(request.params, step.browserSecret, 600))
      .header('cache-control', 'no-store')
      .header('location', step.location)
      .send();
  });

  app.get<{ Params: Params }>('/:tenantId/signin/test/:id/return', async (request, reply) => {
    if (!valid(request.params)) return sendPage(reply, 404, testGonePage());
    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    const step = await engine.finishTestSignIn(request.params.tenantId, request.params.id, cookieOf(request), query);
    if (step.kind === 'gone') return sendPage(reply, 404, testGonePage());
    return sendPage(reply, 200, testOutcomePage(step.outcome));
  });
}
