// Tenant admin API: the tenant's SSO providers (Entra ID, or any OpenID Connect issuer). The tenant is the admin
// token's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import type { SsoKind, SsoProviderRecord } from '../../core/records.ts';
import { mergeSsoProviderPatch, type SsoProviderPatch } from '../../core/sso/merge-patch.ts';
import {
  createSsoProvider,
  deleteSsoProvider,
  getSsoProvider,
  listSsoProviders,
  providerWarnings,
  type SsoProviderInput,
  updateSsoProvider,
} from '../../core/sso/providers.ts';
import { signInRedirectUri } from '../../core/sso/redirect-uri.ts';
import { tenantOf } from '../auth.ts';
import {
  azureadProviderBody,
  idParam,
  listOf,
  oidcProviderBody,
  ssoProviderBody,
  ssoProviderPatchBody,
  ssoProviderSchema,
} from './schemas.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';
import { ssoProviderView } from './views.ts';

const admin = [{ adminToken: [] }];

export async function ssoRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  const view = (record: SsoProviderRecord, warnings: readonly string[]) =>
    ssoProviderView(record, signInRedirectUri(deps.publicUrl, record.tenantId), warnings);
  /** PUT and PATCH differ only in how the next input follows from the current one. */
  const update = async (
    request: FastifyRequest<{ Params: { scheme: string } }>,
    next: (current: SsoProviderInput) => SsoProviderInput,
  ) => {
    const updated = await updateSsoProvider(
      deps,
      actorOf(request.principal!),
      tenantOf(request),
      request.params.scheme,
      next,
    );
    return view(updated.record, updated.warnings);
  };
  const create =
    (kind: SsoKind) => async (request: FastifyRequest<{ Body: SsoProviderInput }>, reply: FastifyReply) => {
      const input = { ...request.body, kind };
      const created = await createSsoProvider(deps, actorOf(request.principal!), tenantOf(request), input);
      return reply
        .code(201)
        .header('location', `/iam/v1/sso/${encodeURIComponent(created.record.scheme)}`)
        .send(view(created.record, created.warnings));
    };
  app.post<{ Body: SsoProviderInput }>(
    '/sso/azuread',
    {
      schema: {
        tags: ['sso'],
        summary: 'Register a Microsoft Entra ID (Azure AD) OpenID Connect provider',
        security: admin,
        body: azureadProviderBody,
        response: { 201: ssoProviderSchema, ...errorResponses },
      },
    },
    create('azuread'),
  );
  app.post<{ Body: SsoProviderInput }>(
    '/sso/oidc',
    {
      schema: {
        tags: ['sso'],
        summary: 'Register a generic OpenID Connect provider (Okta, Google Workspace, …) by its issuer',
        description:
          'The azuread body with properties.issuer in place of authority, and optional subjectClaim, userNameClaim and hostedDomain. Identity is (provider, iss, sub); people are linked by externalId = subjectClaim, else userName = userNameClaim, never by email (docs/providers.md).',
        security: admin,
        body: oidcProviderBody,
        response: { 201: ssoProviderSchema, ...errorResponses },
      },
    },
    create('oidc'),
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
      items: (await listSsoProviders(deps, tenantOf(request))).map((p) => view(p, providerWarnings(deps, p))),
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
      return view(record, providerWarnings(deps, record));
    },
  );

  app.put<{ Params: { scheme: string }; Body: SsoProviderInput }>(
    '/sso/:scheme',
    {
      schema: {
        tags: ['sso'],
        summary: 'Replace an SSO provider (omit clientSecret to keep the stored one; its kind cannot change)',
        security: admin,
        params: idParam('scheme'),
        body: ssoProviderBody,
        response: { 200: ssoProviderSchema, ...errorResponses },
      },
    },
    (request) => update(request, () => request.body),
  );

  app.patch<{ Params: { scheme: string }; Body: SsoProviderPatch }>(
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
    (request) => update(request, (current) => mergeSsoProviderPatch(current, request.body)),
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
}
