// Tenant admin API: the tenant's settings, one resource whose fields each belong to their own core module:
// `defaultRole` (src/core/roles, ADR 0032) and `domainPolicy` (src/core/domains, ADR 0030). A new field adds its
// schema property, its read and its write here.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/auth/principal.ts';
import { readScimAloneMode, setScimAloneMode } from '../../core/credentials/settings.ts';
import { patchDomainPolicy, readDomainPolicy } from '../../core/domains/policy.ts';
import { DEFAULT_DOMAIN_POLICY } from '../../core/domains/records.ts';
import { roleSettings, setDefaultRole } from '../../core/roles/roles.ts';
import { tenantOf } from '../auth.ts';
import { type AdminSurfaceDeps, errorResponses } from './surface.ts';

const security = [{ adminToken: [] }];
const tags = ['Settings'];

const policyProperties = Object.fromEntries(
  Object.keys(DEFAULT_DOMAIN_POLICY).map((key) => [key, { type: 'boolean' }]),
);

const settingsSchema = {
  type: 'object',
  required: ['defaultRole', 'domainPolicy'],
  properties: {
    defaultRole: {
      type: ['string', 'null'],
      description: 'Role key given to users created by SCIM and by just-in-time sign-in (a SCIM token may override it)',
    },
    domainPolicy: {
      type: 'object',
      required: Object.keys(DEFAULT_DOMAIN_POLICY),
      properties: policyProperties,
      description: 'What verified domains restrict (docs/domains.md)',
    },
    scimAloneMode: {
      type: 'boolean',
      description:
        'Users sign in with Roster ID credentials (password, TOTP, passkeys) and SCIM-created users get an activation invitation; also in effect while no SSO provider is loginEnabled (docs/accounts.md)',
    },
  },
} as const;

interface SettingsPatch {
  readonly defaultRole?: string | null;
  readonly domainPolicy?: unknown;
  readonly scimAloneMode?: boolean;
}

async function readSettings(deps: AdminSurfaceDeps, tenantId: string) {
  const [roles, domainPolicy] = await Promise.all([
    roleSettings(deps, tenantId),
    readDomainPolicy(deps.store, tenantId),
  ]);
  const credentials = deps.credentials;
  const scimAloneMode = credentials ? await readScimAloneMode({ credentials }, tenantId) : false;
  return { ...roles, domainPolicy, scimAloneMode };
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
    async (request) => readSettings(deps, tenantOf(request)),
  );

  app.patch<{ Body: SettingsPatch }>(
    '/settings',
    {
      schema: {
        tags,
        summary: 'Change some of the tenant’s settings (JSON merge patch: fields left out stay as they are)',
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            defaultRole: { type: ['string', 'null'], maxLength: 64 },
            domainPolicy: { type: 'object', additionalProperties: false, properties: policyProperties },
            scimAloneMode: { type: 'boolean' },
          },
        },
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const actor = actorOf(request.principal!);
      const patch = request.body ?? {};
      if (patch.defaultRole !== undefined) await setDefaultRole(deps, actor, tenantId, patch.defaultRole);
      if (patch.domainPolicy !== undefined) await patchDomainPolicy(deps, actor, tenantId, patch.domainPolicy);
      if (patch.scimAloneMode !== undefined && deps.credentials) {
        await setScimAloneMode({ ...deps, credentials: deps.credentials }, actor, tenantId, patch.scimAloneMode);
      }
      return readSettings(deps, tenantId);
    },
  );
}
