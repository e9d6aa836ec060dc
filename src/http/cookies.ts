// Reading one cookie from a request's Cookie header (RFC 6265 §5.4: `name=value` pairs separated by `;`).
// Shared by the console session, home-realm discovery's CSRF cookie and the test sign-in's browser binding.
import type { FastifyRequest } from 'fastify';

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
