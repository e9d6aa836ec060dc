// The operator and tenant admin APIs under /iam/v1, with their OpenAPI 3.1 document and a docs page.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { principalHook } from '../auth.ts';
import { adminTokenRoutes } from './admin-token-routes.ts';
import { operatorBrandingRoutes, tenantBrandingRoutes } from './branding-routes.ts';
import { directoryRoutes } from './directory-routes.ts';
import { domainRoutes } from './domain-routes.ts';
import { operatorEventRoutes, tenantEventRoutes } from './event-routes.ts';
import { invitationRoutes } from './invitation-routes.ts';
import { logRoutes } from './log-routes.ts';
import { operatorRoutes } from './operator-routes.ts';
import { roleRoutes } from './role-routes.ts';
import { problemSchema } from './schemas.ts';
import { scimTokenRoutes } from './scim-token-routes.ts';
import { setupLinkRoutes } from './setup-link-routes.ts';
import { setupRoutes } from './setup-routes.ts';
import { signInAdminRoutes } from './signin-routes.ts';
import { ssoRoutes } from './sso-routes.ts';
import type { AdminSurfaceDeps } from './surface.ts';
import { testSignInRoutes } from './test-signin-routes.ts';
import { operatorWebhookRoutes, tenantWebhookRoutes } from './webhook-routes.ts';

/** Registers the OpenAPI generator; must run before any route is added so it sees them all. */
export async function registerOpenApi(server: FastifyInstance, publicUrl: string): Promise<void> {
  server.addSchema(problemSchema);
  await server.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Roster operator and admin API',
        version: '1',
        description:
          'Tenants, SSO providers and SCIM tokens. Errors are RFC 9457 problem+json documents with a stable `code` (see docs/errors.md).',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          operatorToken: { type: 'http', scheme: 'bearer', description: 'Operator token (op_…)' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'Tenant admin token (adm_…)' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    // The document describes the routes that describe themselves (a summary): the operator and admin API. The SCIM
    // surfaces (RFC 7644, self-described through /Schemas and /ResourceTypes), their 405 catch-alls and the sign-in
    // pages have no schema, and listed here they would only add untyped operations to generated clients.
    transform: ({ schema, url }) => ({ schema: isDocumented(schema) ? schema : { ...schema, hide: true }, url }),
  });
}

function isDocumented(schema: unknown): boolean {
  const s = schema as { hide?: boolean; summary?: unknown } | undefined;
  return s !== undefined && s.hide !== true && typeof s.summary === 'string';
}

/**
 * Fails at registration when an admin route would drop out of the OpenAPI document: each one states a summary and
 * its responses, unless it is explicitly hidden (the document itself, the docs page and its assets).
 */
export function requireDocumentedRoutes(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { hide?: boolean; summary?: unknown; response?: unknown } | undefined;
    if (schema?.hide === true) return;
    if (!isDocumented(schema) || schema?.response === undefined) {
      throw new Error(`admin route ${String(route.method)} ${route.url} needs schema.summary and schema.response`);
    }
  });
}

export async function adminPlugin(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  requireDocumentedRoutes(app);
  await app.register(async (scope) => {
    scope.addHook('onRequest', principalHook(deps, 'operator'));
    await operatorRoutes(scope, deps);
    await operatorEventRoutes(scope, deps);
    await operatorWebhookRoutes(scope, deps);
    await setupLinkRoutes(scope, deps);
    await operatorBrandingRoutes(scope, deps);
  });
  await app.register(async (scope) => {
    scope.addHook('onRequest', principalHook(deps, 'admin'));
    await ssoRoutes(scope, deps);
    await scimTokenRoutes(scope, deps);
    await adminTokenRoutes(scope, deps);
    await roleRoutes(scope, deps);
    await logRoutes(scope, deps);
    await signInAdminRoutes(scope, deps);
    await tenantEventRoutes(scope, deps);
    await tenantWebhookRoutes(scope, deps);
    await setupRoutes(scope, deps);
    await testSignInRoutes(scope, deps);
    await domainRoutes(scope, deps);
    await tenantBrandingRoutes(scope, deps);
    await invitationRoutes(scope, deps);
  });
  await app.register(async (scope) => {
    // Either role: the tenant's admin reads its own directory, the operator (the vendor's backend) any tenant's.
    scope.addHook('onRequest', principalHook(deps, 'admin or operator'));
    await directoryRoutes(scope, deps);
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // indexPrefix: the page's asset URLs are absolute when it is served without a trailing slash, and swagger-ui
  // knows only its own routePrefix, not the prefix this plugin is mounted under (/iam/v1/docs would load /docs/…).
  await app.register(swaggerUi, { routePrefix: '/docs', indexPrefix: app.prefix, uiConfig: { docExpansion: 'list' } });
}
