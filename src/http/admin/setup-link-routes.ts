// Operator API: setup links for a tenant's IT admin (ADR 0029). The URL (with its secret) is shown once, at creation.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import type { SetupLinkRecord } from '../../core/setup/ports.ts';
import {
  createSetupLink,
  listSetupLinks,
  MAX_EXPIRY_MINUTES,
  revokeSetupLink,
  stateOf,
} from '../../core/setup/setup-links.ts';
import type { Clock } from '../../lib/clock.ts';
import { idParam, listOf } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const operator = [{ operatorToken: [] }];
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

const setupLinkSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    createdAt: timestamp,
    expiresAt: timestamp,
    createdBy: { type: 'string' },
    state: { type: 'string', enum: ['active', 'used', 'expired', 'revoked'] },
    usedAt: nullableTimestamp,
    revokedAt: nullableTimestamp,
  },
} as const;

const setupLinkView = (link: SetupLinkRecord, clock: Clock) => ({
  id: link.id,
  createdAt: link.createdAt,
  expiresAt: link.expiresAt,
  createdBy: link.createdBy,
  state: stateOf(link, clock.now()),
  usedAt: link.usedAt,
  revokedAt: link.revokedAt,
});

export async function setupLinkRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.post<{ Params: { tenantId: string }; Body: { expiresInMinutes?: number } }>(
    '/tenants/:tenantId/setup-links',
    {
      // The body is optional (every field has a default): no body is an empty one, not a validation failure.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        tags: ['operator'],
        summary: "Create a single-use link that opens the tenant's console (the URL is shown once)",
        security: operator,
        params: idParam('tenantId'),
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            expiresInMinutes: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_EXPIRY_MINUTES,
              description: 'Default 60; at most 7 days',
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              url: { type: 'string', description: '{ROSTER_PUBLIC_URL}/console/setup/{secret}; works once' },
              expiresAt: timestamp,
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { record, url } = await createSetupLink(
        deps,
        actorOf(request.principal!),
        request.params.tenantId,
        request.body ?? {},
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ id: record.id, url, expiresAt: record.expiresAt });
    },
  );

  app.get<{ Params: { tenantId: string } }>(
    '/tenants/:tenantId/setup-links',
    {
      schema: {
        tags: ['operator'],
        summary: "List a tenant's setup links, newest first (never their secrets)",
        security: operator,
        params: idParam('tenantId'),
        response: { 200: listOf(setupLinkSchema), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await listSetupLinks(deps, request.params.tenantId)).map((l) => setupLinkView(l, deps.clock)),
    }),
  );

  app.delete<{ Params: { tenantId: string; linkId: string } }>(
    '/tenants/:tenantId/setup-links/:linkId',
    {
      schema: {
        tags: ['operator'],
        summary: 'Revoke an unused setup link: opening it is refused from now on',
        security: operator,
        params: {
          type: 'object',
          required: ['tenantId', 'linkId'],
          properties: { tenantId: { type: 'string', maxLength: 128 }, linkId: { type: 'string', maxLength: 128 } },
        },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await revokeSetupLink(deps, actorOf(request.principal!), request.params.tenantId, request.params.linkId);
      return reply.code(204).send();
    },
  );
}
