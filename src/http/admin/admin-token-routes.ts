// Tenant admin API: the tenant's own admin tokens, with scopes and an optional expiry (ADR 0032). Values are shown
// once, at creation. Creating one needs the `admin` scope, so no token can mint a wider one than itself.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import { issueAdminToken, listAdminTokens, revokeAdminToken } from '../../core/tenants/tenants.ts';
import { tenantOf } from '../auth.ts';
import { adminTokenSchema, createOwnAdminTokenBody, idParam, listOf } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';
import { adminTokenView } from './views.ts';

const admin = [{ adminToken: [] }];

interface CreateBody {
  readonly name: string;
  readonly scopes?: readonly string[];
  readonly expiresAt?: string | null;
}

export async function adminTokenRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.post<{ Body: CreateBody }>(
    '/admin-tokens',
    {
      schema: {
        tags: ['admin-tokens'],
        summary: 'Issue an admin token of this tenant with scopes and an optional expiry (the value is shown once)',
        security: admin,
        body: createOwnAdminTokenBody,
        response: {
          201: { type: 'object', properties: { ...adminTokenSchema.properties, token: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { name, scopes, expiresAt } = request.body;
      const issued = await issueAdminToken(deps, actorOf(request.principal!), tenantOf(request), {
        label: name,
        scopes,
        expiresAt,
      });
      return reply.code(201).send({ ...adminTokenView(issued.record), token: issued.value });
    },
  );

  app.get(
    '/admin-tokens',
    {
      schema: {
        tags: ['admin-tokens'],
        summary: "List this tenant's admin tokens (never their values)",
        security: admin,
        response: { 200: listOf(adminTokenSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await listAdminTokens(deps, tenantOf(request))).map(adminTokenView) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/admin-tokens/:id',
    {
      schema: {
        tags: ['admin-tokens'],
        summary: 'Revoke an admin token of this tenant: the next request with it is refused',
        security: admin,
        params: idParam('id'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await revokeAdminToken(deps, actorOf(request.principal!), tenantOf(request), request.params.id);
      return reply.code(204).send();
    },
  );
}
