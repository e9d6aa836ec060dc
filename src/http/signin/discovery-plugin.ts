// {ROSTER_PUBLIC_URL}/signin: home-realm discovery (ADR 0031). GET shows the email form; POST finds the tenant
// that verified the address's domain and sends the browser to the vendor app's login-initiation URI (OpenID
// Connect Core §4) with `iss` (the tenant's issuer), `login_hint` and `idp_hint`; the app then starts its
// authorization request at that issuer, and the usual sign-in flow follows. Every address that leads nowhere gets
// one identical page.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { effectiveBranding } from '../../core/branding/branding.ts';
import { discoverRealm } from '../../core/domains/discovery.ts';
import type { Repositories } from '../../core/ports.ts';
import { readCookie, secureCookies } from '../cookies.ts';
import { discoveryPage, discoveryRefusedPage, NO_REALM_MESSAGE } from './discovery-pages.ts';
import { pageErrorHandler } from './page-errors.ts';
import { tooManyRequestsPage } from './pages.ts';
import type { SignInRateLimits } from './plugin.ts';
import { sendPage } from './send-page.ts';

export interface DiscoveryPluginOptions {
  readonly store: Pick<Repositories, 'domains' | 'ssoProviders' | 'branding'>;
  readonly publicUrl: string;
  readonly initiateLoginUri: string;
  readonly limits: SignInRateLimits;
  readonly isStoreUnavailable: (error: unknown) => boolean;
}

const COOKIE = 'roster_hrd';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

function cookieToken(request: FastifyRequest): string | undefined {
  const value = readCookie(request, COOKIE);
  return value !== undefined && TOKEN.test(value) ? value : undefined;
}

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export async function discoveryPlugin(app: FastifyInstance, options: DiscoveryPluginOptions): Promise<void> {
  const secure = secureCookies(options.publicUrl);
  const origin = new URL(options.publicUrl).origin;

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  // Before an address names a tenant, the page carries the operator's branding (ADR 0035).
  const brand = () => effectiveBranding(options.store, null);

  // Fastify's own refusals (an oversized or unparseable body) get the form again; the branding read may fail with
  // the store, and the refusal page then shows Roster's own.
  app.setErrorHandler(
    pageErrorHandler({
      isStoreUnavailable: options.isStoreUnavailable,
      failure: 'home-realm discovery failed',
      refusedPage: async () => discoveryRefusedPage(await brand().catch(() => undefined)),
    }),
  );

  // The sign-in surface's per-address bucket (ADR 0016), before any database work.
  app.addHook('onRequest', async (request, reply) => {
    const taken = await options.limits.address.take(request.ip);
    if (taken.ok) return;
    reply.header('retry-after', String(taken.retryAfterSeconds));
    return sendPage(reply, 429, tooManyRequestsPage());
  });

  /** Double-submit CSRF token: a cookie only this site can set, repeated in the form. */
  const withToken = (request: FastifyRequest, reply: FastifyReply): string => {
    const existing = cookieToken(request);
    if (existing) return existing;
    const token = randomBytes(32).toString('base64url');
    reply.header(
      'set-cookie',
      `${COOKIE}=${token}; Path=/signin; HttpOnly; SameSite=Strict; Max-Age=3600${secure ? '; Secure' : ''}`,
    );
    return token;
  };

  app.get('/signin', async (request, reply) =>
    sendPage(reply, 200, discoveryPage(withToken(request, reply), await brand())),
  );

  app.post<{ Body: Record<string, string> | undefined }>('/signin', async (request, reply) => {
    const cookie = cookieToken(request);
    const body = request.body ?? {};
    const sentOrigin = request.headers.origin;
    if (
      !cookie ||
      typeof body.csrf !== 'string' ||
      !sameToken(cookie, body.csrf) ||
      (sentOrigin !== undefined && sentOrigin !== origin)
    ) {
      return sendPage(reply, 403, discoveryRefusedPage(await brand()));
    }
    const email = typeof body.email === 'string' ? body.email.trim().slice(0, 320) : '';
    const realm = await discoverRealm(options.store, email);
    if (realm.kind === 'none')
      return sendPage(reply, 200, discoveryPage(cookie, await brand(), { message: NO_REALM_MESSAGE }));
    const target = new URL(options.initiateLoginUri);
    target.searchParams.set('iss', `${options.publicUrl}/${realm.tenantId}`);
    target.searchParams.set('login_hint', email);
    if (realm.scheme) target.searchParams.set('idp_hint', realm.scheme);
    return reply.code(303).header('cache-control', 'no-store').header('location', target.href).send();
  });
}
