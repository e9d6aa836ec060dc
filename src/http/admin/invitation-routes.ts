// Tenant admin API: invitations to Roster ID (ADR 0040, docs/accounts.md). The link goes out by mail only; the
// API never shows it.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import {
  createInvitation,
  type InvitationDeps,
  listInvitations,
  revokeInvitation,
} from '../../core/credentials/invitations.ts';
import { tenantOf } from '../auth.ts';
import { idParam, listOf } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const security = [{ adminToken: [] }];
const tags = ['invitations'];

const invitationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    userId: { type: 'string' },
    state: { type: 'string', enum: ['active', 'used', 'expired', 'revoked'] },
    mail: { type: 'string', enum: ['queued', 'sent', 'failed'] },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
  },
} as const;

export async function invitationRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  const credentials = deps.credentials;
  if (!credentials) return;
  const core: InvitationDeps = { ...deps, credentials, mailConfigured: deps.mailer !== undefined };

  app.post<{ Body: { email: string; roles?: string[] } }>(
    '/invitations',
    {
      schema: {
        tags,
        summary: 'Invite a person to Roster ID: a single-use link by mail (7 days) to set a password',
        security,
        body: {
          type: 'object',
          required: ['email'],
          additionalProperties: false,
          properties: {
            email: { type: 'string', minLength: 3, maxLength: 320 },
            roles: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 64 } },
          },
        },
        response: { 201: invitationSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const view = await createInvitation(core, actorOf(request.principal!), tenantOf(request), request.body);
      deps.mailQueued?.();
      return reply.code(201).send(view);
    },
  );

  app.get(
    '/invitations',
    {
      schema: {
        tags,
        summary: 'List the tenant’s invitations, newest first (the latest 200)',
        security,
        response: { 200: listOf(invitationSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: await listInvitations(core, tenantOf(request)) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/invitations/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an unused invitation',
        security,
        params: idParam('id'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await revokeInvitation(core, actorOf(request.principal!), tenantOf(request), request.params.id);
      return reply.code(204).send();
    },
  );
}
