// Tenant admin API for sign-in: the apps that use the tenant's issuer, and its signing keys.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import {
  type ClientInput,
  clientTypeOf,
  createClient,
  deleteClient,
  getClient,
  listClients,
  rotateClientSecret,
  updateClient,
} from '../../core/signin/clients.ts';
import type { OidcClientRecord } from '../../core/signin/ports.ts';
import { rotateSigningKey, signingKeys } from '../../core/signin/signing-keys.ts';
import { tenantOf } from '../auth.ts';
import { idParam, listOf } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const admin = [{ adminToken: [] }];
const timestamp = { type: 'string', format: 'date-time' } as const;
const uris = { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 2000 } } as const;

/** Shared with the vendor-wide apps' routes (operator-client-routes.ts): one body, one answer. */
export const clientBody = {
  type: 'object',
  required: ['client_name', 'type', 'redirect_uris'],
  additionalProperties: false,
  properties: {
    client_name: { type: 'string', minLength: 1, maxLength: 200 },
    type: { type: 'string', enum: ['confidential', 'public'] },
    redirect_uris: uris,
    post_logout_redirect_uris: uris,
    token_endpoint_auth_method: { type: 'string', enum: ['client_secret_basic', 'client_secret_post'] },
  },
} as const;

export const clientSchema = {
  type: 'object',
  properties: {
    client_id: { type: 'string' },
    client_secret: { type: 'string', description: 'Only in the response that creates or rotates it' },
    client_name: { type: 'string' },
    type: { type: 'string', enum: ['confidential', 'public'] },
    redirect_uris: { type: 'array', items: { type: 'string' } },
    post_logout_redirect_uris: { type: 'array', items: { type: 'string' } },
    token_endpoint_auth_method: { type: 'string' },
    issuer: { type: 'string' },
    discovery: { type: 'string' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

const keySchema = {
  type: 'object',
  properties: {
    kid: { type: 'string' },
    alg: { type: 'string' },
    status: { type: 'string', enum: ['active', 'retired'] },
    createdAt: timestamp,
    retiredAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export async function signInAdminRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  const view = (record: OidcClientRecord, secret?: string) => {
    const issuer = `${deps.publicUrl}/${record.tenantId}`;
    return {
      client_id: record.clientId,
      ...(secret ? { client_secret: secret } : {}),
      client_name: record.metadata.client_name,
      type: clientTypeOf(record),
      redirect_uris: record.metadata.redirect_uris,
      post_logout_redirect_uris: record.metadata.post_logout_redirect_uris,
      token_endpoint_auth_method: record.metadata.token_endpoint_auth_method,
      issuer,
      discovery: `${issuer}/.well-known/openid-configuration`,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  };
  const location = (id: string) => `/iam/v1/clients/${encodeURIComponent(id)}`;

  app.post<{ Body: ClientInput }>(
    '/clients',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Register an app that signs users in against this tenant (the secret is shown once)',
        security: admin,
        body: clientBody,
        response: { 201: clientSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await createClient(deps, actorOf(request.principal!), tenantOf(request), request.body);
      return reply
        .code(201)
        .header('location', location(created.record.clientId))
        .send(view(created.record, created.secret));
    },
  );

  app.get(
    '/clients',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'List apps',
        security: admin,
        response: { 200: listOf(clientSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await listClients(deps, tenantOf(request))).map((c) => view(c)) }),
  );

  app.get<{ Params: { id: string } }>(
    '/clients/:id',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Get an app',
        security: admin,
        params: idParam('id'),
        response: { 200: clientSchema, ...errorResponses },
      },
    },
    async (request) => view(await getClient(deps, tenantOf(request), request.params.id)),
  );

  app.put<{ Params: { id: string }; Body: ClientInput }>(
    '/clients/:id',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Replace an app’s registration (its type and secret stay)',
        security: admin,
        params: idParam('id'),
        body: clientBody,
        response: { 200: clientSchema, ...errorResponses },
      },
    },
    async (request) =>
      view(await updateClient(deps, actorOf(request.principal!), tenantOf(request), request.params.id, request.body)),
  );

  app.post<{ Params: { id: string } }>(
    '/clients/:id/secret',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Replace a confidential app’s secret; the old one stops working at once',
        security: admin,
        params: idParam('id'),
        response: { 200: clientSchema, ...errorResponses },
      },
    },
    async (request) => {
      const rotated = await rotateClientSecret(deps, actorOf(request.principal!), tenantOf(request), request.params.id);
      return view(rotated.record, rotated.secret);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/clients/:id',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Delete an app; its sign-ins and token requests fail from the next request',
        security: admin,
        params: idParam('id'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteClient(deps, actorOf(request.principal!), tenantOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  const keyView = (k: { kid: string; createdAt: string; retiredAt: string | null }) => ({
    kid: k.kid,
    alg: 'RS256',
    status: k.retiredAt === null ? 'active' : 'retired',
    createdAt: k.createdAt,
    retiredAt: k.retiredAt,
  });

  app.get(
    '/signing-keys',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'The published ID token signing keys (the active one first)',
        security: admin,
        response: { 200: listOf(keySchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await signingKeys(deps, tenantOf(request))).map(keyView) }),
  );

  app.post(
    '/signing-keys/rotate',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Sign with a new key from now on; the previous one stays published for 24 hours',
        security: admin,
        response: { 201: keySchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(keyView(await rotateSigningKey(deps, actorOf(request.principal!), tenantOf(request)))),
  );
}
