// Rate limits of the sign-in surface (ADR 0016): per client address, then per tenant, on the pages
// (/{tenantId}/signin/…) and the OpenID Provider's endpoints (/{tenantId}/oidc/…): 429 with an integer
// Retry-After, refilled at the rate, and one tenant's flood leaves another served. Both stores; the test clock
// stands still unless advanced, so the buckets refill only when the test says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, startTestApp, type TestApp } from '../support/app.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('sign-in rate limits (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, {
      ROSTER_SIGNIN_RATE_ADDRESS: '1',
      ROSTER_SIGNIN_BURST_ADDRESS: '3',
      ROSTER_SIGNIN_RATE_TENANT: '1',
      ROSTER_SIGNIN_BURST_TENANT: '6',
    });
  });
  afterAll(() => t?.dispose());

  const get = (url: string, remoteAddress: string) => t.app.inject({ method: 'GET', url, remoteAddress });

  it('an address past its limit gets 429 + Retry-After on the sign-in pages, an HTML page', async () => {
    const { id, adminToken } = await createTenant(t.app, 'Pages');
    const page = `/${id}/signin/callback?state=unknown&code=x`;
    for (let i = 0; i < 3; i++) expect((await get(page, '10.0.0.1')).statusCode).toBe(400); // the state is unknown
    const refused = await get(page, '10.0.0.1');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(refused.body).toContain('Too many requests');
    expect((await get(`/${id}/signin/some-interaction`, '10.0.0.1')).statusCode).toBe(429);
    // Other addresses are served: three more fill the tenant's burst of six exactly, so the two refusals above
    // cost the tenant nothing.
    for (const address of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) expect((await get(page, address)).statusCode).toBe(400);
    // Refused before any work: only the six callbacks served were audited (as unknown state).
    const audit = await call(t.app, 'GET', '/iam/v1/audit-events?limit=50', { token: adminToken });
    const refusals = audit.json().items.filter((e: { action: string }) => e.action === 'signin.refused');
    expect(refusals.map((e: { data: { reason: string } }) => e.data.reason)).toEqual(Array(6).fill('state_mismatch'));
  });

  it('an address past its limit gets 429 + Retry-After on an OIDC endpoint, as OAuth JSON, and is served again after it', async () => {
    const { id } = await createTenant(t.app, 'Protocol');
    const jwks = `/${id}/oidc/jwks`;
    for (let i = 0; i < 3; i++) expect((await get(jwks, '10.0.1.1')).statusCode).toBe(200);
    const refused = await get(jwks, '10.0.1.1');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'too many requests; retry later',
    });
    const discovery = await get(`/${id}/.well-known/openid-configuration`, '10.0.1.1');
    expect(discovery.statusCode).toBe(429);
    t.clock.advance(1_000);
    expect((await get(jwks, '10.0.1.1')).statusCode).toBe(200);
    expect((await get(jwks, '10.0.1.1')).statusCode).toBe(429);
  });

  it('a tenant past its limit gets 429 from every address, and another tenant is still served', async () => {
    const a = await createTenant(t.app, 'Flooded');
    const b = await createTenant(t.app, 'Neighbour');
    // Six requests from six addresses: within each address's limit, the whole of tenant A's burst.
    for (let i = 0; i < 6; i++) expect((await get(`/${a.id}/oidc/jwks`, `10.0.2.${i}`)).statusCode).toBe(200);
    const page = await get(`/${a.id}/signin/callback?state=unknown`, '10.0.2.100');
    expect(page.statusCode).toBe(429);
    expect(page.headers['retry-after']).toBe('1');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const protocol = await get(`/${a.id}/oidc/jwks`, '10.0.2.101');
    expect(protocol.statusCode).toBe(429);
    expect(protocol.headers['retry-after']).toBe('1');
    // Tenant B, from an address that just flooded A as well as from a fresh one.
    expect((await get(`/${b.id}/oidc/jwks`, '10.0.2.102')).statusCode).toBe(200);
    expect((await get(`/${b.id}/signin/callback?state=unknown`, '10.0.2.103')).statusCode).toBe(400);
  });

  it('requests with a malformed tenant id are 404, and still count against the address', async () => {
    for (let i = 0; i < 3; i++) expect((await get('/not-a-tenant/signin/callback', '10.0.3.1')).statusCode).toBe(404);
    expect((await get('/not-a-tenant/oidc/jwks', '10.0.3.1')).statusCode).toBe(429);
  });
});
