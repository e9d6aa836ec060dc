// Cookies on the wire: the one Secure / `__Host-` policy every cookie Roster sets follows (console session, setup
// links' session, sign-in and home-realm discovery, the OpenID Provider's interaction cookies), and reading one
// cookie from a request's Cookie header (RFC 6265 §5.4: `name=value` pairs separated by `;`).
import type { FastifyRequest } from 'fastify';
import { isLoopbackHost } from '../core/sso/authority.ts';

/**
 * Secure always, except when ROSTER_PUBLIC_URL is plain http on a loopback host (development, tests): a browser
 * drops a Secure cookie set over plain http, so there the cookie goes without it. Plain http elsewhere still gets
 * Secure cookies, which the browser will not send back: the pages then refuse to work rather than run insecurely.
 */
export function secureCookies(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  return url.protocol === 'https:' || !isLoopbackHost(url.hostname);
}

/**
 * A cookie for the whole site (Path=/, no Domain) carries the `__Host-` prefix whenever it is Secure, so no
 * subdomain or plain-http page can plant or overwrite it; browsers refuse the prefix on a cookie that is not Secure.
 */
export function siteCookieName(publicUrl: string, name: string): string {
  return secureCookies(publicUrl) ? `__Host-${name}` : name;
}

/** The value of the first cookie called `cookieName`, or undefined when the request carries none. */
export function readCookie(request: FastifyRequest, cookieName: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === cookieName) return part.slice(eq + 1).trim();
  }
  return undefined;
}
