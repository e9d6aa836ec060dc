// Operator API: tenants and their admin tokens. Needs an operator token.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import {
  type AdminTokenInput,
  createTenant,
  deleteTenant,
  getTenant,
  issueAdminToken,
  listAdminTokens,
  listTenants,
  revokeAdminToken,
} from '../../core/tenants/tenants.ts';
import { adminTokenSchema, createAdminTokenBody, createTenantBody, idParam, listOf, tenantSchema } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';
import { adminTokenView, tenantView } from './views.ts';

const operator = [{ operatorToken: [] }];

export async function operatorRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.post<{ Body: { name: string } }>(
    '/tenants',
    {
      schema: {
        tags: ['operator'],
        summary: 'Create a tenant and its first admin token (shown once)',
        security: operator,
        body: createTenantBody,
        response: {
          201: {
            type: 'object',
            properties: { ...tenantSchema.properties, adminToken: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { tenant, adminToken } = await createTenant(deps, actorOf(request.principal!), request.body);
      return reply.code(201).send({ ...tenantView(tenant), adminToken: adminToken.value });
    },
  );

  app.get(
    '/tenants',
    {
      schema: {
        tags: ['operator'],
        summary: 'List tenants',
        security: operator,
        response: { 200: listOf(tenantSchema), ...errorResponses },
      },
    },
    async () => ({ items: (await listTenants(deps)).map(tenantView) }),
  );

  app.get<{ Params: { tenantId: string } }>(
    '/tenants/:tenantId',
    {
      schema: {
        tags: ['operator'],
        summary: 'Get a tenant',
        security: operator,
        params: idParam('tenantId'),
        response: { 200: tenantSchema, ...errorResponses },
      },
    },
    async (request) => tenantView(await getTenant(deps, request.params.tenantId)),
  );

  app.delete<{ Params: { tenantId: string } }>(
    '/tenants/:tenantId',
    {
      schema: {
        tags: ['operator'],
        summary: 'Delete a tenant with everything it owns; its tokens stop working at once',
        security: operator,
        params: idParam('tenantId'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteTenant(deps, request.params.tenantId);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { tenantId: string }; Body: AdminTokenInput }>(
    '/tenants/:tenantId/admin-tokens',
    {
      schema: {
        tags: ['operator'],
        summary: 'Issue a tenant admin token (shown once)',
        security: operator,
        params: idParam('tenantId'),
        body: createAdminTokenBody,
        response: {
          201: { type: 'object', properties: { ...adminTokenSchema.properties, token: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const issued = await issueAdminToken(
        deps,
        actorOf(request.principal!),
        request.params.tenantId,
        request.body ?? {},
      );
      return reply.code(201).send({ ...adminTokenView(issued.record), token: issued.value });
    },
  );

  app.get<{ Params: { tenantId: string } }>(
    '/tenants/:tenantId/admin-tokens',
    {
      schema: {
        tags: ['operator'],
        summary: "List a tenant's admin tokens (never their values)",
        security: operator,
        params: idParam('tenantId'),
        response: { 200: listOf(adminTokenSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await listAdminTokens(deps, request.params.tenantId)).map(adminTokenView) }),
  );

  app.delete<{ Params: { tenantId: string; tokenId: string } }>(
    '/tenants/:tenantId/admin-tokens/:tokenId',
    {
      schema: {
        tags: ['operator'],
        summary: 'Revoke an admin token: the next request with it is refused',
        security: operator,
        params: {
          type: 'object',
          required: ['tenantId', 'tokenId'],
          properties: { tenantId: { type: 'string', maxLength: 128 }, tokenId: { type: 'string', maxLength: 128 } },
        },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await revokeAdminToken(deps, actorOf(request.principal!), request.params.tenantId, request.params.tokenId);
      return reply.code(204).send();
    },
  );
}
