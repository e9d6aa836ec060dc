// The Fastify instance: request ids, JSON logs with redaction, limits, health, and the shared error fallback.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { DomainError } from '../core/errors.ts';
import type { Telemetry } from '../core/telemetry/ports.ts';
import { findUnstorableText } from '../lib/storable-text.ts';
import { tracingActive } from '../lib/tracing.ts';
import { decodeUtf8 } from '../lib/utf8.ts';
import { deferredChildLoggerFactory } from './deferred-logger.ts';
import { problem, sendProblem } from './problem.ts';
import { REDACT_PATHS, redactUrl } from './redact.ts';
import { isScimPath, routeClassOf } from './route-class.ts';
import { traceRequests } from './tracing.ts';

export interface ServerOptions {
  readonly logger: Logger | false;
  readonly bodyLimit: number;
  /** After a 413 sent before the whole body arrived: how much of the rest to read and discard, and for how long. */
  readonly oversizeDrain: { readonly bytes: number; readonly ms: number };
  /** Whole request / headers deadlines for slow clients (slowloris); enforced within a second of the bound. */
  readonly timeouts: { readonly requestMs: number; readonly headersMs: number };
  readonly isStoreUnavailable: (error: unknown) => boolean;
  readonly ping: () => Promise<void>;
  /** Peers whose X-Forwarded-* headers are believed (ROSTER_TRUST_PROXY); request.ip is then the client's. */
  readonly trustProxy?: false | number | readonly string[];
  readonly telemetry?: Telemetry | undefined;
  /** Labels request metrics with the authenticated tenant (ROSTER_METRICS_TENANT_LABEL): one series per tenant. */
  readonly tenantLabel?: boolean | undefined;
}

const INVALID_UTF8 = 'ROSTER_BODY_INVALID_UTF8';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
}

export function createServer(options: ServerOptions): FastifyInstance {
  const server = Fastify({
    loggerInstance: options.logger === false ? undefined : options.logger,
    logger: options.logger === false ? false : undefined,
    bodyLimit: options.bodyLimit,
    // Behind a reverse proxy every request comes from the proxy: trusting its X-Forwarded-For makes request.ip the
    // client's, so failed authentications are counted per client. Never all peers: a client could pick its address.
    trustProxy: Array.isArray(options.trustProxy) ? [...options.trustProxy] : (options.trustProxy ?? false),
    // Client-supplied ids are kept only when they are short and plain, so they cannot forge log lines.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestTimeout: options.timeouts.requestMs,
    // Node checks these deadlines every connectionsCheckingInterval (30 s by default): a 10 s header deadline could
    // otherwise hold a trickling socket for 40 s.
    http: {
      headersTimeout: options.timeouts.headersMs,
      requestTimeout: options.timeouts.requestMs,
      connectionsCheckingInterval: Math.min(1_000, options.timeouts.headersMs),
    },
    connectionTimeout: 60_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 200 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Fastify's own request lines would log full URLs (with SCIM filter values); ours below redacts them.
    logController: new LogController({ disableRequestLogging: true }),
    // A request's pino child is made when it first writes a line, not for every request (deferred-logger.ts).
    ...(options.logger === false ? {} : { childLoggerFactory: deferredChildLoggerFactory }),
    // A URL that is not valid percent-encoded UTF-8, or a path segment over maxParamLength, is answered in the
    // surface's own error format, without echoing the URL (Fastify's default does both wrong).
    frameworkErrors: (error: { code?: string }, request: FastifyRequest, reply: FastifyReply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const path = request.raw.url ?? '';
      if (isScimPath(path)) {
        const status = tooLong ? 404 : 400;
        reply.code(status).type('application/scim+json; charset=utf-8');
        return reply.send(
          JSON.stringify({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
            status: String(status),
            ...(tooLong ? {} : { scimType: 'invalidSyntax' }),
            detail: tooLong ? 'no such resource' : 'the request URL is not valid percent-encoded UTF-8',
          }),
        );
      }
      return sendProblem(
        reply,
        tooLong
          ? problem('route.not_found', 'no such resource')
          : problem('validation.failed', 'the request URL is not valid percent-encoded UTF-8'),
      );
    },
  } as FastifyServerOptions);

  // Only JSON is spoken here: a text/plain body is refused with 415 instead of reaching validation as a string.
  server.removeContentTypeParser('text/plain');
  // JSON bodies are decoded strictly (RFC 8259 §8.1: UTF-8), then parsed as Fastify would (prototype keys refused):
  // Fastify's own decoding would store U+FFFD in place of bytes that are not UTF-8.
  const parseJson = server.getDefaultJsonParser('error', 'error');
  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const text = decodeUtf8(body as Buffer);
    if (text === undefined) return done(Object.assign(new Error('invalid UTF-8'), { code: INVALID_UTF8 }), undefined);
    parseJson(request, text, done);
  });

  // First, so every later hook, handler and query runs inside the request's span.
  if (tracingActive()) traceRequests(server);
  server.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Closing: a request still in flight is answered with Connection: close. Otherwise its keep-alive connection would
  // turn idle after the response and hold close() open until keepAliveTimeout (72 s), past any shutdown grace.
  let closing = false;
  server.addHook('preClose', async () => {
    closing = true;
  });
  server.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  // A 413 is sent as soon as a body passes its limit. Closing the socket right after it, with the rest of the body
  // unread, makes the kernel answer with a reset, and clients that write the whole body before reading (Node, .NET's
  // HttpClient, Java) then report ECONNRESET instead of the 413. So the rest is read and discarded, within bounds.
  server.addHook('onSend', async (request, reply) => {
    if (reply.statusCode !== 413 || request.raw.complete) return;
    reply.header('connection', 'close');
    drainThenClose(request.raw, options.oversizeDrain);
  });
  // A request pipelined behind an oversized body on the same connection would run but never be answered (the socket
  // closes after the 413), so it is not run: left unanswered, it goes with the socket.
  server.addHook('onRequest', async (request, reply) => {
    if (!DRAINED.has(request.raw.socket)) return;
    reply.hijack();
    return reply;
  });
  // No surface stores NUL or unpaired surrogates: refused in decoded path parameters, query values and JSON
  // bodies alike, before any handler (PostgreSQL would fail on NUL with a 500; SQLite would keep it).
  server.addHook('preValidation', async (request) => {
    const reason =
      findUnstorableText(request.params) ?? findUnstorableText(request.query) ?? findUnstorableText(request.body);
    if (reason) throw new DomainError('validation.failed', `the request contains ${reason}`);
  });
  const telemetry = options.telemetry;
  if (telemetry) {
    const tenantLabel = options.tenantLabel === true;
    // A callback hook, not an async one: no promise per request for a few additions.
    server.addHook('onResponse', (request, reply, done) => {
      telemetry.request({
        routeClass: routeClassOf(request),
        method: request.method,
        status: reply.statusCode,
        seconds: reply.elapsedTime / 1000,
        tenantId: tenantLabel ? authenticatedTenant(request) : undefined,
      });
      done();
    });
  }
  // One line per request, with the URL's query values redacted (filters carry personal data).
  server.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });

  server.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  server.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await options.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable' });
    }
  });

  server.setErrorHandler((error, request, reply) => {
    if (error instanceof DomainError) return sendProblem(reply, problem(error.code, error.message, error.fields));
    if (options.isStoreUnavailable(error)) {
      request.log.warn({ err: { code: (error as { code?: unknown }).code } }, 'store unavailable');
      return sendProblem(reply, problem('store.unavailable', 'the database is unavailable; retry later'));
    }
    const mapped = mapFastifyError(error);
    if (mapped) return sendProblem(reply, mapped);
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, problem('internal', 'an unexpected error occurred; it was logged with the request id'));
  });

  server.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem('route.not_found', `no route for ${request.method} at this path`)),
  );
  return server;
}

