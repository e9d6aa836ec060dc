// Tenant admin API: SCIM tokens, each linked to an SSO provider; a value is shown once, at creation.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import {
  type CreateScimTokenInput,
  createScimToken,
  listScimTokens,
  revokeScimToken,
} from '../../core/tokens/scim-tokens.ts';
import { tenantOf } from '../auth.ts';
import { createScimTokenBody, idParam, listOf, scimTokenSchema } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';
import { scimTokenView } from './views.ts';

const admin = [{ adminToken: [] }];

export async function scimTokenRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.post<{ Body: CreateScimTokenInput }>(
    '/scim',
    {
      schema: {
        tags: ['scim-tokens'],
        summary: 'Create a SCIM token linked to an SSO provider (the value is shown once)',
        security: admin,
        body: createScimTokenBody,
        response: {
          201: {
            type: 'object',
            properties: {
              ...scimTokenSchema.properties,
              token: { type: 'string' },
              scimBaseUrl: {
                type: 'string',
                description: "The Tenant URL to enter in the IdP's provisioning settings",
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const issued = await createScimToken(deps, actorOf(request.principal!), tenantId, request.body);
      return reply.code(201).send({
        ...scimTokenView(issued.record, deps.clock.now()),
        token: issued.value,
        scimBaseUrl: `${deps.publicUrl}/${tenantId}/api/scim/v2`,
      });
    },
  );

  app.get(
    '/scim',
    {
      schema: {
        tags: ['scim-tokens'],
        summary: 'List SCIM tokens (never their values)',
        security: admin,
        response: { 200: listOf(scimTokenSchema), ...errorResponses },
      },
    },
    async (request) => {
      const now = deps.clock.now();
      return { items: (await listScimTokens(deps, tenantOf(request))).map((t) => scimTokenView(t, now)) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/scim/:id',
    {
      schema: {
        tags: ['scim-tokens'],
        summary: 'Revoke a SCIM token at once; what it provisioned stays',
        security: admin,
        params: idParam('id'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await revokeScimToken(deps, actorOf(request.principal!), tenantOf(request), request.params.id);
      return reply.code(204).send();
    },
  );
}
