// Tenant admin API: SSO providers, SCIM tokens and the audit trail. The tenant is the admin token's tenant.
import type { FastifyInstance } from 'fastify';
import { listAudit } from '../../core/audit/audit.ts';
import { actorOf } from '../../core/auth/principal.ts';
import { invalid } from '../../core/errors.ts';
import { listScimLog } from '../../core/scim/log.ts';
import {
  createSsoProvider,
  deleteSsoProvider,
  getSsoProvider,
  listSsoProviders,
  providerWarnings,
  type SsoProviderInput,
  updateSsoProvider,
} from '../../core/sso/providers.ts';
import {
  type CreateScimTokenInput,
  createScimToken,
  listScimTokens,
  revokeScimToken,
} from '../../core/tokens/scim-tokens.ts';
import { tenantOf } from '../auth.ts';
import { type AdminSurfaceDeps, errorResponses } from './plugin.ts';
import {
  auditEventSchema,
  createScimTokenBody,
  idParam,
  listOf,
  scimLogSchema,
  scimTokenSchema,
  ssoProviderBody,
  ssoProviderPatchBody,
  ssoProviderSchema,
} from './schemas.ts';
import { auditEventView, scimLogView, scimTokenView, ssoProviderView } from './views.ts';

const admin = [{ adminToken: [] }];
type PatchBody = Partial<Omit<SsoProviderInput, 'properties'>> & {
  properties?: Partial<SsoProviderInput['properties']>;
};

export async function tenantRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.post<{ Body: SsoProviderInput }>(
    '/sso/azuread',
    {
      schema: {
        tags: ['sso'],
        summary: 'Register a Microsoft Entra ID (Azure AD) OpenID Connect provider',
        security: admin,
        body: ssoProviderBody,
        response: { 201: ssoProviderSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const view = await createSsoProvider(deps, actorOf(request.principal!), tenantOf(request), request.body);
      return reply
        .code(201)
        .header('location', `/iam/v1/sso/${encodeURIComponent(view.record.scheme)}`)
        .send(ssoProviderView(view.record, view.warnings));
    },
  );

  app.get(
    '/sso',
    {
      schema: {
        tags: ['sso'],
        summary: 'List SSO providers',
        security: admin,
        response: { 200: listOf(ssoProviderSchema), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await listSsoProviders(deps, tenantOf(request))).map((p) =>
        ssoProviderView(p, providerWarnings(deps, p)),
      ),
    }),
  );

  app.get<{ Params: { scheme: string } }>(
    '/sso/:scheme',
    {
      schema: {
        tags: ['sso'],
        summary: 'Get an SSO provider',
        security: admin,
        params: idParam('scheme'),
        response: { 200: ssoProviderSchema, ...errorResponses },
      },
    },
    async (request) => {
      const record = await getSsoProvider(deps, tenantOf(request), request.params.scheme);
      return ssoProviderView(record, providerWarnings(deps, record));
    },
  );

  app.put<{ Params: { scheme: string }; Body: SsoProviderInput }>(
    '/sso/:scheme',
    {
      schema: {
        tags: ['sso'],
        summary: 'Replace an SSO provider (omit clientSecret to keep the stored one)',
        security: admin,
        params: idParam('scheme'),
        body: ssoProviderBody,
        response: { 200: ssoProviderSchema, ...errorResponses },
      },
    },
    async (request) => {
      const view = await updateSsoProvider(
        deps,
        actorOf(request.principal!),
        tenantOf(request),
        request.params.scheme,
        () => request.body,
      );
      return ssoProviderView(view.record, view.warnings);
    },
  );

  app.patch<{ Params: { scheme: string }; Body: PatchBody }>(
    '/sso/:scheme',
    {
      schema: {
        tags: ['sso'],
        summary: 'Change some fields of an SSO provider (JSON merge patch)',
        security: admin,
        params: idParam('scheme'),
        body: ssoProviderPatchBody,
        response: { 200: ssoProviderSchema, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body;
      const view = await updateSsoProvider(
        deps,
        actorOf(request.principal!),
        tenantOf(request),
        request.params.scheme,
        (current) => {
          if (body.scheme !== undefined && body.scheme !== current.scheme) throw invalid('scheme', 'cannot be changed');
          return {
            ...current,
            ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
            properties: { ...current.properties, ...body.properties } as SsoProviderInput['properties'],
          };
        },
      );
      return ssoProviderView(view.record, view.warnings);
    },
  );

  app.delete<{ Params: { scheme: string } }>(
    '/sso/:scheme',
    {
      schema: {
        tags: ['sso'],
        summary: 'Delete an SSO provider (refused with 409 while SCIM tokens link to it)',
        security: admin,
        params: idParam('scheme'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteSsoProvider(deps, actorOf(request.principal!), tenantOf(request), request.params.scheme);
      return reply.code(204).send();
    },
  );

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
        ...scimTokenView(issued.record),
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
    async (request) => ({ items: (await listScimTokens(deps, tenantOf(request))).map(scimTokenView) }),
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
              enum: ['create', 'get', 'search', 'replace', 'patch', 'delete', 'bulk', 'discovery'],
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
