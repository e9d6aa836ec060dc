// GET /metrics (ADR 0033): the Prometheus exposition, for the operator token or ROSTER_METRICS_TOKEN, on the main
// port or on a listener of its own (ROSTER_METRICS_PORT).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type AuthDeps, authenticate } from '../core/auth/principal.ts';
import { DomainError } from '../core/errors.ts';
import type { Telemetry } from '../core/telemetry/ports.ts';
import { type Digest, digestSecret, verifySecret } from '../lib/keyring.ts';
import { presentedBearer } from './auth.ts';
import { problem, sendProblem } from './problem.ts';

export interface MetricsExposition {
  render(): Promise<{ readonly contentType: string; readonly body: string }>;
}

export interface MetricsAccess {
  /** Who may scrape: the operator's tokens (through `authenticate`) and the metrics token, compared by digest. */
  readonly auth: AuthDeps;
  readonly metricsToken: string | undefined;
}

type Verdict = 'ok' | 'auth.missing' | 'auth.invalid' | 'auth.wrong_kind';

function checker(access: MetricsAccess): (bearer: string | undefined) => Promise<Verdict> {
  // Digested once: the presented token is compared as an HMAC digest in constant time, as every token is (A12).
  const digest: Digest | undefined =
    access.metricsToken === undefined ? undefined : digestSecret(access.auth.keyring, access.metricsToken);
  return async (bearer) => {
    if (bearer === undefined) return 'auth.missing';
    if (digest && verifySecret(access.auth.keyring, bearer, digest)) return 'ok';
    try {
      const principal = await authenticate(access.auth, bearer);
      // Only the operator sees the whole service's figures; a tenant's admin token is a role that may not.
      return principal.kind === 'operator' ? 'ok' : principal.kind === 'admin' ? 'auth.wrong_kind' : 'auth.invalid';
    } catch (error) {
      if (error instanceof DomainError && error.code === 'auth.missing') return 'auth.missing';
      if (error instanceof DomainError) return 'auth.invalid';
      throw error;
    }
  };
}

const DETAIL: Record<Exclude<Verdict, 'ok'>, string> = {
  'auth.missing': 'a bearer token is required',
  'auth.invalid': 'the bearer token is not valid',
  'auth.wrong_kind': 'this endpoint needs an operator token or the metrics token',
};

export function registerMetricsRoute(
  server: FastifyInstance,
  options: { readonly exposition: MetricsExposition; readonly access: MetricsAccess; readonly telemetry: Telemetry },
): void {
  const check = checker(options.access);
  server.get('/metrics', { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const verdict = await check(presentedBearer(request.headers.authorization));
    if (verdict !== 'ok') {
      options.telemetry.authFailure('metrics', verdict.slice('auth.'.length));
      return sendProblem(reply, problem(verdict, DETAIL[verdict]));
    }
    const { contentType, body } = await options.exposition.render();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}

/** The dedicated listener: /metrics and nothing else (every other path 404s), no body parsing, no logging. */
export function createMetricsServer(options: Parameters<typeof registerMetricsRoute>[1]): FastifyInstance {
  const server = Fastify({ logger: false, bodyLimit: 1024, forceCloseConnections: true });
  registerMetricsRoute(server, options);
  server.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem('route.not_found', `no route for ${request.method} at this path`)),
  );
  server.setErrorHandler((_error, _request, reply) =>
    sendProblem(reply, problem('internal', 'could not collect the metrics; retry later')),
  );
  return server;
}
