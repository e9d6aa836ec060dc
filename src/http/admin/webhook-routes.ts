// Webhook endpoints: a tenant's under /webhooks with its admin token, the operator's (every tenant's events) under
// /operator/webhooks with the operator token. Each token sees only its own endpoints; others answer 404.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  retryDelivery,
  rotateWebhookSecret,
  updateWebhook,
  type WebhookAdminDeps,
  type WebhookInput,
} from '../../core/webhooks/endpoints.ts';
import type { WebhookOwner } from '../../core/webhooks/records.ts';
import { tenantOf } from '../auth.ts';
import { idParam, listOf } from './schemas.ts';
import { errorResponses } from './surface.ts';
import {
  createdWebhookSchema,
  createWebhookBody,
  deliverySchema,
  deliveryView,
  updateWebhookBody,
  webhookSchema,
  webhookView,
} from './webhook-schemas.ts';

interface Surface {
  readonly path: string;
  readonly tag: string;
  readonly security: Record<string, never[]>[];
  readonly whose: string;
  readonly owner: (request: FastifyRequest) => WebhookOwner;
}

type IdParams = { Params: { id: string } };

const byId = idParam('id');
const deliveryParams = {
  type: 'object',
  required: ['id', 'deliveryId'],
  properties: { id: byId.properties.id, deliveryId: byId.properties.id },
} as const;

async function webhookRoutes(app: FastifyInstance, deps: WebhookAdminDeps, s: Surface): Promise<void> {
  const actor = (request: FastifyRequest) => actorOf(request.principal!);
  const schema = (summary: string, extra: object) => ({ tags: [s.tag], summary, security: s.security, ...extra });

  app.post<{ Body: WebhookInput }>(
    s.path,
    {
      schema: schema(`Create a webhook for ${s.whose} events (the secret is shown once)`, {
        body: createWebhookBody,
        response: { 201: createdWebhookSchema, ...errorResponses },
      }),
    },
    async (request, reply) => {
      const { record, secret } = await createWebhook(deps, actor(request), s.owner(request), request.body);
      return reply.code(201).send({ ...webhookView(record), secret });
    },
  );

  app.get(
    s.path,
    {
      schema: schema(`List ${s.whose} webhooks (never their secrets)`, {
        response: { 200: listOf(webhookSchema), ...errorResponses },
      }),
    },
    async (request) => ({ items: (await listWebhooks(deps, s.owner(request))).map(webhookView) }),
  );

  app.get<IdParams>(
    `${s.path}/:id`,
    { schema: schema('Get a webhook', { params: byId, response: { 200: webhookSchema, ...errorResponses } }) },
    async (request) => webhookView(await getWebhook(deps, s.owner(request), request.params.id)),
  );

  app.patch<IdParams & { Body: WebhookInput }>(
    `${s.path}/:id`,
    {
      schema: schema('Change a webhook; {"enabled": true} resumes a disabled one from its held-back delivery', {
        params: byId,
        body: updateWebhookBody,
        response: { 200: webhookSchema, ...errorResponses },
      }),
    },
    async (request) =>
      webhookView(await updateWebhook(deps, actor(request), s.owner(request), request.params.id, request.body)),
  );

  app.delete<IdParams>(
    `${s.path}/:id`,
    {
      schema: schema('Delete a webhook and its delivery history', {
        params: byId,
        response: { 204: { type: 'null' }, ...errorResponses },
      }),
    },
    async (request, reply) => {
      await deleteWebhook(deps, actor(request), s.owner(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<IdParams>(
    `${s.path}/:id/secret`,
    {
      schema: schema('Rotate the signing secret; the previous one keeps signing beside it for 24 hours', {
        params: byId,
        response: {
          200: {
            type: 'object',
            required: ['secret', 'previousSecretExpiresAt'],
            properties: {
              secret: { type: 'string', description: 'whsec_…: shown only now' },
              previousSecretExpiresAt: { type: 'string', format: 'date-time' },
            },
          },
          ...errorResponses,
        },
      }),
    },
    async (request) => rotateWebhookSecret(deps, actor(request), s.owner(request), request.params.id),
  );

  app.get<IdParams & { Querystring: { cursor?: string; limit?: string } }>(
    `${s.path}/:id/deliveries`,
    {
      schema: schema("A webhook's deliveries, newest first, each with its attempts", {
        params: byId,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            cursor: { type: 'string', maxLength: 32, description: 'The nextCursor of the previous page' },
            limit: { type: 'string', pattern: '^[0-9]{1,3}$', description: '1 to 100, default 20' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'nextCursor'],
            properties: { items: { type: 'array', items: deliverySchema }, nextCursor: { type: ['string', 'null'] } },
          },
          ...errorResponses,
        },
      }),
    },
    async (request) => {
      const page = await listDeliveries(deps, s.owner(request), request.params.id, {
        cursor: request.query.cursor,
        limit: request.query.limit === undefined ? 20 : Number(request.query.limit),
      });
      return { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
    },
  );

  app.post<{ Params: { id: string; deliveryId: string } }>(
    `${s.path}/:id/deliveries/:deliveryId/retry`,
    {
      schema: schema("Send a delivery's event again, as a new delivery at the end of the webhook's queue", {
        params: deliveryParams,
        response: { 202: deliverySchema, ...errorResponses },
      }),
    },
    async (request, reply) => {
      const copy = await retryDelivery(deps, s.owner(request), request.params.id, request.params.deliveryId);
      return reply.code(202).send(deliveryView(copy));
    },
  );
}

export function tenantWebhookRoutes(app: FastifyInstance, deps: WebhookAdminDeps): Promise<void> {
  return webhookRoutes(app, deps, {
    path: '/webhooks',
    tag: 'webhooks',
    security: [{ adminToken: [] }],
    whose: "the tenant's",
    owner: tenantOf,
  });
}

export function operatorWebhookRoutes(app: FastifyInstance, deps: WebhookAdminDeps): Promise<void> {
  return webhookRoutes(app, deps, {
    path: '/operator/webhooks',
    tag: 'operator',
    security: [{ operatorToken: [] }],
    whose: "every tenant's",
    owner: () => null,
  });
}