/**
 * Reads and discards what is left of `request`'s body, and closes its socket once the body has ended (or the client
 * stopped sending) and the answer is written — or at once when more than `bytes` were discarded or `ms` have passed
 * (a body that never ends cannot hold the socket). Node ends a Connection: close socket as soon as the answer is
 * written (`destroySoon`); that call is deferred here until the body is in.
 */
function drainThenClose(request: IncomingMessage, bounds: { readonly bytes: number; readonly ms: number }): void {
  const socket = request.socket as IncomingMessage['socket'] & { destroySoon?: () => void };
  // inject() has no real socket; and a socket already draining needs nothing more.
  if (typeof socket?.destroySoon !== 'function' || socket.destroyed || DRAINED.has(socket)) return;
  DRAINED.add(socket);
  const closeWhenWritten = socket.destroySoon.bind(socket);
  let answered = false;
  let drained = false;
  let discarded = 0;
  const stop = () => {
    clearTimeout(timer);
    request.off('data', onData).off('end', onEnd).off('close', onEnd);
    socket.off('close', stop);
  };
  const cut = () => {
    stop();
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > bounds.bytes) cut();
  };
  const onEnd = () => {
    stop();
    drained = true;
    if (answered) closeWhenWritten();
  };
  socket.destroySoon = () => {
    answered = true;
    if (drained) closeWhenWritten();
  };
  const timer = setTimeout(cut, bounds.ms);
  // 'close' without 'end': the client gave up on the body (Node's own client ends its socket once it has read a
  // Connection: close answer); the socket is closing already.
  request.on('data', onData).on('end', onEnd).on('close', onEnd);
  socket.on('close', stop);
  request.resume();
}

/** The tenant the request's credential named; never the URL's (anyone can put any id in a URL). */
function authenticatedTenant(request: FastifyRequest): string | undefined {
  const principal = request.principal;
  return request.scimCaller?.tenantId ?? (principal && principal.kind !== 'operator' ? principal.tenantId : undefined);
}

/** Sockets answered with a 413 and closing: no further request on them is run. */
const DRAINED = new WeakSet<object>();

interface FastifyErrorLike {
  code?: string;
  statusCode?: number;
  validation?: { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }[];
  validationContext?: string;
}

/** Fastify's own errors (parsing, limits, schema validation) → problem documents naming the field. */
export function mapFastifyError(error: unknown): ReturnType<typeof problem> | undefined {
  const e = error as FastifyErrorLike;
  if (e.validation && e.validation.length > 0) {
    const fields = e.validation.map((v) => {
      const base = [e.validationContext === 'body' ? '' : e.validationContext, ...v.instancePath.split('/').slice(1)]
        .filter(Boolean)
        .join('.');
      const extra = (v.params.missingProperty ?? v.params.additionalProperty) as string | undefined;
      const field = [base, extra].filter(Boolean).join('.') || '(body)';
      const message =
        v.keyword === 'additionalProperties'
          ? 'is not a known field'
          : v.keyword === 'required'
            ? 'is required'
            : (v.message ?? 'is invalid');
      return { field, message };
    });
    return problem('validation.failed', fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('request.too_large', 'the request body is larger than this endpoint accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem('request.unsupported_media_type', 'send the body as application/json');
    case INVALID_UTF8:
      return problem('request.malformed_json', 'the body is not valid UTF-8');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem('request.malformed_json', 'the body is not valid JSON');
  }
  if (e.statusCode === 415) return problem('request.unsupported_media_type', 'send the body as application/json');
  if (e.statusCode === 413)
    return problem('request.too_large', 'the request body is larger than this endpoint accepts');
  return undefined;
}
