// Branding (ADR 0035): the operator's at /operator/branding, a tenant's override at /branding. Same three fields; a
// PATCH is a JSON merge patch, and for a tenant null means "inherit the operator's". Validation is the core's.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import { patchOperatorBranding, patchTenantBranding, readBranding } from '../../core/branding/branding.ts';
import { tenantOf } from '../auth.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const nullableString = (description: string) => ({ type: ['string', 'null'], description }) as const;

const brandingSchema = {
  type: 'object',
  required: ['productName', 'logoUrl', 'accentColor'],
  properties: {
    productName: nullableString('Product name shown on every page (1-60 characters)'),
    logoUrl: nullableString('data:image/png;base64,… or data:image/svg+xml;base64,… (at most 24 KiB)'),
    accentColor: nullableString('#rrggbb; text over it is black or white, whichever contrasts more'),
  },
} as const;

// Types and formats are checked by the core so that every bad value gets the same field-named problem+json.
const patchBody = {
  type: 'object',
  additionalProperties: false,
  properties: { productName: {}, logoUrl: {}, accentColor: {} },
} as const;

export async function operatorBrandingRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  const common = { tags: ['operator'], security: [{ operatorToken: [] }] };
  app.get(
    '/operator/branding',
    {
      schema: {
        ...common,
        summary: 'Read the operator’s branding (null fields show Roster’s own)',
        response: { 200: brandingSchema, ...errorResponses },
      },
    },
    async () => readBranding(deps.store, null),
  );
  app.patch(
    '/operator/branding',
    {
      schema: {
        ...common,
        summary: 'Change the operator’s branding (JSON merge patch)',
        body: patchBody,
        response: { 200: brandingSchema, ...errorResponses },
      },
    },
    async (request) => patchOperatorBranding(deps, actorOf(request.principal!), request.body ?? {}),
  );
}

export async function tenantBrandingRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  const common = { tags: ['Branding'], security: [{ adminToken: [] }] };
  app.get(
    '/branding',
    {
      schema: {
        ...common,
        summary: 'Read the tenant’s branding override (null fields inherit the operator’s)',
        response: { 200: brandingSchema, ...errorResponses },
      },
    },
    async (request) => readBranding(deps.store, tenantOf(request)),
  );
  app.patch(
    '/branding',
    {
      schema: {
        ...common,
        summary: 'Change the tenant’s branding override (JSON merge patch; null inherits)',
        body: patchBody,
        response: { 200: brandingSchema, ...errorResponses },
      },
    },
    async (request) => patchTenantBranding(deps, actorOf(request.principal!), tenantOf(request), request.body ?? {}),
  );
}
