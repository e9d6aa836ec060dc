// The SCIM surface's first step: who is calling (a SCIM token, valid at this URL), and whether they may now.
import type { FastifyRequest } from 'fastify';
import { authenticate, type Principal } from '../../core/auth/principal.ts';
import { DomainError, hasCode } from '../../core/errors.ts';
import type { AuthFailureReason } from '../../core/scim/auth-failures.ts';
import { type PlannedLookup, planLookup } from '../../core/scim/prefetch.ts';
import type { SearchParams } from '../../core/scim/search.ts';
import { findUnstorableText, unstorableReason } from '../../lib/storable-text.ts';
import { presentedBearer } from '../auth.ts';
import { ScimSurfaceError } from './errors.ts';
import type { ScimSurfaceDeps } from './surface.ts';

type ScimPrincipal = Extract<Principal, { kind: 'scim' }>;

/** A failed authentication, with the reason the URL tenant's admin may see (see AuthFailureReason). */
class Refused extends DomainError {
  constructor(
    code: 'auth.missing' | 'auth.invalid',
    readonly reason: AuthFailureReason,
  ) {
    super(code, code === 'auth.missing' ? 'a bearer token is required' : 'the bearer token is not valid');
  }
}

/**
 * The id of a `GET /Users/{id}` or `GET /Groups/{id}` (`route` names which), whose resource the store may read in
 * the token's statement (ADR 0051); also of a user's PATCH and PUT, and of a group's PATCH, which write in one
 * statement on that read where the store can (ADR 0057, ADR 0062). Not for text no store holds (the preValidation
 * hook refuses it later, with its own error).
 */
function idToRead(request: FastifyRequest, route: '/Users/:id' | '/Groups/:id'): string | undefined {
  const method = request.method;
  const reads = method === 'GET' || method === 'PATCH' || (route === '/Users/:id' && method === 'PUT');
  if (!reads || !request.routeOptions.url?.endsWith(route)) return undefined;
  const id = (request.params as { id?: unknown }).id;
  return typeof id === 'string' && unstorableReason(id) === undefined ? id : undefined;
}

/**
 * The lookup of a `GET /Users?filter=…` or `GET /Groups?filter=…` (`attr eq "value"`, first page), which the store
 * may read in the token's statement (ADR 0055). Not for text no store holds (the preValidation hook refuses it).
 */
function lookupToRead(deps: ScimSurfaceDeps, request: FastifyRequest): PlannedLookup | undefined {
  if (request.method !== 'GET') return undefined;
  const route = request.routeOptions.url;
  const type = route?.endsWith('/Users') ? 'User' : route?.endsWith('/Groups') ? 'Group' : undefined;
  if (type === undefined || findUnstorableText(request.query) !== undefined) return undefined;
  return planLookup(type, request.query as SearchParams, deps.clock.now());
}

async function scimPrincipal(deps: ScimSurfaceDeps, request: FastifyRequest): Promise<ScimPrincipal> {
  let principal: Principal;
  try {
    principal = await authenticate(deps, presentedBearer(request.headers.authorization), {
      prefetchUser: idToRead(request, '/Users/:id'),
      prefetchGroup: idToRead(request, '/Groups/:id'),
      prefetchLookup: () => lookupToRead(deps, request),
    });
  } catch (error) {
    if (hasCode(error, 'auth.missing')) throw new Refused('auth.missing', 'missing');
    if (hasCode(error, 'auth.invalid') || hasCode(error, 'auth.wrong_kind'))
      throw new Refused('auth.invalid', 'invalid');
    throw error;
  }
  // A token is valid only at its own tenant's URL; elsewhere it is as unknown as any other string (A7). A token
  // of the management API is too (ADR 0013); only the URL tenant's own admin token is named in its log.
  const urlTenant = deps.mode === 'tenant-url' ? (request.params as { tenantId?: string }).tenantId : undefined;
  if (principal.kind === 'scim' && (deps.mode === 'token' || principal.tenantId === urlTenant)) return principal;
  const ownAdmin = principal.kind === 'admin' && principal.tenantId === urlTenant;
  throw new Refused('auth.invalid', ownAdmin ? 'admin_token' : 'invalid');
}

/** onRequest: every request, routes and unknown paths alike, is authenticated here once, then rate-limited. */
export function authenticationHook(deps: ScimSurfaceDeps) {
  return async (request: FastifyRequest): Promise<void> => {
    let scim: ScimPrincipal;
    try {
      scim = await scimPrincipal(deps, request);
    } catch (error) {
      // A database that cannot check the token is not a failed authentication (→ 503, and no bucket spent).
      if (!(error instanceof Refused)) throw error;
      // The URL names a tenant: its admin sees the attempt, counted per minute and reason (never the token).
      const urlTenant = (request.params as { tenantId?: string }).tenantId;
      if (deps.mode === 'tenant-url' && urlTenant !== undefined) deps.scimLog.noteAuthFailure(urlTenant, error.reason);
      deps.telemetry.authFailure('scim', error.reason);
      // Guessing tokens is slowed per client address; valid traffic never spends from this bucket.
      const guard = await deps.limits.authFailures.take(request.ip);
      if (!guard.ok) {
        deps.telemetry.rateLimited('auth_failures');
        throw new ScimSurfaceError(
          'request.rate_limited',
          'too many failed authentications; retry later',
          guard.retryAfterSeconds,
        );
      }
      throw error;
    }
    request.scimBaseUrl =
      deps.mode === 'tenant-url' ? `${deps.publicUrl}/${scim.tenantId}/api/scim/v2` : `${deps.publicUrl}/iam/v1/scim`;
    request.scimCaller = {
      tenantId: scim.tenantId,
      tokenId: scim.tokenId,
      provider: scim.provider,
      defaultRole: scim.defaultRole,
      domainPolicy: scim.domainPolicy,
      prefetchedUser: scim.prefetchedUser,
      prefetchedGroup: scim.prefetchedGroup,
      prefetchedLookup: scim.prefetchedLookup,
    };
    request.log = request.log.child({ tenantId: scim.tenantId });
    // Per token, then per tenant (a request the token's bucket refuses costs the tenant nothing), so one
    // tenant's flood, or one runaway token, leaves the others untouched. A limiter answers from memory, and now
    // and then after claiming a batch of permits from the bucket shared through PostgreSQL (ADR 0012).
    for (const [bucket, key, scope] of [
      [deps.limits.token, scim.tokenId, 'scim_token'],
      [deps.limits.tenant, scim.tenantId, 'scim_tenant'],
    ] as const) {
      const taken = await bucket.take(key);
      if (!taken.ok) {
        deps.telemetry.rateLimited(scope);
        throw new ScimSurfaceError(
          'request.rate_limited',
          'request rate limit exceeded; retry later',
          taken.retryAfterSeconds,
        );
      }
    }
  };
}
