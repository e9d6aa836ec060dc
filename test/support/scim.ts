// A tenant with an Entra-style SSO provider (or, for SCIM-only tenants, a directory connection) and a SCIM token,
// and a small client for its SCIM endpoint.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { call, createTenant, SEED_001_PROVIDER } from './app.ts';

export interface ScimTenant {
  readonly tenantId: string;
  readonly adminToken: string;
  readonly scimToken: string;
  readonly scimTokenId: string;
  /** Path prefix of the tenant-URL form, e.g. /<tenantId>/api/scim/v2 */
  readonly base: string;
}

/**
 * `connection`: what the token names. `sso` (default) registers an Entra SSO provider `entra`; `directory` registers
 * only a directory connection `okta` of type okta (ADR 0043), so the tenant has no SSO provider at all.
 */
export async function scimTenant(
  app: FastifyInstance,
  name = 'Contoso',
  connection: 'sso' | 'directory' = 'sso',
): Promise<ScimTenant> {
  const tenant = await createTenant(app, name);
  const linked =
    connection === 'sso'
      ? await call(app, 'POST', '/iam/v1/sso/azuread', {
          token: tenant.adminToken,
          body: { ...SEED_001_PROVIDER, scheme: 'entra' },
        })
      : await call(app, 'POST', '/iam/v1/directories', {
          token: tenant.adminToken,
          body: { scheme: 'okta', displayName: `${name} Okta`, type: 'okta' },
        });
  if (linked.statusCode !== 201) throw new Error(`${connection}: ${linked.statusCode} ${linked.body}`);
  const res = await call(app, 'POST', '/iam/v1/scim', {
    token: tenant.adminToken,
    body:
      connection === 'sso'
        ? { provider: 'entra', providerDisplayName: 'Contoso Entra ID' }
        : { provider: 'okta', providerDisplayName: `${name} Okta provisioning` },
  });
  const token = res.json();
  return {
    tenantId: tenant.id,
    adminToken: tenant.adminToken,
    scimToken: token.token,
    scimTokenId: token.id,
    base: `/${tenant.id}/api/scim/v2`,
  };
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** SCIM request with the headers Entra ID sends (application/scim+json; charset=utf-8). */
export function scim(
  app: FastifyInstance,
  t: Pick<ScimTenant, 'scimToken'>,
  method: Method,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${t.scimToken}`,
      ...(body !== undefined ? { 'content-type': 'application/scim+json; charset=utf-8' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

export {
  CORE_GROUP,
  CORE_USER,
  ENTERPRISE_USER,
  ERROR,
  entraUser,
  LIST_RESPONSE,
  oktaUser,
  PATCH_OP,
  patch,
} from './scim-payloads.ts';
