// CSRF on the Roster ID forms (ADR 0040), as the console and home-realm discovery do: a double-submit token (a
// cookie only this site can set, repeated in the form) and the Origin (or Referer) of every POST must be Roster's
// own. The cookie follows the console's rule: `__Host-` and Secure, except on plain-http loopback.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookiePolicy, sameOrigin } from '../console/session.ts';
import { readCookie } from '../cookies.ts';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The pages carry `<meta name="referrer" content="no-referrer">`, under which a browser's form POST sends
 * `Origin: null` and no Referer, even to its own origin (Fetch, "serializing a request origin"). Such a POST is
 * same-origin when the browser's own Fetch Metadata says so (`Sec-Fetch-Site: same-origin`, which a page cannot
 * set); the double-submit token is checked as well.
 */
function sameOriginByFetchMetadata(request: FastifyRequest): boolean {
  return request.headers.origin === 'null' && request.headers['sec-fetch-site'] === 'same-origin';
}

export class CredentialCsrf {
  private readonly name: string;
  private readonly secure: boolean;

  constructor(private readonly publicUrl: string) {
    const policy = cookiePolicy(publicUrl, 3_600_000, 'roster-csrf');
    this.name = policy.name;
    this.secure = policy.secure;
  }

  private current(request: FastifyRequest): string | undefined {
    const value = readCookie(request, this.name);
    return value !== undefined && TOKEN.test(value) ? value : undefined;
  }

  /** The token for a form: the browser's own, or a fresh one set as a cookie. */
  token(request: FastifyRequest, reply: FastifyReply): string {
    const existing = this.current(request);
    if (existing) return existing;
    const token = randomBytes(32).toString('base64url');
    reply.header(
      'set-cookie',
      `${this.name}=${token}; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict${this.secure ? '; Secure' : ''}`,
    );
    return token;
  }

  /** A POST passes when it comes from Roster's origin and repeats the browser's token. */
  check(request: FastifyRequest): boolean {
    const cookie = this.current(request);
    const sent = (request.body as Record<string, unknown> | undefined)?.csrf;
    if (!cookie || typeof sent !== 'string' || sent.length !== cookie.length) return false;
    return (
      (sameOrigin(request, this.publicUrl) || sameOriginByFetchMetadata(request)) &&
      timingSafeEqual(Buffer.from(cookie), Buffer.from(sent))
    );
  }
}
