// Which surface a request belongs to, for the metrics' route_class label: read from Fastify's route template
// (`/:tenantId/api/scim/v2/Users/:id`), never from the raw URL, so no id or query value can become a label.
import type { FastifyRequest } from 'fastify';
import type { RouteClass } from '../core/telemetry/ports.ts';

/** The SCIM surfaces: /{tenantId}/api/scim/v2/… and the SCIM routes under /iam/v1/scim (capitalised or dotted). */
export function isScimPath(url: string): boolean {
  return /^\/[^/?]+\/api\/scim\/v2(?:[/?]|$)/.test(url) || /^\/iam\/v1\/scim\/(?:[A-Z.]|$)/.test(url);
}

const BY_TEMPLATE = new Map<string, RouteClass>();

export function classify(template: string): RouteClass {
  if (isScimPath(template)) return 'scim';
  if (template.startsWith('/iam/v1/docs') || template === '/iam/v1/openapi.json') return 'docs';
  if (template.startsWith('/iam/v1/')) return 'admin';
  if (template.startsWith('/:tenantId/signin/') || template.startsWith('/:tenantId/delegation/')) return 'signin';
  if (template.startsWith('/:tenantId/oidc/') || template === '/:tenantId/.well-known/openid-configuration') {
    return 'oidc';
  }
  if (template === '/healthz' || template === '/readyz') return 'health';
  if (template === '/metrics') return 'metrics';
  return 'other';
}

/**
 * The class of the route that answered. An unmatched request (404) has no template: a SCIM-shaped path still counts
 * as `scim` (its 404s are an IdP's misconfiguration worth seeing); anything else is `other`.
 */
export function routeClassOf(request: FastifyRequest): RouteClass {
  const template = request.routeOptions.url;
  if (template === undefined) return isScimPath(request.url) ? 'scim' : 'other';
  let known = BY_TEMPLATE.get(template);
  if (known === undefined) {
    known = classify(template);
    BY_TEMPLATE.set(template, known);
  }
  return known;
}
