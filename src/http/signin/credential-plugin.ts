// Roster ID's own credential routes under /{tenantId}/signin/… (ADR 0040): sign-in with email and password (and
// TOTP), invitation and reset links, enrolment of a password and TOTP. Beside the sign-in plugin (which leaves
// bodies unread for oidc-provider), so this one parses its own forms. Every route: the per-address bucket first,
// CSRF and Origin on every POST, identical answers for unknown accounts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { effectiveBranding } from '../../core/branding/branding.ts';
import type { CredentialDeps } from '../../core/credentials/deps.ts';
import { DomainError } from '../../core/errors.ts';
import type { Limiter } from '../../core/ratelimit/token-buckets.ts';
import { type BrandingReader, signInContext } from './branding.ts';
import { CredentialCsrf } from './credential-csrf.ts';
import { localSignInPage } from './credential-pages.ts';
import { errorPage, failedPage, isPageErrorCode, notFoundPage, tooManyRequestsPage, unavailablePage } from './pages.ts';
import { PASSKEY_PAGE_CSP } from './passkey-pages.ts';
import { sendPage } from './send-page.ts';
import type { SignInSurface } from './surface.ts';

export interface CredentialRateLimits {
  /** Per client address: the sign-in surface's own bucket (ADR 0016). */
  readonly address: Limiter;
  /** Per account (tenant + folded address) on sign-in, TOTP and reset: slows guessing at one account. */
  readonly account: Limiter;
}

export interface CredentialPluginOptions {
  readonly engine: SignInSurface;
  readonly deps: CredentialDeps & { readonly store: BrandingReader };
  readonly publicUrl: string;
  readonly limits: CredentialRateLimits;
  readonly isStoreUnavailable: (error: unknown) => boolean;
}

const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UID = /^[A-Za-z0-9_-]{1,64}$/;

export interface CredentialParams {
  tenantId: string;
  uid: string;
}

export const validParams = (p: Partial<CredentialParams>) =>
  TENANT.test(p.tenantId ?? '') && (p.uid === undefined || UID.test(p.uid));

export async function credentialPlugin(app: FastifyInstance, options: CredentialPluginOptions): Promise<void> {
  const csrf = new CredentialCsrf(options.publicUrl);

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 8192 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.setErrorHandler(async (error, request, reply) => {
    if (reply.sent || reply.raw.headersSent) return;
    if (options.isStoreUnavailable(error)) {
      reply.header('retry-after', '5');
      return sendPage(reply, 503, unavailablePage());
    }
    if (error instanceof DomainError && isPageErrorCode(error.code)) {
      const { status, html } = errorPage(error.code);
      return sendPage(reply, status, html);
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return sendPage(reply, 400, errorPage('validation.failed').html);
    request.log.error({ err: { message: (error as Error).message } }, 'credential route failed');
    return sendPage(reply, 500, failedPage());
  });

  // The per-address bucket before any database work (per-account buckets are taken where the account is known).
  app.addHook('onRequest', async (request, reply) => {
    const taken = await options.limits.address.take(request.ip);
    if (taken.ok) return;
    reply.header('retry-after', String(taken.retryAfterSeconds));
    return sendPage(reply, 429, tooManyRequestsPage());
  });

  const context = { csrf, options, brand: (tenantId: string) => effectiveBranding(options.deps.store, tenantId) };

  app.get<{ Params: CredentialParams }>('/:tenantId/signin/:uid/local', async (request, reply) => {
    if (!validParams(request.params)) return sendPage(reply, 404, notFoundPage());
    const { tenantId, uid } = request.params;
    await options.engine.checkInteraction(tenantId, request.raw, reply.raw, uid);
    return sendPage(
      reply,
      200,
      localSignInPage(tenantId, uid, await signInContext(options.deps.store, tenantId), {
        csrf: csrf.token(request, reply),
      }),
      // The page carries "Sign in with a passkey", whose glue is a script file (ADR 0042).
      PASSKEY_PAGE_CSP,
    );
  });

  void context;
}

export type CredentialRouteContext = {
  readonly csrf: CredentialCsrf;
  readonly options: CredentialPluginOptions;
  readonly brand: (tenantId: string) => ReturnType<typeof effectiveBranding>;
};

export type { FastifyReply, FastifyRequest };
