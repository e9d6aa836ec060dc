// Tenant admin API, read only: the provisioning log (every SCIM request) and the audit trail, newest first.
import type { FastifyInstance } from 'fastify';
import { listAudit } from '../../core/audit/audit.ts';
import { listScimLog } from '../../core/scim/log.ts';
import { tenantOf } from '../auth.ts';
import { auditEventSchema, scimLogSchema } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';
import { auditEventView, scimLogView } from './views.ts';

const admin = [{ adminToken: [] }];

export async function logRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/scim/logs',
    {
      schema: {
        tags: ['scim-tokens'],
        summary: 'The provisioning log: every SCIM request of this tenant, newest first',
        security: admin,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            since: { type: 'string', format: 'date-time' },
            until: { type: 'string', format: 'date-time' },
            status: { type: 'string', pattern: '^[1-5][0-9]{2}$' },
            outcome: { type: 'string', enum: ['success', 'failure'] },
            resourceId: { type: 'string', maxLength: 128 },
            operation: {
              type: 'string',
              enum: ['create', 'get', 'search', 'replace', 'patch', 'delete', 'bulk', 'discovery', 'authenticate'],
            },
            limit: { type: 'string', pattern: '^[0-9]{1,3}$' },
            before: { type: 'string', maxLength: 64 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: scimLogSchema },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const iso = (v: string | undefined) => (v === undefined ? undefined : new Date(v).toISOString());
      const page = await listScimLog(deps, tenantOf(request), {
        since: iso(q.since),
        until: iso(q.until),
        status: q.status === undefined ? undefined : Number(q.status),
        outcome: q.outcome as 'success' | 'failure' | undefined,
        resourceId: q.resourceId,
        operation: q.operation,
        before: q.before,
        limit: Math.min(Math.max(Number(q.limit ?? 50), 1), 200),
      });
      return { items: page.items.map(scimLogView), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Querystring: { limit?: string; before?: string } }>(
    '/audit-events',
    {
      schema: {
        tags: ['audit'],
        summary: "The tenant's audit trail, newest first",
        security: admin,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'string', pattern: '^[0-9]{1,3}$' }, before: { type: 'string', maxLength: 64 } },
        },
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: auditEventSchema }, nextCursor: { type: ['string', 'null'] } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = Math.min(Math.max(Number(request.query.limit ?? 50), 1), 200);
      const page = await listAudit(deps, tenantOf(request), { limit, before: request.query.before });
      return { items: page.items.map(auditEventView), nextCursor: page.nextCursor };
    },
  );
}
