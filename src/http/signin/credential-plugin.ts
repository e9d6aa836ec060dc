// Roster ID's own credential routes under /{tenantId}/signin/… (ADR 0040): sign-in with email and password (and
// TOTP), invitation and reset links, enrolment of a password and TOTP. Beside the sign-in plugin (which leaves
// bodies unread for oidc-provider), so this one parses its own forms. Every route: the per-address bucket first;
// every POST: CSRF and Origin; the sign-in, TOTP and reset forms also a per-account bucket; unknown accounts get
// the same answer, after the same Argon2 work.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../core/audit/audit.ts';
import { effectiveBranding } from '../../core/branding/branding.ts';
import type { CredentialDeps } from '../../core/credentials/deps.ts';
import { endEnrolment, readEnrolment } from '../../core/credentials/enrolment.ts';
import { redeemLink } from '../../core/credentials/links.ts';
import { signInWithPassword } from '../../core/credentials/password-sign-in.ts';
import { loginKeyOf, PASSWORD_PROBLEMS, setPassword } from '../../core/credentials/passwords.ts';
import { isScimAlone } from '../../core/credentials/policy.ts';
import { requestReset } from '../../core/credentials/reset.ts';
import { beginTotp, confirmTotp, hasConfirmedTotp, verifyTotp } from '../../core/credentials/totp.ts';
import type { Limiter } from '../../core/ratelimit/token-buckets.ts';
import { DecryptionError, decryptSecret, encryptSecret } from '../../lib/keyring.ts';
import { clearSessionCookie, cookiePolicy, setSessionCookie } from '../console/session.ts';
import { readCookie } from '../cookies.ts';
import { type BrandingReader, signInContext } from './branding.ts';
import { CredentialCsrf } from './credential-csrf.ts';
import {
  LINK_REFUSED,
  localSignInPage,
  messagePage,
  RESET_SENT,
  redeemPage,
  resetRequestPage,
  SIGN_IN_FAILED,
  setPasswordPage,
  totpEnrolPage,
  totpPromptPage,
} from './credential-pages.ts';
import { pageErrorHandler } from './page-errors.ts';
import { notFoundPage, tooManyRequestsPage } from './pages.ts';
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
  /** Kicks the mail outbox after a reset link was queued (undefined: no mail configured). */
  readonly mailQueued?: (() => void) | undefined;
}

const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UID = /^[A-Za-z0-9_-]{1,64}$/;
const SECRET = /^[A-Za-z0-9_.-]{1,128}$/;
const PENDING_MINUTES = 5;

interface Params {
  tenantId: string;
  uid: string;
  secret: string;
}

const validParams = (p: Partial<Params>) =>
  TENANT.test(p.tenantId ?? '') &&
  (p.uid === undefined || UID.test(p.uid)) &&
  (p.secret === undefined || SECRET.test(p.secret));

