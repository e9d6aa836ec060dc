// Security plan Z5: mutated IdP requests against every SCIM route (both base URLs) with a valid token, and mutated
// admin requests against every admin route with a valid admin token, never produce a 5xx, a content type of the
// wrong surface, or a dead process. Both stores.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, SEED_001_PROVIDER, startTestApp, type TestApp } from '../support/app.ts';
import {
  CORE_GROUP,
  ENTERPRISE_USER,
  entraUser,
  PATCH_OP,
  type ScimTenant,
  scim,
  scimTenant,
} from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const SEEDS: unknown[] = [
  entraUser('fuzz@x.com', 'fuzz'),
  { schemas: [CORE_GROUP], displayName: 'Fuzz', members: [{ value: 'x' }] },
  { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
  {
    schemas: [PATCH_OP],
    Operations: [{ op: 'replace', value: { 'name.givenName': 'x', [`${ENTERPRISE_USER}:employeeNumber`]: '1' } }],
  },
  { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: 'x' }] }] },
  { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "x"', count: 5 },
  {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: {} }],
  },
];

/** Replaces one random node of a JSON value with a random JSON value. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [number, ...number[]];
  if (Array.isArray(value) && value.length > 0) {
    const copy = [...value];
    copy[head % copy.length] = mutate(copy[head % copy.length], rest, replacement);
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return replacement;
    const key = keys[head % keys.length]!;
    return {
      ...(value as Record<string, unknown>),
      [key]: mutate((value as Record<string, unknown>)[key], rest, replacement),
    };
  }
  return replacement;
}

describe.each(STORE_KINDS)('SCIM and admin surfaces under mutated requests (%s)', (kind) => {
  let t: TestApp;
  let tenant: ScimTenant;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    tenant = await scimTenant(t.app);
    userId = (await scim(t.app, tenant, 'POST', `${tenant.base}/Users`, entraUser('base@x.com', 'base'))).json().id;
    groupId = (
      await scim(t.app, tenant, 'POST', `${tenant.base}/Groups`, { schemas: [CORE_GROUP], displayName: 'Base' })
    ).json().id;
  });
  afterAll(() => t?.dispose());

  it('answers 400 rather than 500 for mutated bodies, paths and query strings', async () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    const route = fc.constantFrom(
      ['POST', '/Users'],
      ['POST', '/Groups'],
      ['PUT', '/Users/{user}'],
      ['PATCH', '/Users/{user}'],
      ['PATCH', '/Groups/{group}'],
      ['PUT', '/Groups/{group}'],
      ['POST', '/Users/.search'],
      ['POST', '/.search'],
      ['POST', '/Bulk'],
      ['GET', '/Users?filter={q}'],
      ['GET', '/Groups?filter={q}&sortBy={q}'],
      ['GET', '/Users?attributes={q}&count={q}&startIndex={q}'],
      ['GET', '/Users/{q}'],
      ['GET', '/Users/{user}?attributes={q}&excludedAttributes={q}'],
      ['GET', '/Groups/{group}?excludedAttributes={q}'],
      ['POST', '/Groups/.search'],
      ['DELETE', '/Groups/{q}'],
      ['GET', '/Schemas/{q}'],
      ['GET', '/ResourceTypes/{q}'],
      ['GET', '/ServiceProviderConfig?{q}={q}'],
      ['PUT', '/Bulk'],
    ) as fc.Arbitrary<[string, string]>;
    const base = fc.constantFrom(tenant.base, '/iam/v1/scim');
    await fc.assert(
      fc.asyncProperty(
        base,
        route,
        fc.constantFrom(...SEEDS),
        fc.array(fc.nat(20), { maxLength: 4 }),
        json,
        fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 12 })),
        async (prefix, [method, template], seed, path, replacement, text) => {
          const url = `${prefix}${template.replace('{user}', userId).replace('{group}', groupId).replaceAll('{q}', encodeURIComponent(text))}`;
          const body =
            method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(mutate(seed, path, replacement));
          const res = await scim(t.app, tenant, method as 'GET', url, body);
          expect(res.statusCode, `${method} ${url} ${body?.slice(0, 200)}`).toBeLessThan(500);
          if (res.body.length > 0) expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
        },
      ),
      { numRuns: 600, seed: 42 },
    );
    expect((await scim(t.app, tenant, 'GET', `${tenant.base}/Users/${userId}`)).statusCode).toBe(200);
  });

  it('answers mutated admin API requests with problem+json 4xx, never 5xx', async () => {
    const seeds: unknown[] = [
      { ...SEED_001_PROVIDER, scheme: 'fuzz' },
      { enabled: false, properties: { loginEnabled: false, clientSecret: 'x' } },
      { provider: 'entra', providerDisplayName: 'Fuzz', expiresAt: '2027-01-01T00:00:00Z' },
      { client_name: 'Fuzz app', type: 'confidential', redirect_uris: ['https://fuzz.example/cb'] },
      { name: 'Fuzz tenant' },
      { label: 'fuzz' },
      { domain: 'fuzz.example' },
      { domainPolicy: { scimRestrictToVerifiedDomains: false, jitRestrictToVerifiedDomains: false } },
    ];
    const routes = fc.constantFrom(
      ['POST', '/iam/v1/sso/azuread'],
      ['PUT', '/iam/v1/sso/entra'],
      ['PATCH', '/iam/v1/sso/entra'],
      ['GET', '/iam/v1/sso/{q}'],
      ['DELETE', '/iam/v1/sso/{q}'],
      ['POST', '/iam/v1/scim'],
      ['DELETE', '/iam/v1/scim/{q}'],
      ['GET', '/iam/v1/scim/logs?since={q}&status={q}&limit={q}&before={q}&resourceId={q}'],
      ['GET', '/iam/v1/audit-events?limit={q}&before={q}'],
      ['POST', '/iam/v1/clients'],
      ['GET', '/iam/v1/clients/{q}'],
      ['PUT', '/iam/v1/clients/{q}'],
      ['POST', '/iam/v1/clients/{q}/secret'],
      ['GET', '/iam/v1/signing-keys?{q}={q}'],
      ['POST', '/iam/v1/tenants'],
      ['POST', '/iam/v1/domains'],
      ['GET', '/iam/v1/domains/{q}'],
      ['DELETE', '/iam/v1/domains/{q}'],
      ['POST', '/iam/v1/domains/{q}/verify'],
      ['PATCH', '/iam/v1/settings'],
    ) as fc.Arbitrary<[string, string]>;
    await fc.assert(
      fc.asyncProperty(
        routes,
        fc.constantFrom(...seeds),
        fc.array(fc.nat(20), { maxLength: 3 }),
        fc.jsonValue({ maxDepth: 3 }),
        fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 12 })),
        async ([method, template], seed, path, replacement, text) => {
          const url = template.replaceAll('{q}', encodeURIComponent(text));
          const body =
            method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(mutate(seed, path, replacement));
          const res = await call(t.app, method as 'GET', url, {
            token: tenant.adminToken,
            ...(body === undefined ? {} : { body }),
          });
          expect(res.statusCode, `${method} ${url} ${body?.slice(0, 200)}`).toBeLessThan(500);
          if (res.statusCode >= 400) expect(res.headers['content-type']).toContain('application/problem+json');
        },
      ),
      { numRuns: 400, seed: 7 },
    );
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: tenant.adminToken })).statusCode).toBe(200);
  });
});
