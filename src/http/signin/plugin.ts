// Sign-in routes: each tenant's OpenID Provider protocol endpoints, and the pages and hops of the broker.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import type { Limiter } from '../../core/ratelimit/token-buckets.ts';
import { TENANT_PARAM } from '../../core/signin/outcomes.ts';
import type { RateLimitScope, Telemetry } from '../../core/telemetry/ports.ts';
import { type BrandingReader, signInContext } from './branding.ts';
import { pageErrorHandler } from './page-errors.ts';
import { choosePage, notFoundPage, refusedPage, tooManyRequestsPage } from './pages.ts';
import { samlRoutes } from './saml-routes.ts';
import { sendPage } from './send-page.ts';
import type { SignInSurface } from './surface.ts';
import { testSignInRoutes } from './test-signin-routes.ts';

export type { SignInSurface } from './surface.ts';

/** Requests per client address, then per tenant, on every route of this surface (ADR 0016). */
export interface SignInRateLimits {
  readonly address: Limiter;
  readonly tenant: Limiter;
}

export interface SignInPluginOptions {
  readonly engine: SignInSurface;
  readonly limits: SignInRateLimits;
  readonly isStoreUnavailable: (error: unknown) => boolean;
  /** Cookies are Secure unless ROSTER_PUBLIC_URL is plain http. */
  readonly secureCookies?: boolean;
  readonly telemetry: Telemetry;
  /** The branding and tenant name on the pages (ADR 0035). */
  readonly store: BrandingReader;
  /** Home-realm discovery is on at /signin (ADR 0031): the vendor entry sends a request naming no tenant there. */
  readonly homeRealmDiscovery?: boolean;
}

const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UID = /^[A-Za-z0-9_-]{1,64}$/;

interface Params {
  tenantId: string;
  uid: string;
  scheme: string;
}

const queryOf = (request: FastifyRequest) => new URLSearchParams(request.url.split('?')[1] ?? '');

