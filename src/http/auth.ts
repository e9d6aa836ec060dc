// Bearer authentication as a Fastify hook: resolves the principal, then checks it is of the kind a route needs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuthDeps, authenticate, type Principal, requireKind } from '../core/auth/principal.ts';
import { bearerFrom } from '../lib/tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function principalHook(deps: AuthDeps, kind: Principal['kind']) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const bearer = bearerFrom(header);
    // A present but non-Bearer header is an invalid credential, not a missing one.
    const principal = await authenticate(deps, header !== undefined && bearer === undefined ? '' : bearer);
    requireKind(principal, kind);
    request.principal = principal;
    if (principal.kind !== 'operator') request.log = request.log.child({ tenantId: principal.tenantId });
  };
}

export function tenantOf(request: FastifyRequest): string {
  const p = request.principal;
  if (!p || p.kind === 'operator') throw new Error('route without a tenant principal');
  return p.tenantId;
}
