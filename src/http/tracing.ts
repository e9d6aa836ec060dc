// A server span per request (ADR 0034), made the active context for every hook and handler after it, so the
// store's query spans and the IdP calls become its children. Its attributes name the route template, never the
// URL: paths carry ids and query strings carry SCIM filter values.
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { rosterTracer } from '../lib/tracing.ts';

export function traceRequests(server: FastifyInstance): void {
  const tracer = rosterTracer();
  server.addHook('onRequest', (request, reply, done) => {
    // A caller's W3C traceparent (a proxy's, an app's) makes this span part of its trace.
    const parent = propagation.extract(context.active(), request.headers);
    const span: Span = tracer.startSpan(
      request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.scheme': request.protocol,
          'network.protocol.version': request.raw.httpVersion,
        },
      },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = request.routeOptions.url;
      if (route !== undefined) {
        span.setAttribute('http.route', route);
        span.updateName(`${request.method} ${route}`);
      }
      const status = reply.raw.statusCode;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    // 'finish' when the answer was written; 'close' also covers a client gone first and hijacked replies.
    reply.raw.once('finish', end);
    reply.raw.once('close', end);
    context.with(trace.setSpan(parent, span), done);
  });
}
