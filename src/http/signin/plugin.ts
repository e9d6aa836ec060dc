// Sign-in routes: each tenant's OpenID Provider protocol endpoints, and the pages and hops of the broker.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import { PAGE_CSP } from '../../lib/html.ts';
import { choosePage, problemPage, refusedPage } from './pages.ts';

type Refusal = { readonly kind: 'refused'; readonly reason: string; readonly message: string };

/** What the routes need from the sign-in engine (implemented in src/oidc, wired in app.ts). */
export interface SignInSurface {
  handleProtocol(tenantId: string, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  interaction(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
  ): Promise<
    | { kind: 'choose'; choices: readonly { scheme: string; displayName: string }[]; notice?: string }
    | { kind: 'redirect'; location: string }
    | { kind: 'finished' }
  >;
  startUpstream(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    scheme: string,
  ): Promise<URL | Refusal>;
  interactionOfState(tenantId: string, state: string): Promise<string | undefined>;
  completeUpstream(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    query: URLSearchParams,
  ): Promise<Refusal | { kind: 'finished' }>;
  abort(tenantId: string, req: IncomingMessage, res: ServerResponse, uid: string): Promise<void>;
  delegatedToken(
    tenantId: string,
    accessToken: string,
  ): Promise<{ status: 200; body: Record<string, unknown> } | { status: 401 | 403 | 404; error: string }>;
}

export interface SignInPluginOptions {
  readonly engine: SignInSurface;
  readonly isStoreUnavailable: (error: unknown) => boolean;
}

const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UID = /^[A-Za-z0-9_-]{1,64}$/;

interface Params {
  tenantId: string;
  uid: string;
  scheme: string;
}

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .send(html);
}

const queryOf = (request: FastifyRequest) => new URLSearchParams(request.url.split('?')[1] ?? '');

export async function signInPlugin(app: FastifyInstance, options: SignInPluginOptions): Promise<void> {
  const { engine } = options;

  // oidc-provider parses its own bodies (form posts to the token endpoint): leave the stream unread for it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  /** Failures of the pages: a gone interaction is the person's to restart, the database's is a 503. */
  app.setErrorHandler(async (error, request, reply) => {
    if (reply.sent || reply.raw.headersSent) return;
    if (options.isStoreUnavailable(error)) {
      reply.header('retry-after', '5');
      return sendPage(reply, 503, problemPage('Try again shortly', 'The service is briefly unavailable.'));
    }
    if (error instanceof DomainError && error.code === 'validation.failed') {
      return sendPage(
        reply,
        400,
        problemPage('Bad request', 'This address is not valid. Start again from the application.'),
      );
    }
    const name = (error as { name?: string }).name;
    if (name === 'SessionNotFound' || (error as Error).message === 'interaction mismatch') {
      return sendPage(
        reply,
        400,
        problemPage('Sign-in expired', 'This sign-in has expired or was opened in another browser. Start again.'),
      );
    }
    request.log.error({ err: { message: (error as Error).message, name } }, 'sign-in route failed');
    return sendPage(reply, 500, problemPage('Something went wrong', 'Sign-in failed unexpectedly. Try again.'));
  });

  const checkParams = (params: Partial<Params>): boolean =>
    TENANT.test(params.tenantId ?? '') && (params.uid === undefined || UID.test(params.uid));
  const notFound = (reply: FastifyReply) => sendPage(reply, 404, problemPage('Not found', 'There is nothing here.'));

  const protocol = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    if (!checkParams(request.params)) return notFound(reply);
    reply.hijack();
    try {
      if (!(await engine.handleProtocol(request.params.tenantId, request.raw, reply.raw))) {
        reply.raw.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      }
    } catch (error) {
      const unavailable = options.isStoreUnavailable(error);
      request.log.error({ err: { message: (error as Error).message } }, 'OpenID Provider request failed');
      if (!reply.raw.headersSent) {
        reply.raw
          .writeHead(unavailable ? 503 : 500, {
            'content-type': 'application/json',
            ...(unavailable ? { 'retry-after': '5' } : {}),
          })
          .end(JSON.stringify({ error: unavailable ? 'temporarily_unavailable' : 'server_error' }));
      } else reply.raw.end();
    }
  };
  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/:tenantId/.well-known/openid-configuration',
    handler: protocol,
  });
  app.route({ method: ['GET', 'POST', 'OPTIONS', 'DELETE'], url: '/:tenantId/oidc/*', handler: protocol });

  /** Runs an engine step that may answer the browser itself (oidc-provider's 303s). */
  const raw = async (reply: FastifyReply, step: () => Promise<void>) => {
    await step();
    reply.hijack();
  };

  app.get<{ Params: Params }>('/:tenantId/signin/callback', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const query = queryOf(request);
    const uid = await engine.interactionOfState(request.params.tenantId, query.get('state') ?? '');
    if (!uid) {
      return sendPage(
        reply,
        400,
        refusedPage(
          request.params.tenantId,
          undefined,
          'This sign-in has expired or was already used. Start again from the application.',
        ),
      );
    }
    // Continue under the interaction's path, where its cookie is sent: that binds the callback to this browser.
    return reply.code(303).header('location', `/${request.params.tenantId}/signin/${uid}/return?${query}`).send();
  });

  app.get<{ Params: Params }>('/:tenantId/signin/:uid', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const { tenantId, uid } = request.params;
    const step = await engine.interaction(tenantId, request.raw, reply.raw, uid);
    if (step.kind === 'finished') return reply.hijack();
    if (step.kind === 'redirect') return reply.code(303).header('location', step.location).send();
    return sendPage(reply, 200, choosePage(tenantId, uid, step.choices, step.notice));
  });

  app.get<{ Params: Params }>('/:tenantId/signin/:uid/start/:scheme', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const { tenantId, uid, scheme } = request.params;
    const next = await engine.startUpstream(tenantId, request.raw, reply.raw, uid, scheme);
    if (next instanceof URL) return reply.code(303).header('location', next.href).send();
    return sendPage(reply, 403, refusedPage(tenantId, uid, next.message));
  });

  app.get<{ Params: Params }>('/:tenantId/signin/:uid/return', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const { tenantId, uid } = request.params;
    const outcome = await engine.completeUpstream(tenantId, request.raw, reply.raw, uid, queryOf(request));
    if (outcome.kind === 'finished') return reply.hijack();
    return sendPage(reply, 403, refusedPage(tenantId, uid, outcome.message));
  });

  app.get<{ Params: Params }>('/:tenantId/signin/:uid/abort', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    await raw(reply, () => engine.abort(request.params.tenantId, request.raw, reply.raw, request.params.uid));
  });

  app.get<{ Params: Params }>('/:tenantId/delegation/token', async (request, reply) => {
    if (!checkParams(request.params)) return notFound(reply);
    const header = request.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9._~+/-]{1,512}=*)$/.exec(header);
    reply.header('cache-control', 'no-store');
    if (!match) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'invalid_token' });
    }
    const result = await engine.delegatedToken(request.params.tenantId, match[1]!);
    if (result.status === 200) return reply.send(result.body);
    if (result.status === 401) reply.header('www-authenticate', 'Bearer error="invalid_token"');
    return reply.code(result.status).send({ error: result.error });
  });
}