export async function signInPlugin(app: FastifyInstance, options: SignInPluginOptions): Promise<void> {
  const { engine } = options;

  // oidc-provider parses its own bodies (form posts to the token endpoint): leave the stream unread for it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  // Failures of the pages: one answer for every sign-in surface (page-errors.ts).
  app.setErrorHandler(
    pageErrorHandler({ isStoreUnavailable: options.isStoreUnavailable, failure: 'sign-in route failed' }),
  );

  // Per client address, then per tenant (a request the address's bucket refuses costs the tenant nothing): one
  // flooding address, or a flood aimed at one tenant, leaves the others served. Answered from memory, before any
  // database work; the pages get an HTML 429, the protocol endpoints OAuth's JSON.
  app.addHook('onRequest', async (request, reply) => {
    const { tenantId } = request.params as Partial<Params>;
    const buckets: [Limiter, string, RateLimitScope][] = [[options.limits.address, request.ip, 'signin_address']];
    if (tenantId !== undefined && TENANT.test(tenantId)) {
      buckets.push([options.limits.tenant, tenantId, 'signin_tenant']);
    }
    for (const [limiter, key, scope] of buckets) {
      const taken = await limiter.take(key);
      if (taken.ok) continue;
      options.telemetry.rateLimited(scope);
      // RFC 9110 §10.2.3 / RFC 6585 §4: 429 with Retry-After in whole seconds.
      reply.header('retry-after', String(taken.retryAfterSeconds));
      if (request.routeOptions.url?.startsWith('/:tenantId/signin/')) {
        return sendPage(reply, 429, tooManyRequestsPage());
      }
      return reply
        .code(429)
        .header('cache-control', 'no-store')
        .send({ error: 'temporarily_unavailable', error_description: 'too many requests; retry later' });
    }
  });

  const checkParams = (params: Partial<Params>): boolean =>
    TENANT.test(params.tenantId ?? '') && (params.uid === undefined || UID.test(params.uid));
  const notFound = (reply: FastifyReply) => sendPage(reply, 404, notFoundPage());

  const protocol = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    if (!checkParams(request.params)) return notFound(reply);
    reply.hijack();
    try {
      if (!(await engine.handleProtocol(request.params.tenantId, request.raw, reply.raw))) {
        reply.raw.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      }
    } catch (error) {
      const unavailable = options.isStoreUnavailable(error);
      request.log.error({ err: { message: (error as Error).message } }, 'OpenID Provider request failed');
      if (!reply.raw.headersSent) {
        reply.raw
          .writeHead(unavailable ? 503 : 500, {
            'content-type': 'application/json',
            ...(unavailable ? { 'retry-after': '5' } : {}),
          })
          .end(JSON.stringify({ error: unavailable ? 'temporarily_unavailable' : 'server_error' }));
      } else reply.raw.end();
    }
  };
  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/:tenantId/.well-known/openid-configuration',
    handler: protocol,
  });
  app.route({ method: ['GET', 'POST', 'OPTIONS', 'DELETE'], url: '/:tenantId/oidc/*', handler: protocol });

  /**
   * The vendor-wide entry (ADR 0044): an app registered once by the operator names the tenant with `tenant` and is
   * sent, request unchanged, to that tenant's issuer (which checks `tenant` again). Without one, home-realm
   * discovery finds the tenant and restarts the app's login at the tenant's issuer (ADR 0031).
   */
  app.get('/oidc/auth', async (request, reply) => {
    const query = queryOf(request);
    const tenants = query.getAll(TENANT_PARAM);
    if (tenants.length === 0 && options.homeRealmDiscovery) return reply.code(303).header('location', '/signin').send();
    if (tenants.length !== 1 || !TENANT.test(tenants[0]!)) {
      throw new DomainError('validation.failed', 'the tenant parameter must name one tenant');
    }
    return reply.code(303).header('location', `/${tenants[0]}/oidc/auth?${query}`).send();
  });

  /** Runs an engine step that may answer the browser itself (oidc-provider's 303s). */
  const raw = async (reply: FastifyReply, step: () => Promise<void>) => {
    await step();
    reply.hijack();
  };

  app.get<{ Params: Params }>('/:tenantId/signin/callback', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const query = queryOf(request);
    const uid = await engine.interactionOfState(request.params.tenantId, query.get('state') ?? '');
    if (!uid)
      return sendPage(
        reply,
        400,
        refusedPage(
          request.params.tenantId,
          undefined,
          'state_mismatch',
          await signInContext(options.store, request.params.tenantId),
        ),
      );
    // Continue under the interaction's path, where its cookie is sent: that binds the callback to this browser.
    return reply.code(303).header('location', `/${request.params.tenantId}/signin/${uid}/return?${query}`).send();
  });

  app.get<{ Params: Params }>('/:tenantId/signin/:uid', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const { tenantId, uid } = request.params;
    const step = await engine.interaction(tenantId, request.raw, reply.raw, uid);
    if (step.kind === 'finished') return reply.hijack();
    if (step.kind === 'redirect') return reply.code(303).header('location', step.location).send();
    return sendPage(
      reply,
      200,
      choosePage(
        tenantId,
        uid,
        step.choices,
        await signInContext(options.store, tenantId, step.appName),
        step.notice,
        step.local === true,
      ),
    );
  });

  app.get<{ Params: Params }>('/:tenantId/signin/:uid/start/:scheme', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const { tenantId, uid, scheme } = request.params;
    const next = await engine.startUpstream(tenantId, request.raw, reply.raw, uid, scheme);
    if (next instanceof URL) return reply.code(303).header('location', next.href).send();
    return sendPage(reply, 403, refusedPage(tenantId, uid, next.reason, await signInContext(options.store, tenantId)));
  });

  app.get<{ Params: Params }>('/:tenantId/signin/:uid/return', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const { tenantId, uid } = request.params;
    const outcome = await engine.completeUpstream(tenantId, request.raw, reply.raw, uid, queryOf(request));
    if (outcome.kind === 'finished') return reply.hijack();
    return sendPage(
      reply,
      403,
      refusedPage(tenantId, uid, outcome.reason, await signInContext(options.store, tenantId)),
    );
  });

  app.get<{ Params: Params }>('/:tenantId/signin/:uid/abort', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    await raw(reply, () => engine.abort(request.params.tenantId, request.raw, reply.raw, request.params.uid));
  });

  await testSignInRoutes(app, { engine, secureCookies: options.secureCookies !== false, sendPage });
  // SAML 2.0 (ADR 0038): its own scope, for the ACS's form parser.
  await app.register(samlRoutes, { engine, store: options.store, checkParams });

  app.get<{ Params: Params }>('/:tenantId/delegation/token', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const header = request.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9._~+/-]{1,512}=*)$/.exec(header);
    reply.header('cache-control', 'no-store');
    if (!match) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'invalid_token' });
    }
    const result = await engine.delegatedToken(request.params.tenantId, match[1]!);
    if (result.status === 200) return reply.send(result.body);
    if (result.status === 401) reply.header('www-authenticate', 'Bearer error="invalid_token"');
    return reply.code(result.status).send({ error: result.error });
  });
}
