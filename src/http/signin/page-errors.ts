// How every sign-in surface answers a failure, as a page: a database that cannot serve is a 503 with Retry-After;
// a domain error with a page of its own gets that page; Fastify's own refusals (an oversized or unparseable body,
// an unsupported content type) are the client's fault, a 400; anything else is a bug, logged and answered without
// detail. One handler for the OP's pages, the credential pages and home-realm discovery.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import { errorPage, failedPage, isPageErrorCode, unavailablePage } from './pages.ts';
import { sendPage } from './send-page.ts';

export interface PageErrorOptions {
  readonly isStoreUnavailable: (error: unknown) => boolean;
  /** What the log line says failed, e.g. 'sign-in route failed'. */
  readonly failure: string;
  /** The page for a refused request (default: the "request not valid" page). */
  readonly refusedPage?: () => Promise<string>;
}

export function pageErrorHandler(options: PageErrorOptions) {
  return async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
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
    if (status !== undefined && status >= 400 && status < 500) {
      const html = options.refusedPage ? await options.refusedPage() : errorPage('validation.failed').html;
      return sendPage(reply, 400, html);
    }
    const name = (error as { name?: string }).name;
    request.log.error({ err: { message: (error as Error).message, name } }, options.failure);
    return sendPage(reply, 500, failedPage());
  };
}
