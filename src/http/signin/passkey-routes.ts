// Passkey routes of Roster ID (ADR 0042). Sign-in: POST /{tenantId}/signin/{uid}/passkey/options (JSON, for the
// browser's navigator.credentials.get) and …/verify (the form the page posts, ending the interaction as SSO does).
// Enrolment: GET /{tenantId}/signin/passkey/register (the "Create a passkey" page), POST …/options and …/verify,
// with the enrolment cookie an activation link set. Static glue at /signin-assets/. Every POST passes the Roster ID
// forms' CSRF check (double-submit token and Origin, credential-csrf.ts); every request passes the sign-in
// surface's per-address and per-tenant buckets first; every outcome is audited.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  authenticationOptions,
  type PasskeyDeps,
  recordRefusedUser,
  registrationOptions,
  verifyAuthentication,
  verifyRegistration,
} from '../../core/credentials/passkeys.ts';
import { DomainError } from '../../core/errors.ts';
import type { Limiter } from '../../core/ratelimit/token-buckets.ts';
import type { StoredUser } from '../../core/scim/records.ts';
import { clearSessionCookie, cookiePolicy } from '../console/session.ts';
import { readCookie } from '../cookies.ts';
import { type BrandingReader, signInContext } from './branding.ts';
import { CredentialCsrf } from './credential-csrf.ts';
import { errorPage, failedPage, isPageErrorCode, notFoundPage, tooManyRequestsPage, unavailablePage } from './pages.ts';
import {
  ENROLMENT_EXPIRED_MESSAGE,
  PASSKEY_PAGE_CSP,
  passkeyCreatedPage,
  passkeyEnrolPage,
  passkeyRefusedPage,
  SSO_REQUIRED_MESSAGE,
} from './passkey-pages.ts';

export interface PasskeyRoutesOptions {
  readonly passkeys: PasskeyDeps;
  /** The OpenID Provider's interaction steps the passkey sign-in needs. */
  readonly engine: {
    checkInteraction(tenantId: string, req: IncomingMessage, res: ServerResponse, uid: string): Promise<void>;
    completeLocal(
      tenantId: string,
      req: IncomingMessage,
      res: ServerResponse,
      uid: string,
      userId: string,
      amr: string[],
    ): Promise<unknown>;
  };
  /** Enrolment sessions (the credential foundation): whom the cookie lets set up credentials, and ending it. */
  readonly enrolment: {
    read(tenantId: string, cookieValue: string | undefined): Promise<{ userId: string } | null>;
    end(tenantId: string, cookieValue: string | undefined): Promise<void>;
  };
  readonly users: { get(tenantId: string, id: string): Promise<StoredUser | undefined> };
  /** Whether own credentials are allowed to this person (domainPolicy.ssoRequiredForVerifiedDomains). */
  readonly ownCredentialsAllowed: (tenantId: string, user: StoredUser) => Promise<boolean>;
  readonly limits: { readonly address: Limiter; readonly tenant: Limiter };
  readonly store: BrandingReader;
  readonly publicUrl: string;
  readonly isStoreUnavailable: (error: unknown) => boolean;
}

const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UID = /^[A-Za-z0-9_-]{1,64}$/;

interface Params {
  tenantId: string;
  uid?: string;
}

/** @simplewebauthn/browser's own browser bundle (UMD, global SimpleWebAuthnBrowser), served unchanged. */
function webauthnBundle(): string {
  const main = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(dirname(main)), 'dist/bundle/index.umd.min.js'), 'utf8');
}

