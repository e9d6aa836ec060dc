// What the SCIM surface's parts share — its dependencies, the request's caller and log draft, the 405 guard — so
// the plugin, Bulk, discovery and the routes import this module instead of each other.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthDeps } from '../../core/auth/principal.ts';
import { DomainError } from '../../core/errors.ts';
import type { Limiter } from '../../core/ratelimit/token-buckets.ts';
import type { ScimCaller } from '../../core/scim/context.ts';
import type { ScimSearchDeps } from '../../core/scim/list.ts';
import type { ScimLogBuffer } from '../../core/scim/log.ts';
import type { Telemetry } from '../../core/telemetry/ports.ts';
import { sendScimError, surfaceWire } from './errors.ts';

export interface ScimRateLimits {
  readonly tenant: Limiter;
  readonly token: Limiter;
  readonly authFailures: Limiter;
}

export interface ScimSurfaceDeps extends AuthDeps, ScimSearchDeps {
  readonly publicUrl: string;
  readonly limits: ScimRateLimits;
  readonly scimLog: ScimLogBuffer;
  readonly bodyLimit: number;
  readonly isStoreUnavailable: (error: unknown) => boolean;
  /** `tenant-url`: /{tenantId}/api/scim/v2 (the URL's tenant must be the token's); `token`: /iam/v1/scim. */
  readonly mode: 'tenant-url' | 'token';
  readonly telemetry: Telemetry;
}

export interface ScimLogDraft {
  operation: string;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  summary: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    scimCaller: ScimCaller | null;
    scimBaseUrl: string;
    scimLog: ScimLogDraft | null;
  }
}

/** The authenticated caller (the onRequest hook has run: a request without one never reaches a handler). */
export function caller(request: FastifyRequest): ScimCaller {
  if (!request.scimCaller) throw new DomainError('auth.missing', 'a bearer token is required');
  return request.scimCaller;
}

function methodNotAllowed(allowed: string) {
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('allow', allowed);
    return sendScimError(reply, surfaceWire('method.not_allowed', `this endpoint supports ${allowed}`));
  };
}

/** 405 with Allow for the methods an existing endpoint does not serve (instead of the 404 of an unknown path). */
export function methodGuard(app: FastifyInstance, url: string, allowed: string[]): void {
  const all = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
  for (const method of all) {
    if (!allowed.includes(method)) app.route({ method, url, handler: methodNotAllowed(allowed.join(', ')) });
  }
}
