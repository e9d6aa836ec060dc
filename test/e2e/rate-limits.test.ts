// Security plan A13 / L2: per-tenant and per-token SCIM rate limits answer 429 with an integer Retry-After and
// leave other tenants untouched; failed authentications from one address are slowed the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import { type ScimTenant, scim, scimTenant } from '../support/scim.ts';

describe('SCIM rate limits', () => {
  let t: TestApp;
  let a: ScimTenant;
  let b: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      ROSTER_SCIM_RATE_TENANT: '1',
      ROSTER_SCIM_BURST_TENANT: '8',
      ROSTER_SCIM_RATE_TOKEN: '1',
      ROSTER_SCIM_BURST_TOKEN: '5',
      ROSTER_AUTH_FAILURE_RATE: '1',
      ROSTER_AUTH_FAILURE_BURST: '3',
    });
    a = await scimTenant(t.app, 'Flooding');
    b = await scimTenant(t.app, 'Quiet');
  });
  afterAll(() => t?.dispose());

  it('throttles one token, then its tenant, with 429 + Retry-After, and recovers as time passes', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await scim(t.app, a, 'GET', `${a.base}/Users`)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await scim(t.app, a, 'GET', `${a.base}/Users`);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
    expect(limited.json()).toMatchObject({ status: '429', detail: expect.stringContaining('rate limit') });

    // A second token of the same tenant has its own bucket until the tenant's is empty too.
    const second = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: a.adminToken,
        body: { provider: 'entra', providerDisplayName: 'x' },
      })
    ).json();
    const other = { scimToken: second.token };
    const more = [];
    for (let i = 0; i < 4; i++) more.push((await scim(t.app, other, 'GET', `${a.base}/Users`)).statusCode);
    expect(more).toEqual([200, 200, 200, 429]);

    // Another tenant is untouched.
    expect((await scim(t.app, b, 'GET', `${b.base}/Users`)).statusCode).toBe(200);

    t.clock.advance(10_000);
    expect((await scim(t.app, a, 'GET', `${a.base}/Users`)).statusCode).toBe(200);
    // The throttled requests are in the tenant's provisioning log, so an admin can see why Entra backed off.
    const log = (await call(t.app, 'GET', '/iam/v1/scim/logs?status=429', { token: a.adminToken })).json();
    expect(log.items.length).toBeGreaterThan(0);
  });

  it('slows token guessing from one address with 429 after a few failures, without affecting valid tokens', async () => {
    const bad = [];
    for (let i = 0; i < 5; i++) {
      bad.push(
        (
          await t.app.inject({
            method: 'GET',
            url: `${b.base}/Users`,
            headers: { authorization: `Bearer scim_${'A'.repeat(22)}.${'B'.repeat(43)}` },
          })
        ).statusCode,
      );
    }
    expect(bad).toEqual([401, 401, 401, 429, 429]);
    expect((await scim(t.app, b, 'GET', `${b.base}/Users`)).statusCode).toBe(200);
  });
});
