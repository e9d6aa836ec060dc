// Tenant admin API: the setup checklist and the redirect URI confirmation (ADR 0029).
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import { confirmRedirectUri, setupChecklist } from '../../core/setup/checklist.ts';
import { tenantOf } from '../auth.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const admin = [{ adminToken: [] }];

const checklistSchema = {
  type: 'object',
  properties: {
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: {
            type: 'string',
            enum: [
              'provider_registered',
              'redirect_uri_registered',
              'scim_token_created',
              'first_scim_request',
              'first_user_provisioned',
              'first_sign_in',
            ],
          },
          title: { type: 'string' },
          done: { type: 'boolean' },
          at: { type: ['string', 'null'], format: 'date-time', description: 'When it happened, where known' },
        },
      },
    },
    next: { type: ['string', 'null'], description: 'The first step not done' },
  },
} as const;

export async function setupRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.get(
    '/setup',
    {
      schema: {
        tags: ['setup'],
        summary: 'The setup checklist: each step done or not, computed from what Roster has seen',
        security: admin,
        response: { 200: checklistSchema, ...errorResponses },
      },
    },
    async (request) => setupChecklist(deps, tenantOf(request)),
  );

  app.post(
    '/setup/redirect-uri-confirmed',
    {
      schema: {
        tags: ['setup'],
        summary: "Confirm the redirect URI is registered in the identity provider's app registration",
        security: admin,
        response: { 200: checklistSchema, ...errorResponses },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      await confirmRedirectUri(deps, actorOf(request.principal!), tenantId);
      return setupChecklist(deps, tenantId);
    },
  );
}
