// Tenant admin API: the tenant's settings, one resource whose fields each belong to their own core module. Today:
// `defaultRole` (src/core/roles). A new field adds its schema property, its read and its write here.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import { roleSettings, setDefaultRole } from '../../core/roles/roles.ts';
import { tenantOf } from '../auth.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const security = [{ adminToken: [] }];
const tags = ['settings'];

const settingsSchema = {
  type: 'object',
  properties: {
    defaultRole: {
      type: ['string', 'null'],
      description: 'Role key given to users created by SCIM and by just-in-time sign-in (a SCIM token may override it)',
    },
  },
} as const;

interface SettingsPatch {
  readonly defaultRole?: string | null;
}

export async function settingsRoutes(app: FastifyInstance, deps: AdminSurfaceDeps): Promise<void> {
  app.get(
    '/settings',
    {
      schema: {
        tags,
        summary: 'Read the tenant’s settings',
        security,
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (request) => ({ ...(await roleSettings(deps, tenantOf(request))) }),
  );

  app.patch<{ Body: SettingsPatch }>(
    '/settings',
    {
      schema: {
        tags,
        summary: 'Change some of the tenant’s settings (fields left out stay as they are)',
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { defaultRole: { type: ['string', 'null'], maxLength: 64 } },
        },
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const actor = actorOf(request.principal!);
      const patch = request.body ?? {};
      if (patch.defaultRole !== undefined) await setDefaultRole(deps, actor, tenantId, patch.defaultRole);
      return { ...(await roleSettings(deps, tenantId)) };
    },
  );
}