const parseJson = (text: unknown): unknown => {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isActive = (user: StoredUser | undefined): user is StoredUser => user !== undefined && user.data.active !== false;

function displayNameOf(user: StoredUser): string {
  const name = user.data.displayName;
  return typeof name === 'string' && name !== '' ? name : String(user.data.userName ?? '');
}

export async function passkeyRoutes(app: FastifyInstance, options: PasskeyRoutesOptions): Promise<void> {
  const csrf = new CredentialCsrf(options.publicUrl);
  // The enrolment cookie an activation or reset link sets (docs/accounts.md): __Host-roster-enrol, or
  // roster-enrol on plain-http loopback. Its lifetime is the server-side session's; clearing needs only the name.
  const enrolCookie = cookiePolicy(options.publicUrl, 0, 'roster-enrol');
  const bundle = webauthnBundle();
  const glue = readFileSync(new URL('./assets/passkey.js', import.meta.url), 'utf8');

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 32_768 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const isJsonRoute = (request: FastifyRequest) => request.routeOptions.url?.endsWith('/options') === true;

  const sendPage = (reply: FastifyReply, status: number, html: string) =>
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PASSKEY_PAGE_CSP)
      .header('cache-control', 'no-store')
      .header('x-frame-options', 'DENY')
      .send(html);
  const sendJson = (reply: FastifyReply, status: number, body: unknown) =>
    reply.code(status).header('cache-control', 'no-store').type('application/json').send(body);

  app.setErrorHandler(async (error, request, reply) => {
    if (reply.sent || reply.raw.headersSent) return;
    const json = isJsonRoute(request);
    if (options.isStoreUnavailable(error)) {
      reply.header('retry-after', '5');
      return json
        ? sendJson(reply, 503, { error: 'temporarily_unavailable' })
        : sendPage(reply, 503, unavailablePage());
    }
    if (error instanceof DomainError && isPageErrorCode(error.code)) {
      const { status, html } = errorPage(error.code);
      return json ? sendJson(reply, status, { error: error.code }) : sendPage(reply, status, html);
    }
    const status = (error as { statusCode?: number }).statusCode;
    // Fastify's own refusals (an oversized or unparseable body) are the client's, never a 500.
    if (status !== undefined && status >= 400 && status < 500) {
      return json ? sendJson(reply, 400, { error: 'bad_request' }) : sendPage(reply, 400, notFoundPage());
    }
    request.log.error({ err: { message: (error as Error).message } }, 'passkey route failed');
    return json ? sendJson(reply, 500, { error: 'server_error' }) : sendPage(reply, 500, failedPage());
  });

  // The sign-in surface's buckets (ADR 0016): per address, then per tenant, answered from memory.
  app.addHook('onRequest', async (request, reply) => {
    const { tenantId } = request.params as Partial<Params>;
    const buckets: Limiter[] = [options.limits.address];
    const keys: string[] = [request.ip];
    if (tenantId !== undefined && TENANT.test(tenantId)) {
      buckets.push(options.limits.tenant);
      keys.push(tenantId);
    }
    for (const [i, limiter] of buckets.entries()) {
      const taken = await limiter.take(keys[i]!);
      if (taken.ok) continue;
      reply.header('retry-after', String(taken.retryAfterSeconds));
      return isJsonRoute(request)
        ? sendJson(reply, 429, { error: 'too_many_requests' })
        : sendPage(reply, 429, tooManyRequestsPage());
    }
  });

  // CSRF: a POST repeats the browser's token and comes from ROSTER_PUBLIC_URL's origin. The options fetch sends the
  // token in its JSON body, the forms in a hidden field.
  app.addHook('preHandler', async (request, reply) => {
    const { tenantId, uid } = request.params as Partial<Params>;
    if (tenantId !== undefined && (!TENANT.test(tenantId) || (uid !== undefined && !UID.test(uid)))) {
      return isJsonRoute(request) ? sendJson(reply, 404, { error: 'not_found' }) : sendPage(reply, 404, notFoundPage());
    }
    if (request.method === 'POST' && !csrf.check(request)) {
      return isJsonRoute(request)
        ? sendJson(reply, 403, { error: 'origin_refused' })
        : sendPage(reply, 403, notFoundPage());
    }
  });

  const asset = (text: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(text);
  app.get('/signin-assets/webauthn.js', asset(bundle));
  app.get('/signin-assets/passkey.js', asset(glue));

  const pageContext = (tenantId: string) => signInContext(options.store, tenantId);

  // Sign-in: the interaction in the browser's cookie must be `uid`; the challenge is bound to it.
  app.post<{ Params: Required<Params> }>('/:tenantId/signin/:uid/passkey/options', async (request, reply) => {
    const { tenantId, uid } = request.params;
    await options.engine.checkInteraction(tenantId, request.raw, reply.raw, uid);
    return sendJson(reply, 200, await authenticationOptions(options.passkeys, tenantId, uid));
  });

  app.post<{ Params: Required<Params>; Body: Record<string, string> | undefined }>(
    '/:tenantId/signin/:uid/passkey/verify',
    async (request, reply) => {
      const { tenantId, uid } = request.params;
      const retry = `/${tenantId}/signin/${uid}`;
      const admit = async (userId: string) => {
        const user = await options.users.get(tenantId, userId);
        if (!isActive(user)) return 'subject_inactive' as const;
        return (await options.ownCredentialsAllowed(tenantId, user)) ? null : ('sso_required' as const);
      };
      const outcome = await verifyAuthentication(
        options.passkeys,
        tenantId,
        uid,
        parseJson(request.body?.response),
        admit,
      );
      if (!outcome.ok) {
        const context = await pageContext(tenantId);
        const message =
          outcome.reason === 'sso_required'
            ? SSO_REQUIRED_MESSAGE
            : outcome.reason === 'subject_inactive'
              ? 'Your account is disabled. Ask your administrator.'
              : undefined;
        return sendPage(reply, 403, passkeyRefusedPage(context.brand, context.tenantName, retry, message));
      }
      await options.engine.completeLocal(tenantId, request.raw, reply.raw, uid, outcome.value.userId, [
        ...outcome.value.amr,
      ]);
      return reply.hijack();
    },
  );

  /** The enrolling user, if the enrolment cookie names a live session of this tenant and the user may enrol. */
  const enrolling = async (request: FastifyRequest, tenantId: string) => {
    const cookie = readCookie(request, enrolCookie.name);
    const enrolment = await options.enrolment.read(tenantId, cookie);
    if (!enrolment) return { kind: 'expired' } as const;
    const user = await options.users.get(tenantId, enrolment.userId);
    if (!isActive(user)) return { kind: 'expired' } as const;
    if (!(await options.ownCredentialsAllowed(tenantId, user))) return { kind: 'sso_required', user } as const;
    return { kind: 'ok', user, cookie } as const;
  };

  app.get<{ Params: Params }>('/:tenantId/signin/passkey/register', async (request, reply) => {
    const { tenantId } = request.params;
    const context = await pageContext(tenantId);
    const who = await enrolling(request, tenantId);
    if (who.kind !== 'ok') {
      const message = who.kind === 'sso_required' ? SSO_REQUIRED_MESSAGE : ENROLMENT_EXPIRED_MESSAGE;
      return sendPage(reply, 403, passkeyRefusedPage(context.brand, context.tenantName, undefined, message));
    }
    return sendPage(reply, 200, passkeyEnrolPage(tenantId, context.brand, csrf.token(request, reply)));
  });

  app.post<{ Params: Params }>('/:tenantId/signin/passkey/register/options', async (request, reply) => {
    const { tenantId } = request.params;
    const who = await enrolling(request, tenantId);
    if (who.kind !== 'ok') return sendJson(reply, 403, { error: who.kind });
    const context = await pageContext(tenantId);
    const user = {
      id: who.user.id,
      userName: String(who.user.data.userName ?? ''),
      displayName: displayNameOf(who.user),
    };
    return sendJson(reply, 200, await registrationOptions(options.passkeys, tenantId, user, context.brand.productName));
  });

  app.post<{ Params: Params; Body: Record<string, string> | undefined }>(
    '/:tenantId/signin/passkey/register/verify',
    async (request, reply) => {
      const { tenantId } = request.params;
      const context = await pageContext(tenantId);
      const who = await enrolling(request, tenantId);
      if (who.kind !== 'ok') {
        if (who.kind === 'sso_required')
          await recordRefusedUser(options.passkeys, tenantId, who.user.id, 'sso_required');
        const message = who.kind === 'sso_required' ? SSO_REQUIRED_MESSAGE : ENROLMENT_EXPIRED_MESSAGE;
        return sendPage(reply, 403, passkeyRefusedPage(context.brand, context.tenantName, undefined, message));
      }
      const name = typeof request.body?.name === 'string' ? request.body.name : '';
      const outcome = await verifyRegistration(
        options.passkeys,
        tenantId,
        who.user.id,
        parseJson(request.body?.response),
        name,
      );
      if (!outcome.ok) {
        return sendPage(
          reply,
          400,
          passkeyRefusedPage(
            context.brand,
            context.tenantName,
            undefined,
            'The passkey could not be created. Try again.',
          ),
        );
      }
      // The enrolment's purpose is served: the link set up a credential and cannot set up another.
      await options.enrolment.end(tenantId, who.cookie);
      clearSessionCookie(reply, enrolCookie);
      return sendPage(reply, 200, passkeyCreatedPage(context.brand, context.tenantName));
    },
  );
}
