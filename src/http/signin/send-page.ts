// The headers every sign-in page goes out with: the no-script CSP, never cached, never framed.
import type { FastifyReply } from 'fastify';
import { PAGE_CSP } from '../../lib/html.ts';

/** `csp`: a page that runs a passkey ceremony passes PASSKEY_PAGE_CSP (scripts from this origin, ADR 0042). */
export function sendPage(reply: FastifyReply, status: number, html: string, csp: string = PAGE_CSP): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', csp)
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .send(html);
}
