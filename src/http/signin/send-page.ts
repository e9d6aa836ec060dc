// The headers every sign-in page goes out with: the no-script CSP, never cached, never framed.
import type { FastifyReply } from 'fastify';
import { PAGE_CSP } from '../../lib/html.ts';

export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .send(html);
}