type Form = Record<string, string | undefined>;
const field = (request: FastifyRequest, name: string, max = 1024) => {
  const value = (request.body as Form | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
};

export async function credentialPlugin(app: FastifyInstance, options: CredentialPluginOptions): Promise<void> {
  const { deps, engine } = options;
  const csrf = new CredentialCsrf(options.publicUrl);
  const enrolCookie = cookiePolicy(options.publicUrl, 15 * 60_000, 'roster-enrol');
  const pendingCookie = cookiePolicy(options.publicUrl, PENDING_MINUTES * 60_000, 'roster-mfa');
  const brand = (tenantId: string) => effectiveBranding(deps.store, tenantId);

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 8192 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.setErrorHandler(
    pageErrorHandler({ isStoreUnavailable: options.isStoreUnavailable, failure: 'credential route failed' }),
  );

  // The per-address bucket before any database work; per-account buckets are taken where the account is named.
  app.addHook('onRequest', async (request, reply) => {
    const taken = await options.limits.address.take(request.ip);
    if (taken.ok) return;
    reply.header('retry-after', String(taken.retryAfterSeconds));
    return sendPage(reply, 429, tooManyRequestsPage());
  });

  /** Params, then (POST) CSRF and Origin: false when the request was answered. */
  const admit = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    if (!validParams(request.params)) {
      await sendPage(reply, 404, notFoundPage());
      return false;
    }
    if (request.method === 'POST' && !csrf.check(request)) {
      await sendPage(
        reply,
        403,
        messagePage(
          'Request refused',
          'This form expired or came from another site. Open the page again.',
          await brand(request.params.tenantId),
        ),
      );
      return false;
    }
    return true;
  };

  /** The per-account bucket; a refusal is audited (a stuffing run shows in the trail) and answered 429. */
  const accountAllowed = async (request: FastifyRequest, reply: FastifyReply, tenantId: string, account: string) => {
    const taken = await options.limits.account.take(`${tenantId}:${account}`);
    if (taken.ok) return true;
    await recordAudit(deps.credentials, deps.clock.now(), {
      tenantId,
      actor: 'anonymous',
      action: 'credentials.rate_limited',
      data: { route: request.routeOptions.url ?? '' },
    });
    reply.header('retry-after', String(taken.retryAfterSeconds));
    await sendPage(reply, 429, tooManyRequestsPage());
    return false;
  };

  // Sign-in: the Roster ID page of an interaction.

  const signInPage = async (
    request: FastifyRequest<{ Params: Params }>,
    reply: FastifyReply,
    status: number,
    message?: string,
  ) => {
    const { tenantId, uid } = request.params;
    return sendPage(
      reply,
      status,
      localSignInPage(tenantId, uid, await signInContext(deps.store, tenantId), {
        csrf: csrf.token(request, reply),
        message,
      }),
      // The page carries "Sign in with a passkey", whose glue is a script file (ADR 0042).
      PASSKEY_PAGE_CSP,
    );
  };

  /** Roster ID signs people in only where the chooser offers it (SCIM-alone mode): a typed URL opens nothing else. */
  const offered = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    if (await isScimAlone(deps, request.params.tenantId)) return true;
    await sendPage(reply, 404, notFoundPage());
    return false;
  };

  app.get<{ Params: Params }>('/:tenantId/signin/:uid/local', async (request, reply) => {
    if (!(await admit(request, reply)) || !(await offered(request, reply))) return reply;
    await engine.checkInteraction(request.params.tenantId, request.raw, reply.raw, request.params.uid);
    return signInPage(request, reply, 200);
  });

  const pendingContext = (tenantId: string, uid: string) => `roster-mfa:${tenantId}:${uid}`;

  app.post<{ Params: Params }>('/:tenantId/signin/:uid/local', async (request, reply) => {
    if (!(await admit(request, reply)) || !(await offered(request, reply))) return reply;
    const { tenantId, uid } = request.params;
    await engine.checkInteraction(tenantId, request.raw, reply.raw, uid);
    const email = field(request, 'email', 320);
    if (!(await accountAllowed(request, reply, tenantId, loginKeyOf(email)))) return reply;
    const outcome = await signInWithPassword(deps, tenantId, email, field(request, 'password'));
    if (outcome.kind === 'refused') return signInPage(request, reply, 401, SIGN_IN_FAILED);
    if (!outcome.needsTotp) {
      await engine.completeLocal(tenantId, request.raw, reply.raw, uid, outcome.userId, ['pwd']);
      return reply.hijack();
    }
    // The password is proven: the TOTP step holds that fact sealed in a short-lived cookie bound to this interaction.
    const expires = deps.clock.now().getTime() + PENDING_MINUTES * 60_000;
    const sealed = encryptSecret(
      deps.keyring,
      JSON.stringify({ userId: outcome.userId, expires }),
      pendingContext(tenantId, uid),
    );
    setSessionCookie(reply, pendingCookie, sealed);
    return sendPage(
      reply,
      200,
      totpPromptPage(tenantId, uid, await signInContext(deps.store, tenantId), csrf.token(request, reply)),
    );
  });

  app.post<{ Params: Params }>('/:tenantId/signin/:uid/local/totp', async (request, reply) => {
    if (!(await admit(request, reply))) return reply;
    const { tenantId, uid } = request.params;
    await engine.checkInteraction(tenantId, request.raw, reply.raw, uid);
    const pending = readPending(readCookie(request, pendingCookie.name), pendingContext(tenantId, uid));
    if (!pending || pending.expires <= deps.clock.now().getTime())
      return signInPage(request, reply, 401, SIGN_IN_FAILED);
    if (!(await accountAllowed(request, reply, tenantId, `user:${pending.userId}`))) return reply;
    const ok = await verifyTotp(deps, tenantId, pending.userId, field(request, 'code', 16).trim());
    await recordAudit(deps.credentials, deps.clock.now(), {
      tenantId,
      actor: `user:${pending.userId}`,
      action: ok ? 'credentials.signed_in' : 'credentials.totp_refused',
      target: pending.userId,
      data: { amr: ok ? ['pwd', 'otp', 'mfa'] : [] },
    });
    if (!ok) {
      const context = await signInContext(deps.store, tenantId);
      return sendPage(
        reply,
        401,
        totpPromptPage(
          tenantId,
          uid,
          context,
          csrf.token(request, reply),
          'That code is not right, or was already used. Enter the current code.',
        ),
      );
    }
    clearSessionCookie(reply, pendingCookie);
    await engine.completeLocal(tenantId, request.raw, reply.raw, uid, pending.userId, ['pwd', 'otp', 'mfa']);
    return reply.hijack();
  });

  function readPending(value: string | undefined, context: string): { userId: string; expires: number } | undefined {
    if (!value || value.length > 2048) return undefined;
    try {
      const parsed = JSON.parse(decryptSecret(deps.keyring, value, context)) as { userId?: unknown; expires?: unknown };
      return typeof parsed.userId === 'string' && typeof parsed.expires === 'number'
        ? { userId: parsed.userId, expires: parsed.expires }
        : undefined;
    } catch (error) {
      if (error instanceof DecryptionError || error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  // Links: a page with a button (GET spends nothing), the POST spends the link and starts an enrolment.

  for (const [segment, purpose] of [
    ['activate', 'invite'],
    ['reset', 'reset'],
  ] as const) {
    app.get<{ Params: Params }>(`/:tenantId/signin/${segment}/:secret`, async (request, reply) => {
      if (!(await admit(request, reply))) return reply;
      const { tenantId, secret } = request.params;
      const action = `/${tenantId}/signin/${segment}/${secret}`;
      return sendPage(reply, 200, redeemPage(action, purpose, await brand(tenantId), csrf.token(request, reply)));
    });
    app.post<{ Params: Params }>(`/:tenantId/signin/${segment}/:secret`, async (request, reply) => {
      if (!(await admit(request, reply))) return reply;
      const { tenantId, secret } = request.params;
      const result = await redeemLink(deps, tenantId, purpose, secret);
      if (result.kind === 'refused')
        return sendPage(reply, 410, messagePage('Link not valid', LINK_REFUSED, await brand(tenantId)));
      setSessionCookie(reply, enrolCookie, result.cookieValue);
      return reply.code(303).header('cache-control', 'no-store').header('location', `/${tenantId}/signin/enrol`).send();
    });
  }

  // Enrolment: set a password, then (optionally) TOTP, under the enrolment session.

  const enrolled = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const session = await readEnrolment(deps, request.params.tenantId, readCookie(request, enrolCookie.name));
    if (!session) {
      await sendPage(
        reply,
        401,
        messagePage(
          'Session ended',
          'This setup session has ended. Open the link from your mail again, or ask for a new one.',
          await brand(request.params.tenantId),
        ),
      );
    }
    return session;
  };

  app.get<{ Params: Params }>('/:tenantId/signin/enrol', async (request, reply) => {
    if (!(await admit(request, reply))) return reply;
    if (!(await enrolled(request, reply))) return reply;
    const { tenantId } = request.params;
    return sendPage(reply, 200, setPasswordPage(tenantId, await brand(tenantId), csrf.token(request, reply)));
  });

  app.post<{ Params: Params }>('/:tenantId/signin/enrol/password', async (request, reply) => {
    if (!(await admit(request, reply))) return reply;
    const session = await enrolled(request, reply);
    if (!session) return reply;
    const { tenantId } = request.params;
    const result = await setPassword(deps, tenantId, session.userId, field(request, 'password', 4096));
    const form = csrf.token(request, reply);
    if (!result.ok) {
      const message =
        result.problem === 'no_user' ? 'This account no longer exists.' : PASSWORD_PROBLEMS[result.problem];
      return sendPage(reply, 400, setPasswordPage(tenantId, await brand(tenantId), form, message));
    }
    return totpStep(request, reply, session.userId, form);
  });

  const totpStep = async (
    request: FastifyRequest<{ Params: Params }>,
    reply: FastifyReply,
    userId: string,
    form: string,
    message?: string,
  ) => {
    const { tenantId } = request.params;
    if (await hasConfirmedTotp(deps, tenantId, userId)) return finishEnrolment(request, reply);
    const [user, tenant, b] = await Promise.all([
      deps.credentials.users.get(tenantId, userId),
      deps.store.tenants.get(tenantId),
      brand(tenantId),
    ]);
    const label = typeof user?.data.userName === 'string' ? user.data.userName : userId;
    const setup = await beginTotp(deps, tenantId, userId, label, tenant?.name ?? b.productName);
    return sendPage(reply, message ? 400 : 200, totpEnrolPage(tenantId, b, form, setup, message));
  };

  app.post<{ Params: Params }>('/:tenantId/signin/enrol/totp', async (request, reply) => {
    if (!(await admit(request, reply))) return reply;
    const session = await enrolled(request, reply);
    if (!session) return reply;
    const { tenantId } = request.params;
    if (await confirmTotp(deps, tenantId, session.userId, field(request, 'code', 16).trim()))
      return finishEnrolment(request, reply);
    // A wrong code: a fresh secret to add (the page showed the old one; it stays unconfirmed and is replaced).
    return totpStep(
      request,
      reply,
      session.userId,
      csrf.token(request, reply),
      'That code did not match. Add this new key and try again.',
    );
  });

  app.post<{ Params: Params }>('/:tenantId/signin/enrol/done', async (request, reply) => {
    if (!(await admit(request, reply))) return reply;
    if (!(await enrolled(request, reply))) return reply;
    return finishEnrolment(request, reply);
  });

  async function finishEnrolment(request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) {
    const { tenantId } = request.params;
    await endEnrolment(deps, tenantId, readCookie(request, enrolCookie.name));
    clearSessionCookie(reply, enrolCookie);
    return sendPage(
      reply,
      200,
      messagePage(
        'You are all set',
        'Your account is ready. Return to your application and sign in.',
        await brand(tenantId),
      ),
    );
  }

  // Reset: ask for the address; one answer for every address.

  app.get<{ Params: Params }>('/:tenantId/signin/reset', async (request, reply) => {
    if (!(await admit(request, reply))) return reply;
    const { tenantId } = request.params;
    if (!(await deps.store.tenants.get(tenantId))) return sendPage(reply, 404, notFoundPage());
    return sendPage(reply, 200, resetRequestPage(tenantId, await brand(tenantId), csrf.token(request, reply)));
  });

  app.post<{ Params: Params }>('/:tenantId/signin/reset', async (request, reply) => {
    if (!(await admit(request, reply))) return reply;
    const { tenantId } = request.params;
    if (!(await deps.store.tenants.get(tenantId))) return sendPage(reply, 404, notFoundPage());
    const email = field(request, 'email', 320);
    if (!(await accountAllowed(request, reply, tenantId, loginKeyOf(email)))) return reply;
    if (await requestReset({ ...deps, publicUrl: options.publicUrl }, tenantId, email)) options.mailQueued?.();
    return sendPage(
      reply,
      200,
      resetRequestPage(tenantId, await brand(tenantId), csrf.token(request, reply), RESET_SENT),
    );
  });
}
