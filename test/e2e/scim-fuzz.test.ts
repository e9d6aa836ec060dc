// Security plan Z5: mutated IdP requests against every SCIM route with a valid token never produce a 5xx, a
// non-SCIM content type, or a dead process.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import {
  CORE_GROUP,
  ENTERPRISE_USER,
  entraUser,
  PATCH_OP,
  type ScimTenant,
  scim,
  scimTenant,
} from '../support/scim.ts';

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

describe('SCIM surface under mutated requests (SQLite)', () => {
  let t: TestApp;
  let tenant: ScimTenant;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
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
      ['DELETE', '/Groups/{q}'],
    ) as fc.Arbitrary<[string, string]>;
    await fc.assert(
      fc.asyncProperty(
        route,
        fc.constantFrom(...SEEDS),
        fc.array(fc.nat(20), { maxLength: 4 }),
        json,
        fc.string({ maxLength: 30 }),
        async ([method, template], seed, path, replacement, text) => {
          const url = `${tenant.base}${template.replace('{user}', userId).replace('{group}', groupId).replaceAll('{q}', encodeURIComponent(text))}`;
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
});
