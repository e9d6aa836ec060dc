// Bearer authentication as a Fastify hook: resolves the principal, then checks it is of the kind a route needs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuthDeps, authenticate, type Principal, requireKind, scopesAllow } from '../core/auth/principal.ts';
import { DomainError } from '../core/errors.ts';
import type { Telemetry } from '../core/telemetry/ports.ts';
import { bearerFrom } from '../lib/tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * The credential an Authorization header presents, for `authenticate`: undefined when there is no header (missing),
 * '' when there is one but not `Bearer <token>` — a present but non-Bearer header is an invalid credential, not a
 * missing one. Every surface reads the header through this.
 */
export function presentedBearer(header: string | undefined): string | undefined {
  const bearer = bearerFrom(header);
  return header !== undefined && bearer === undefined ? '' : bearer;
}

/** The routes a `scim-tokens` admin token may call: creating, listing and revoking SCIM tokens. */
export const SCIM_TOKEN_ROUTES: readonly string[] = ['/iam/v1/scim', '/iam/v1/scim/:id'];

function isScimTokenRoute(request: FastifyRequest): boolean {
  return SCIM_TOKEN_ROUTES.includes(request.routeOptions.url ?? '');
}

/** `kind`: the role a route needs, or both admin roles for routes that serve either (the directory API). */
export function principalHook(
  deps: AuthDeps & { readonly telemetry?: Telemetry | undefined },
  kind: Principal['kind'] | 'admin or operator',
) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    let principal: Principal;
    try {
      principal = await authenticate(deps, presentedBearer(request.headers.authorization));
      // A SCIM token is a credential of another API, not a lesser role of this one: it is as unknown here as any
      // string (401), so this API is no oracle for SCIM tokens. Admin vs operator is a role: 403 (ADR 0013).
      if (principal.kind === 'scim') throw new DomainError('auth.invalid', 'the bearer token is not valid');
      if (kind !== 'admin or operator') requireKind(principal, kind);
    } catch (error) {
      if (error instanceof DomainError) deps.telemetry?.authFailure('admin', authFailureReason(error.code));
      throw error;
    }
    if (principal.kind === 'admin' && !scopesAllow(principal.scopes, request.method, isScimTokenRoute(request))) {
      throw new DomainError(
        'auth.insufficient_scope',
        `this token's scopes (${principal.scopes.join(', ')}) do not allow ${request.method} ${request.routeOptions.url}`,
      );
    }
    request.principal = principal;
    if (principal.kind !== 'operator') request.log = request.log.child({ tenantId: principal.tenantId });
  };
}

/** The metrics' reason label: a fixed few values (missing, invalid, wrong_kind: a token of the other role). */
function authFailureReason(code: string): string {
  if (code === 'auth.missing') return 'missing';
  if (code === 'auth.wrong_kind') return 'wrong_kind';
  return 'invalid';
}

export function tenantOf(request: FastifyRequest): string {
  const p = request.principal;
  if (!p || p.kind === 'operator') throw new Error('route without a tenant principal');
  return p.tenantId;
}
