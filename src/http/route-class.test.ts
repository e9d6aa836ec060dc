import { describe, expect, it } from 'vitest';
import { classify, isScimPath } from './route-class.ts';

describe('classify', () => {
  it.each([
    ['/:tenantId/api/scim/v2/Users', 'scim'],
    ['/:tenantId/api/scim/v2/Users/:id', 'scim'],
    ['/:tenantId/api/scim/v2/.search', 'scim'],
    ['/iam/v1/scim/Groups/:id', 'scim'],
    ['/iam/v1/scim/Bulk', 'scim'],
    // The admin API's SCIM token and log routes are lower-case: the management API, not SCIM.
    ['/iam/v1/scim', 'admin'],
    ['/iam/v1/scim/logs', 'admin'],
    ['/iam/v1/tenants', 'admin'],
    ['/iam/v1/openapi.json', 'docs'],
    ['/iam/v1/docs/*', 'docs'],
    ['/:tenantId/signin/:uid/return', 'signin'],
    ['/:tenantId/signin/callback', 'signin'],
    ['/:tenantId/delegation/token', 'signin'],
    ['/:tenantId/oidc/*', 'oidc'],
    ['/:tenantId/.well-known/openid-configuration', 'oidc'],
    ['/healthz', 'health'],
    ['/readyz', 'health'],
    ['/metrics', 'metrics'],
    ['/favicon.ico', 'other'],
  ])('%s → %s', (template, expected) => {
    expect(classify(template)).toBe(expected);
  });

  it('tells SCIM URLs by their shape', () => {
    expect(isScimPath('/0190-abc/api/scim/v2/Users?filter=x')).toBe(true);
    expect(isScimPath('/0190-abc/api/scim/v2x')).toBe(false);
    expect(isScimPath('/iam/v1/scim/logs')).toBe(false);
  });
});
