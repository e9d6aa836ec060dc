// The setup flow of seeds 000-002 through the operator and admin APIs, on SQLite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, OPERATOR_TOKEN, SEED_001_PROVIDER, startTestApp, type TestApp } from '../support/app.ts';
import { dumpDatabase } from '../support/dump.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('admin API on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('runs the seed 001/002 flow with the bodies as printed', async () => {
    const tenant = await createTenant(t.app);
    expect(tenant.adminToken).toMatch(/^adm_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);

    const provider = await call(t.app, 'POST', '/iam/v1/sso/azuread', {
      token: tenant.adminToken,
      body: SEED_001_PROVIDER,
    });
    expect(provider.statusCode).toBe(201);
    const p = provider.json();
    expect(p).toMatchObject({
      scheme: 'string',
      displayName: 'string',
      enabled: true,
      type: 'oidc',
      properties: {
        loginEnabled: true,
        visible: true,
        delegationEnabled: false,
        autoProvisioningEnabled: true,
        clientId: 'my-client-id',
        clientSecretSet: true,
        usePkce: true,
        authority: 'https://login.microsoftonline.com/{TenantId}/v2.0',
        responseType: 'code',
        scope: 'openid profile email',
      },
    });
    expect(provider.body).not.toContain('my-client-secret');
    // What to register in Entra ID as the app's redirect URI: the tenant's sign-in callback on ROSTER_PUBLIC_URL.
    const redirectUri = `https://roster.test/${tenant.id}/signin/callback`;
    expect(p.redirectUri).toBe(redirectUri);
    expect((await call(t.app, 'GET', '/iam/v1/sso/string', { token: tenant.adminToken })).json().redirectUri).toBe(
      redirectUri,
    );
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: tenant.adminToken })).json().items).toEqual([
      expect.objectContaining({ scheme: 'string', redirectUri }),
    ]);
    expect(p.warnings).toEqual([expect.stringContaining('placeholder {TenantId}')]);

    const created = await call(t.app, 'POST', '/iam/v1/scim', {
      token: tenant.adminToken,
      body: { provider: 'string', providerDisplayName: 'string' },
    });
    expect(created.statusCode).toBe(201);
    const token = created.json();
    expect(Object.keys(token).sort()).toEqual(
      [
        'createdAt',
        'defaultRole',
        'expiresAt',
        'expiresSoon',
        'id',
        'lastUsedAt',
        'provider',
        'providerDisplayName',
        'scimBaseUrl',
        'token',
      ].sort(),
    );
    expect(token).toMatchObject({ provider: 'string', providerDisplayName: 'string', expiresAt: null });
    expect(token.token).toMatch(/^scim_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(token.scimBaseUrl).toBe(`https://roster.test/${tenant.id}/api/scim/v2`);

    const listed = await call(t.app, 'GET', '/iam/v1/scim', { token: tenant.adminToken });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items).toEqual([
      {
        id: token.id,
        provider: 'string',
        providerDisplayName: 'string',
        createdAt: token.createdAt,
        expiresAt: null,
        expiresSoon: false,
        lastUsedAt: null,
        defaultRole: null,
      },
    ]);
    expect(listed.body).not.toContain(token.token.split('.')[1]);

    const dump = await dumpDatabase(t.db);
    expect(dump).not.toContain(token.token.split('.')[1]);
    expect(dump).not.toContain(tenant.adminToken.split('.')[1]);
    expect(dump).not.toContain('my-client-secret');
    expect(dump).not.toContain(OPERATOR_TOKEN);
  });

  it('revokes a SCIM token on the very next request and keeps other tokens of the provider working', async () => {
    const tenant = await createTenant(t.app);
    await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: SEED_001_PROVIDER });
    const mk = async () =>
      (
        await call(t.app, 'POST', '/iam/v1/scim', {
          token: tenant.adminToken,
          body: { provider: 'string', providerDisplayName: 'Entra' },
        })
      ).json();
    const first = await mk();
    const second = await mk();
    const scimStatus = async (token: string) =>
      (await call(t.app, 'GET', `/${tenant.id}/api/scim/v2/ServiceProviderConfig`, { token })).statusCode;
    // A valid SCIM token works on SCIM until it is revoked (then 401); on the admin API it is never a credential.
    expect(await scimStatus(first.token)).toBe(200);
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: first.token })).statusCode).toBe(401);
    const del = await call(t.app, 'DELETE', `/iam/v1/scim/${first.id}`, { token: tenant.adminToken });
    expect(del.statusCode).toBe(204);
    const after = await call(t.app, 'GET', `/${tenant.id}/api/scim/v2/ServiceProviderConfig`, { token: first.token });
    expect(after.statusCode).toBe(401);
    expect(after.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(await scimStatus(second.token)).toBe(200);
    const again = await call(t.app, 'DELETE', `/iam/v1/scim/${first.id}`, { token: tenant.adminToken });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('scim_token.not_found');
  });

  it('refuses a SCIM token for a scheme that is not a provider of this tenant, naming the scheme', async () => {
    const tenant = await createTenant(t.app);
    const res = await call(t.app, 'POST', '/iam/v1/scim', {
      token: tenant.adminToken,
      body: { provider: 'okta-prod', providerDisplayName: 'Okta' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toMatchObject({
      status: 422,
      code: 'scim_token.provider_unknown',
      errors: [{ field: 'provider' }],
    });
    expect(res.json().detail).toContain('"okta-prod"');
  });

  it('accepts an optional future expiresAt and rejects a past one', async () => {
    const tenant = await createTenant(t.app);
    await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: SEED_001_PROVIDER });
    const ok = await call(t.app, 'POST', '/iam/v1/scim', {
      token: tenant.adminToken,
      body: { provider: 'string', providerDisplayName: 'x', expiresAt: '2027-01-31T00:00:00Z' },
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().expiresAt).toBe('2027-01-31T00:00:00.000Z');
    const past = await call(t.app, 'POST', '/iam/v1/scim', {
      token: tenant.adminToken,
      body: { provider: 'string', providerDisplayName: 'x', expiresAt: '2020-01-01T00:00:00Z' },
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().errors).toEqual([{ field: 'expiresAt', message: 'must be in the future' }]);
    // Expired tokens stop authenticating once the clock passes expiresAt (A5).
    const spc = `/${tenant.id}/api/scim/v2/ServiceProviderConfig`;
    expect((await call(t.app, 'GET', spc, { token: ok.json().token })).statusCode).toBe(200);
    t.clock.set('2027-02-01T00:00:00Z');
    try {
      expect((await call(t.app, 'GET', spc, { token: ok.json().token })).statusCode).toBe(401);
    } finally {
      t.clock.set('2026-11-23T10:00:00.000Z');
    }
  });

  it('refuses to delete a provider while SCIM tokens link to it (409), then deletes it', async () => {
    const tenant = await createTenant(t.app);
    await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: SEED_001_PROVIDER });
    const token = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: tenant.adminToken,
        body: { provider: 'string', providerDisplayName: 'x' },
      })
    ).json();
    const refused = await call(t.app, 'DELETE', '/iam/v1/sso/string', { token: tenant.adminToken });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('sso.has_scim_tokens');
    await call(t.app, 'DELETE', `/iam/v1/scim/${token.id}`, { token: tenant.adminToken });
    expect((await call(t.app, 'DELETE', '/iam/v1/sso/string', { token: tenant.adminToken })).statusCode).toBe(204);
    expect((await call(t.app, 'GET', '/iam/v1/sso/string', { token: tenant.adminToken })).statusCode).toBe(404);
  });

  it('validates providers: pinned directory, https, URL-safe unique scheme, known fields', async () => {
    const tenant = await createTenant(t.app);
    const withProps = (props: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
      ...SEED_001_PROVIDER,
      ...top,
      properties: { ...SEED_001_PROVIDER.properties, ...props },
    });
    const cases: [string, unknown, string, string][] = [
      [
        'common',
        withProps({ authority: 'https://login.microsoftonline.com/common/v2.0' }),
        'properties.authority',
        'users of any Entra tenant',
      ],
      [
        'organizations',
        withProps({ authority: 'https://login.microsoftonline.com/organizations/v2.0' }),
        'properties.authority',
        'shared',
      ],
      [
        'consumers',
        withProps({ authority: 'https://login.microsoftonline.com/consumers/v2.0' }),
        'properties.authority',
        'shared',
      ],
      [
        'http',
        withProps({ authority: 'http://login.microsoftonline.com/7f2c5f9e-1111-4a0e-9d8a-0123456789ab/v2.0' }),
        'properties.authority',
        'https',
      ],
      [
        'foreign host',
        withProps({ authority: 'https://evil.example/7f2c5f9e-1111-4a0e-9d8a-0123456789ab/v2.0' }),
        'properties.authority',
        'Microsoft sign-in host',
      ],
      ['metadata ip', withProps({ authority: 'http://169.254.169.254/latest' }), 'properties.authority', 'https'],
      [
        'not a guid',
        withProps({ authority: 'https://login.microsoftonline.com/not_a_directory/v2.0' }),
        'properties.authority',
        'GUID',
      ],
      ['bad scheme', withProps({}, { scheme: 'has space' }), 'scheme', 'letters'],
      ['unknown field', withProps({ tenantId: 'x' }), 'properties.tenantId', 'is not a known field'],
      [
        'missing field',
        { ...SEED_001_PROVIDER, properties: { ...SEED_001_PROVIDER.properties, clientId: undefined } },
        'properties.clientId',
        'is required',
      ],
      ['wrong type', withProps({ usePkce: 'yes' }), 'properties.usePkce', 'boolean'],
      ['no openid scope', withProps({ scope: 'profile email' }), 'properties.scope', 'openid'],
    ];
    for (const [name, body, field, message] of cases) {
      const res = await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body });
      expect(res.statusCode, name).toBe(400);
      const problem = res.json();
      expect(problem.code, name).toBe('validation.failed');
      expect(problem.errors[0].field, name).toBe(field);
      expect(problem.errors[0].message, name).toContain(message);
    }
    const good = withProps(
      { authority: 'https://login.microsoftonline.com/7f2c5f9e-1111-4a0e-9d8a-0123456789ab/v2.0' },
      { scheme: 'entra' },
    );
    const created = await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: good });
    expect(created.statusCode).toBe(201);
    expect(created.json().warnings).toBeUndefined();
    const dup = await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: good });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('sso.scheme_taken');
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: tenant.adminToken })).json().items).toHaveLength(1);
  });

  it('gives one 201 and one 409 when two creates of one scheme race', async () => {
    const tenant = await createTenant(t.app);
    const body = { ...SEED_001_PROVIDER, scheme: 'race' };
    const results = await Promise.all(
      [1, 2, 3].map(() => call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
  });

  it('updates with PUT (secret kept when omitted) and PATCH (merge), never changing the scheme', async () => {
    const tenant = await createTenant(t.app);
    await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: SEED_001_PROVIDER });
    const { clientSecret: _omitted, ...propsWithoutSecret } = SEED_001_PROVIDER.properties;
    const put = await call(t.app, 'PUT', '/iam/v1/sso/string', {
      token: tenant.adminToken,
      body: {
        ...SEED_001_PROVIDER,
        displayName: 'Contoso Entra',
        properties: { ...propsWithoutSecret, visible: false },
      },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      redirectUri: `https://roster.test/${tenant.id}/signin/callback`,
      displayName: 'Contoso Entra',
      properties: { visible: false, clientSecretSet: true },
    });
    const patch = await call(t.app, 'PATCH', '/iam/v1/sso/string', {
      token: tenant.adminToken,
      body: { enabled: false, properties: { loginEnabled: false } },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({
      redirectUri: `https://roster.test/${tenant.id}/signin/callback`,
      displayName: 'Contoso Entra',
      enabled: false,
      properties: { loginEnabled: false, visible: false, clientId: 'my-client-id', clientSecretSet: true },
    });
    const rename = await call(t.app, 'PATCH', '/iam/v1/sso/string', {
      token: tenant.adminToken,
      body: { scheme: 'other' },
    });
    expect(rename.statusCode).toBe(400);
    expect(rename.json().errors[0].field).toBe('scheme');
    const missing = await call(t.app, 'PATCH', '/iam/v1/sso/nope', {
      token: tenant.adminToken,
      body: { enabled: true },
    });
    expect(missing.statusCode).toBe(404);
  });

  it("isolates tenants: another tenant's objects answer 404 and are untouched", async () => {
    const a = await createTenant(t.app, 'A');
    const b = await createTenant(t.app, 'B');
    await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: a.adminToken, body: SEED_001_PROVIDER });
    const tokenA = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: a.adminToken,
        body: { provider: 'string', providerDisplayName: 'x' },
      })
    ).json();
    expect((await call(t.app, 'GET', '/iam/v1/sso/string', { token: b.adminToken })).statusCode).toBe(404);
    expect(
      (await call(t.app, 'PATCH', '/iam/v1/sso/string', { token: b.adminToken, body: { enabled: false } })).statusCode,
    ).toBe(404);
    expect((await call(t.app, 'DELETE', '/iam/v1/sso/string', { token: b.adminToken })).statusCode).toBe(404);
    expect((await call(t.app, 'DELETE', `/iam/v1/scim/${tokenA.id}`, { token: b.adminToken })).statusCode).toBe(404);
    expect((await call(t.app, 'GET', '/iam/v1/scim', { token: b.adminToken })).json().items).toEqual([]);
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: b.adminToken })).json().items).toEqual([]);
    expect((await call(t.app, 'GET', '/iam/v1/sso/string', { token: a.adminToken })).json().enabled).toBe(true);
    expect((await call(t.app, 'GET', '/iam/v1/scim', { token: a.adminToken })).json().items).toHaveLength(1);
  });

  it('answers 401 without or with a bad token and 403 for a token of the wrong kind', async () => {
    const tenant = await createTenant(t.app);
    const none = await call(t.app, 'GET', '/iam/v1/sso');
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('auth.missing');
    expect(none.headers['www-authenticate']).toBe('Bearer');
    for (const header of ['non-token', 'Basic dXNlcjpwYXNz', 'Bearer ', 'Bearer  x', `Bearer ${'a'.repeat(10_000)}`]) {
      const res = await call(t.app, 'GET', '/iam/v1/sso', { headers: { authorization: header } });
      expect(res.statusCode, header.slice(0, 20)).toBe(401);
      expect(res.json().code).toBe('auth.invalid');
    }
    const forged = `${tenant.adminToken.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: forged })).statusCode).toBe(401);
    const wrongKind = await call(t.app, 'GET', '/iam/v1/tenants', { token: tenant.adminToken });
    expect(wrongKind.statusCode).toBe(403);
    expect(wrongKind.json().code).toBe('auth.wrong_kind');
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: OPERATOR_TOKEN })).statusCode).toBe(403);
  });

  it('manages tenants and admin tokens as the operator; deleting a tenant stops its tokens at once', async () => {
    const tenant = await createTenant(t.app, 'Doomed');
    const got = await call(t.app, 'GET', `/iam/v1/tenants/${tenant.id}`, { token: OPERATOR_TOKEN });
    expect(got.json()).toMatchObject({ id: tenant.id, name: 'Doomed' });
    t.clock.advance(1000);
    const issued = await call(t.app, 'POST', `/iam/v1/tenants/${tenant.id}/admin-tokens`, {
      token: OPERATOR_TOKEN,
      body: { label: 'automation' },
    });
    expect(issued.statusCode).toBe(201);
    const second = issued.json();
    expect(second.token).toMatch(/^adm_/);
    const list = await call(t.app, 'GET', `/iam/v1/tenants/${tenant.id}/admin-tokens`, { token: OPERATOR_TOKEN });
    expect(list.json().items.map((i: { label: string }) => i.label)).toEqual(['initial', 'automation']);
    expect(list.body).not.toContain(second.token.split('.')[1]);
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: second.token })).statusCode).toBe(200);
    const revoke = await call(t.app, 'DELETE', `/iam/v1/tenants/${tenant.id}/admin-tokens/${second.id}`, {
      token: OPERATOR_TOKEN,
    });
    expect(revoke.statusCode).toBe(204);
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: second.token })).statusCode).toBe(401);

    await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: SEED_001_PROVIDER });
    const scim = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: tenant.adminToken,
        body: { provider: 'string', providerDisplayName: 'x' },
      })
    ).json();
    expect((await call(t.app, 'DELETE', `/iam/v1/tenants/${tenant.id}`, { token: OPERATOR_TOKEN })).statusCode).toBe(
      204,
    );
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: tenant.adminToken })).statusCode).toBe(401);
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: scim.token })).statusCode).toBe(401);
    expect((await call(t.app, 'GET', `/iam/v1/tenants/${tenant.id}`, { token: OPERATOR_TOKEN })).statusCode).toBe(404);
  });

  it('answers bad bodies with problem+json of the right kind', async () => {
    const tenant = await createTenant(t.app);
    const malformed = await call(t.app, 'POST', '/iam/v1/sso/azuread', {
      token: tenant.adminToken,
      body: '{"scheme":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('request.malformed_json');
    const proto = await call(t.app, 'POST', '/iam/v1/tenants', {
      token: OPERATOR_TOKEN,
      body: '{"name":"x","__proto__":{"a":1}}',
    });
    expect(proto.statusCode).toBe(400);
    const text = await call(t.app, 'POST', '/iam/v1/tenants', {
      token: OPERATOR_TOKEN,
      body: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('request.unsupported_media_type');
    const big = await call(t.app, 'POST', '/iam/v1/tenants', {
      token: OPERATOR_TOKEN,
      body: { name: 'x'.repeat(70_000) },
    });
    expect(big.statusCode).toBe(413);
    const route = await call(t.app, 'GET', '/iam/v1/nothing-here', { token: OPERATOR_TOKEN });
    expect(route.statusCode).toBe(404);
    expect(route.headers['content-type']).toContain('application/problem+json');
  });

  it('records token and provider changes in the audit trail without secrets', async () => {
    const tenant = await createTenant(t.app);
    await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: SEED_001_PROVIDER });
    const scim = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: tenant.adminToken,
        body: { provider: 'string', providerDisplayName: 'x' },
      })
    ).json();
    await call(t.app, 'DELETE', `/iam/v1/scim/${scim.id}`, { token: tenant.adminToken });
    const res = await call(t.app, 'GET', '/iam/v1/audit-events?limit=10', { token: tenant.adminToken });
    expect(res.statusCode).toBe(200);
    const actions = res.json().items.map((e: { action: string }) => e.action);
    expect(actions).toEqual([
      'scim_token.revoked',
      'scim_token.created',
      'sso_provider.created',
      'admin_token.created',
      'tenant.created',
    ]);
    expect(res.body).not.toContain('my-client-secret');
    expect(res.body).not.toContain(scim.token.split('.')[1]);
    const page = await call(t.app, 'GET', '/iam/v1/audit-events?limit=2', { token: tenant.adminToken });
    const next = await call(t.app, 'GET', `/iam/v1/audit-events?limit=2&before=${page.json().nextCursor}`, {
      token: tenant.adminToken,
    });
    expect(next.json().items.map((e: { action: string }) => e.action)).toEqual([
      'sso_provider.created',
      'admin_token.created',
    ]);
  });

  it('publishes an OpenAPI 3.1 document of the admin and operator routes', async () => {
    const res = await call(t.app, 'GET', '/iam/v1/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/iam/v1/tenants',
      '/iam/v1/sso/azuread',
      '/iam/v1/sso/{scheme}',
      '/iam/v1/scim',
      '/iam/v1/scim/{id}',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.paths['/iam/v1/sso/azuread'].post.requestBody.content['application/json'].schema.required).toContain(
      'properties',
    );
    expect((await call(t.app, 'GET', '/iam/v1/docs/')).statusCode).toBe(200);
  });

  it('reports health and readiness', async () => {
    expect((await call(t.app, 'GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await call(t.app, 'GET', '/readyz')).json()).toEqual({ status: 'ready' });
  });
});
