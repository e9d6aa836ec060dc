// Tenant admin API: the tenant's SAML 2.0 identity providers (ADR 0038), in the shapes of the OIDC provider routes.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import {
  createSamlProvider,
  deleteSamlProvider,
  getSamlProvider,
  listSamlProviders,
  type SamlMetadataReader,
  type SamlProviderInput,
  type SamlProviderPatch,
  updateSamlProvider,
} from '../../core/saml/providers.ts';
import type { SamlProviderRecord } from '../../core/saml/records.ts';
import { tenantOf } from '../auth.ts';
import { samlProviderBody, samlProviderPatchBody, samlProviderSchema } from './saml-schemas.ts';
import { idParam, listOf } from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const admin = [{ adminToken: [] }];

/** The SP side's values an IdP admin pastes, built from ROSTER_PUBLIC_URL (the same as the sign-in engine's). */
export function samlServiceProvider(publicUrl: string, tenantId: string, scheme: string) {
  const base = `${publicUrl.replace(/\/+$/, '')}/${tenantId}/signin/saml/${encodeURIComponent(scheme)}`;
  return { entityId: `${base}/metadata`, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata` };
}

export function samlProviderView(publicUrl: string, p: SamlProviderRecord) {
  return {
    id: p.id,
    scheme: p.scheme,
    displayName: p.displayName,
    enabled: p.enabled,
    type: p.type,
    serviceProvider: samlServiceProvider(publicUrl, p.tenantId, p.scheme),
    identityProvider: { entityId: p.idp.entityId, ssoUrl: p.idp.ssoUrl, certificates: p.idp.certificates.length },
    properties: p.properties,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export async function samlRoutes(
  app: FastifyInstance,
  deps: AdminSurfaceDeps & { readonly samlMetadata: SamlMetadataReader },
): Promise<void> {
  const view = (record: SamlProviderRecord) => samlProviderView(deps.publicUrl, record);

  app.post<{ Body: SamlProviderInput }>(
    '/sso/saml',
    {
      schema: {
        tags: ['sso'],
        summary: 'Register a SAML 2.0 identity provider (from its metadata URL or document)',
        security: admin,
        body: samlProviderBody,
        response: { 201: samlProviderSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await createSamlProvider(deps, actorOf(request.principal!), tenantOf(request), request.body);
      return reply
        .code(201)
        .header('location', `/iam/v1/sso/saml/${encodeURIComponent(created.scheme)}`)
        .send(view(created));
    },
  );

  app.get(
    '/sso/saml',
    {
      schema: {
        tags: ['sso'],
        summary: 'List SAML identity providers',
        security: admin,
        response: { 200: listOf(samlProviderSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await listSamlProviders(deps, tenantOf(request))).map(view) }),
  );

  app.get<{ Params: { scheme: string } }>(
    '/sso/saml/:scheme',
    {
      schema: {
        tags: ['sso'],
        summary: 'Get a SAML identity provider',
        security: admin,
        params: idParam('scheme'),
        response: { 200: samlProviderSchema, ...errorResponses },
      },
    },
    async (request) => view(await getSamlProvider(deps, tenantOf(request), request.params.scheme)),
  );

  app.patch<{ Params: { scheme: string }; Body: SamlProviderPatch }>(
    '/sso/saml/:scheme',
    {
      schema: {
        tags: ['sso'],
        summary: 'Change some fields of a SAML identity provider (naming metadataUrl or metadataXml reads it again)',
        security: admin,
        params: idParam('scheme'),
        body: samlProviderPatchBody,
        response: { 200: samlProviderSchema, ...errorResponses },
      },
    },
    async (request) =>
      view(
        await updateSamlProvider(
          deps,
          actorOf(request.principal!),
          tenantOf(request),
          request.params.scheme,
          request.body,
        ),
      ),
  );

  app.delete<{ Params: { scheme: string } }>(
    '/sso/saml/:scheme',
    {
      schema: {
        tags: ['sso'],
        summary: 'Delete a SAML identity provider (refused with 409 while SCIM tokens link to it)',
        security: admin,
        params: idParam('scheme'),
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteSamlProvider(deps, actorOf(request.principal!), tenantOf(request), request.params.scheme);
      return reply.code(204).send();
    },
  );
}
