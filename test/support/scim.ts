// A tenant with an Entra-style SSO provider and a SCIM token, and a small client for its SCIM endpoint.
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

export async function scimTenant(app: FastifyInstance, name = 'Contoso'): Promise<ScimTenant> {
  const tenant = await createTenant(app, name);
  await call(app, 'POST', '/iam/v1/sso/azuread', {
    token: tenant.adminToken,
    body: { ...SEED_001_PROVIDER, scheme: 'entra' },
  });
  const res = await call(app, 'POST', '/iam/v1/scim', {
    token: tenant.adminToken,
    body: { provider: 'entra', providerDisplayName: 'Contoso Entra ID' },
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

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function patch(...operations: object[]) {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** The user Entra ID's default mapping creates (MS Learn SCIM tutorial, "Create User" request). */
export function entraUser(userName: string, externalId: string, overrides: Record<string, unknown> = {}) {
  return {
    schemas: [CORE_USER, ENTERPRISE_USER],
    externalId,
    userName,
    active: true,
    displayName: 'Barbara Jensen',
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Barbara Jensen', familyName: 'Jensen', givenName: 'Barbara' },
    roles: [],
    [ENTERPRISE_USER]: { department: null },
    ...overrides,
  };
}

/** The user Okta's SCIM 2.0 SPEC tests create (with a password, as Okta sends one). */
export function oktaUser(userName: string) {
  return {
    schemas: [CORE_USER],
    userName,
    name: { givenName: 'Ann', familyName: 'Okta' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Ann Okta',
    locale: 'en-US',
    externalId: `00u${userName.length}abc`,
    groups: [],
    password: 'Sup3r-Secret-Passw0rd!',
    active: true,
  };
}
