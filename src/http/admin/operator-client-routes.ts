// Operator API: vendor-wide apps (ADR 0044), registered once and known to every tenant's issuer, and the operator's
// audit trail of them. Same body and answer as a tenant's /iam/v1/clients; the issuer is the tenant's, so the
// answer gives it as a template and names the vendor entry that takes a `tenant` parameter.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import type { ClientInput } from '../../core/signin/clients.ts';
import { clientTypeOf } from '../../core/signin/clients.ts';
import {
  createOperatorClient,
  deleteOperatorClient,
  getOperatorClient,
  listOperatorAudit,
  listOperatorClients,
  rotateOperatorClientSecret,
  updateOperatorClient,
} from '../../core/signin/operator-clients.ts';
import type { OperatorClientRecord } from '../../core/signin/ports.ts';
import { auditEventSchema, idParam, listOf } from './schemas.ts';
import { clientBody, clientSchema } from './signin-routes.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const operator = [{ operatorToken: [] }];

const operatorClientSchema = {
  type: 'object',
  properties: {
    ...clientSchema.properties,
    issuer: { type: 'string', description: 'A template: each tenant has its own issuer, {tenant_id} replaced' },
    discovery: { type: 'string', description: 'A template, as issuer' },
    authorization_endpoint: {
      type: 'string',
      description: 'The vendor entry: send `tenant`, or nothing for home-realm discovery when it is on',
    },
  },
} as const;

export async function operatorClientRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  const issuer = `${deps.publicUrl}/{tenant_id}`;
  const view = (record: OperatorClientRecord, secret?: string) => ({
    client_id: record.clientId,
    ...(secret ? { client_secret: secret } : {}),
    client_name: record.metadata.client_name,
    type: clientTypeOf(record),
    redirect_uris: record.metadata.redirect_uris,
    post_logout_redirect_uris: record.metadata.post_logout_redirect_uris,
    token_endpoint_auth_method: record.metadata.token_endpoint_auth_method,
    issuer,
    discovery: `${issuer}/.well-known/openid-configuration`,
    authorization_endpoint: `${deps.publicUrl}/oidc/auth`,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  });
  const location = (id: string) => `/iam/v1/operator/clients/${encodeURIComponent(id)}`;

  app.post<{ Body: ClientInput }>(
    '/operator/clients',
    {
      schema: {
        tags: ['operator'],
        summary: 'Register a vendor-wide app that signs in users of every tenant (the secret is shown once)',
        security: operator,
        body: clientBody,
        response: { 201: operatorClientSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await createOperatorClient(deps, actorOf(request.principal!), request.body);
      return reply
        .code(201)
        .header('location', location(created.record.clientId))
        .send(view(created.record, created.secret));
    },
  );

  app.get(
    '/operator/clients',
    {
      schema: {
        tags: ['operator'],
        summary: 'List vendor-wide apps',
        security: operator,
        response: { 200: listOf(operatorClientSchema), ...errorResponses },
      },
    },
    async () => ({ items: (await listOperatorClients(deps)).map((c) => view(c)) }),
  );

  app.get<{ Params: { id: string } }>(
    '/operator/clients/:id',
    {
      schema: {
        tags: ['operator'],
        summary: 'Get a vendor-wide app',
        security: operator,
        params: idParam('id'),
        response: { 200: operatorClientSchema, ...errorResponses },
      },
    },
    async (request) => view(await getOperatorClient(deps, request.params.id)),
  );

  app.put<{ Params: { id: string }; Body: ClientInput }>(
    '/operator/clients/:id',
    {
      schema: {
        tags: ['operator'],
        summary: 'Replace a vendor-wide app’s registration (its type and secret stay)',
        security: operator,
        params: idParam('id'),
        body: clientBody,
        response: { 200: operatorClientSchema, ...errorResponses },
      },
    },
    async (request) =>
      view(await updateOperatorClient(deps, actorOf(request.principal!), request.params.id, request.body)),
  );

  app.post<{ Params: { id: string } }>(
    '/operator/clients/:id/secret',
    {
      schema: {
        tags: ['operator'],
        summary: 'Replace a vendor-wide app’s secret; the old one stops working at once in every tenant',
        security: operator,
        params: idParam('id'),
        response: { 200: operatorClientSchema, ...errorResponses },
      },
    },
    async (request) => {
      const rotated = await rotateOperatorClientSecret(deps, actorOf(request.principal!), request.params.id);
      return view(rotated.record, rotated.secret);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/operator/clients/:id',
    {
      schema: {
        tags: ['operator'],
        summary: 'Delete a vendor-wide app; its sign-ins and tokens fail from the next request in every tenant',
        security: operator,
        params: idParam('id'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteOperatorClient(deps, actorOf(request.principal!), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { limit?: string; before?: string } }>(
    '/operator/audit-events',
    {
      schema: {
        tags: ['operator'],
        summary: "The operator's audit trail (vendor-wide apps), newest first",
        security: operator,
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
      const page = await listOperatorAudit(deps, { limit, before: request.query.before });
      return { items: page.items.map((e) => ({ ...e })), nextCursor: page.nextCursor };
    },
  );
}
