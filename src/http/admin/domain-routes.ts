// Verified domains (/domains), with the tenant admin token (docs/domains.md); their policy is in settings-routes.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import { claimDomain, getDomain, listDomains, removeDomain, verifyDomain } from '../../core/domains/domains.ts';
import type { DomainRecord } from '../../core/domains/records.ts';
import { challengeName } from '../../core/domains/verification.ts';
import { tenantOf } from '../auth.ts';
import { idParam, listOf } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const domainSchema = {
  type: 'object',
  required: ['id', 'domain', 'status', 'verification', 'createdAt'],
  properties: {
    id: { type: 'string' },
    domain: { type: 'string', description: 'Lower case, IDNA A-labels (punycode), no trailing dot' },
    status: { type: 'string', enum: ['pending', 'verified', 'failed'] },
    reason: {
      type: 'string',
      enum: ['record_not_found', 'record_mismatch', 'dns_unavailable'],
      description: 'Why the last lookup did not verify (failed, or a verified domain failing its re-checks)',
    },
    verification: {
      type: 'object',
      required: ['type', 'name', 'value'],
      properties: {
        type: { type: 'string', enum: ['dns-txt'] },
        name: { type: 'string', description: 'Publish the TXT record here' },
        value: { type: 'string' },
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
    verifiedAt: { type: ['string', 'null'], format: 'date-time' },
    checkedAt: { type: ['string', 'null'], format: 'date-time' },
    nextCheckAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

function domainView(d: DomainRecord) {
  return {
    id: d.id,
    domain: d.domain,
    status: d.status,
    ...(d.reason ? { reason: d.reason } : {}),
    verification: { type: 'dns-txt', name: challengeName(d.domain), value: d.challenge },
    createdAt: d.createdAt,
    verifiedAt: d.verifiedAt,
    checkedAt: d.checkedAt,
    nextCheckAt: d.nextCheckAt,
  };
}

type IdParams = { Params: { id: string } };
const byId = idParam('id');

export async function domainRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  const actor = (request: FastifyRequest) => actorOf(request.principal!);
  const tags = ['Domains'];
  const security = [{ adminToken: [] }];

  app.post<{ Body: { domain: string } }>(
    '/domains',
    {
      schema: {
        tags,
        security,
        summary: 'Claim a domain: answers the DNS TXT record to publish before verifying',
        body: {
          type: 'object',
          required: ['domain'],
          additionalProperties: false,
          properties: { domain: { type: 'string', minLength: 1, maxLength: 300 } },
        },
        response: { 201: domainSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(domainView(await claimDomain(deps, actor(request), tenantOf(request), request.body.domain))),
  );

  app.get(
    '/domains',
    {
      schema: {
        tags,
        security,
        summary: "List the tenant's domains",
        response: { 200: listOf(domainSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await listDomains(deps, tenantOf(request))).map(domainView) }),
  );

  app.get<IdParams>(
    '/domains/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Get a domain',
        params: byId,
        response: { 200: domainSchema, ...errorResponses },
      },
    },
    async (request) => domainView(await getDomain(deps, tenantOf(request), request.params.id)),
  );

  app.post<IdParams>(
    '/domains/:id/verify',
    {
      schema: {
        tags,
        security,
        summary: 'Look the TXT record up now: verified, or failed with the reason',
        params: byId,
        response: { 200: domainSchema, ...errorResponses },
      },
    },
    async (request) => domainView(await verifyDomain(deps, actor(request), tenantOf(request), request.params.id)),
  );

  app.delete<IdParams>(
    '/domains/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Remove a domain (a verified one stops counting at once)',
        params: byId,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await removeDomain(deps, actor(request), tenantOf(request), request.params.id);
      return reply.code(204).send();
    },
  );
}
