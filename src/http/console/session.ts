// The console session on the wire: the cookie, its flags, and the checks every request and every state change
// pass (ADR 0028). The rules themselves (timeouts, fresh ids) live in core/console/sessions.ts.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleSessionRecord } from '../../core/console/ports.ts';
import { type ConsoleSessionDeps, csrfMatches, resolveConsoleSession } from '../../core/console/sessions.ts';
import type { AdminSurfaceDeps } from '../admin/surface.ts';
import { readCookie, secureCookies, siteCookieName } from '../cookies.ts';
import { html } from './html.ts';
import { plainPage } from './layout.ts';

export type ConsoleDeps = AdminSurfaceDeps &
  ConsoleSessionDeps & { readonly isStoreUnavailable: (error: unknown) => boolean };

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: ConsoleSessionRecord;
  }
}

export interface CookiePolicy {
  readonly name: string;
  readonly secure: boolean;
  readonly maxAgeSeconds: number;
}

/**
 * The site-wide session cookie, Secure and `__Host-` by the one policy of src/http/cookies.ts. `baseName` lets other
 * cookies follow the same rule (Roster ID's enrolment cookie, `roster-enrol`, ADR 0040).
 */
export function cookiePolicy(publicUrl: string, absoluteMs: number, baseName = 'roster-console'): CookiePolicy {
  return {
    name: siteCookieName(publicUrl, baseName),
    secure: secureCookies(publicUrl),
    maxAgeSeconds: Math.floor(absoluteMs / 1000),
  };
}

export function setSessionCookie(reply: FastifyReply, policy: CookiePolicy, value: string): void {
  reply.header(
    'set-cookie',
    `${policy.name}=${value}; Path=/; Max-Age=${policy.maxAgeSeconds}; HttpOnly; SameSite=Strict${policy.secure ? '; Secure' : ''}`,
  );
}

export function clearSessionCookie(reply: FastifyReply, policy: CookiePolicy): void {
  reply.header(
    'set-cookie',
    `${policy.name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${policy.secure ? '; Secure' : ''}`,
  );
}

export function sessionCookie(request: FastifyRequest, policy: CookiePolicy): string | undefined {
  return readCookie(request, policy.name);
}

/**
 * A state change must come from a page of this console: its Origin (or, failing that, Referer) is Roster's public
 * origin. SameSite=Strict already keeps the cookie off cross-site requests; this refuses them even without it.
 */
export function sameOrigin(request: FastifyRequest, publicUrl: string): boolean {
  const expected = new URL(publicUrl).origin;
  const origin = request.headers.origin;
  if (typeof origin === 'string') return origin === expected;
  const referer = request.headers.referer;
  if (typeof referer !== 'string') return false;
  try {
    return new URL(referer).origin === expected;
  } catch {
    return false;
  }
}

function refuse(reply: FastifyReply, status: number, title: string, text: string) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(plainPage(title, html`<p>${text}</p><p><a href="/console">Back to the console</a></p>`));
}

export function refuseForgery(reply: FastifyReply) {
  return refuse(
    reply,
    403,
    'Request refused',
    'This form did not come from a page of this console (or the page was too old). Reload the page and try again.',
  );
}

/** onRequest of every signed-in page: the session, or the sign-in form (a GET) / a clear refusal (anything else). */
export function requireSession(deps: ConsoleDeps, policy: CookiePolicy) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const session = await resolveConsoleSession(deps, sessionCookie(request, policy));
    if (!session) {
      if (request.method === 'GET') return reply.redirect('/console/login', 303);
      return refuse(reply, 401, 'Your session has ended', 'Sign in again to continue.');
    }
    request.consoleSession = session;
    request.log = request.log.child({ tenantId: session.tenantId });
  };
}

/** preHandler of every signed-in state change: same origin and the session's synchronizer token. */
export function requireCsrf(deps: ConsoleDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    const body = request.body as Record<string, unknown> | undefined;
    if (!sameOrigin(request, deps.publicUrl) || !csrfMatches(request.consoleSession!, body?._csrf)) {
      return refuseForgery(reply);
    }
  };
}

export function sessionOf(request: FastifyRequest): ConsoleSessionRecord {
  const session = request.consoleSession;
  if (!session) throw new Error('console route without a session');
  return session;
}
