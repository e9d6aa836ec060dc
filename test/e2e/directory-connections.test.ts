// Directory connections (ADR 0043) on both stores: the admin API, one scheme namespace shared with SSO providers
// (refused both ways), SCIM tokens naming a directory, deletion refused while tokens name it (the users it
// provisioned stay), events and audit, the setup checklist of a SCIM-only tenant, and the console's SCIM tokens page.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, SEED_001_PROVIDER, startTestApp, type TestApp } from '../support/app.ts';
import { oktaUser, scim } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const PROBLEM = 'application/problem+json';
const ORIGIN = 'https://roster.test';
const COOKIE = '__Host-roster-console';

function expectProblem(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain(PROBLEM);
  expect(res.json()).toMatchObject({ status, code });
}

async function consoleCookie(app: FastifyInstance, token: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/console/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    payload: new URLSearchParams({ token }).toString(),
  });
  const match = new RegExp(`^${COOKIE}=([^;]*)`).exec(String(res.headers['set-cookie'] ?? ''));
  if (!match) throw new Error(`no console session: ${res.statusCode}`);
  return match[1]!;
}

describe.each(STORE_KINDS)('directory connections on %s', (kind) => {
  let t: TestApp;
  let tenant: { id: string; adminToken: string };
  const admin = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    call(t.app, method, url, { token: tenant.adminToken, ...(body !== undefined ? { body } : {}) });

  beforeAll(async () => {
    t = await startTestApp(kind);
    tenant = await createTenant(t.app, 'Okta only');
  }, 60_000);
  afterAll(() => t?.dispose());

  it('creates, lists, reads by id and by scheme, and renames a connection; events and audit follow', async () => {
    const created = await admin('POST', '/iam/v1/directories', {
      scheme: 'okta',
      displayName: ' Okta Workforce ',
      type: 'okta',
    });
    expect(created.statusCode, created.body).toBe(201);
    const okta = created.json();
    expect(okta).toMatchObject({
      scheme: 'okta',
      displayName: 'Okta Workforce',
      type: 'okta',
      scimBaseUrl: `${ORIGIN}/${tenant.id}/api/scim/v2`,
    });
    expect((await admin('GET', '/iam/v1/directories')).json().items).toEqual([okta]);
    expect((await admin('GET', `/iam/v1/directories/${okta.id}`)).json()).toEqual(okta);
    expect((await admin('GET', '/iam/v1/directories/okta')).json()).toEqual(okta);

    t.clock.advance(1000);
    const renamed = await admin('PATCH', '/iam/v1/directories/okta', { displayName: 'Okta (prod)' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: okta.id, scheme: 'okta', type: 'okta', displayName: 'Okta (prod)' });
    expect(renamed.json().updatedAt > okta.updatedAt).toBe(true);

    const events = (await admin('GET', '/iam/v1/events?types=directory.created,directory.updated')).json().data;
    expect(events.map((e: { type: string; data: { scheme: string } }) => [e.type, e.data.scheme])).toEqual([
      ['directory.created', 'okta'],
      ['directory.updated', 'okta'],
    ]);
    const audit = (await admin('GET', '/iam/v1/audit-events?limit=10')).json().items;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['directory.created', 'directory.updated']),
    );
  });

  it('refuses bad input with problem+json: type, scheme, display name, unknown fields, unknown connection', async () => {
    for (const body of [
      { scheme: 'x1', displayName: 'X', type: 'onelogin' },
      { scheme: 'has space', displayName: 'X', type: 'generic' },
      { scheme: 'x2', displayName: '   ', type: 'generic' },
      { scheme: 'x3', displayName: 'X', type: 'generic', secret: 'no' },
      { scheme: 'x4', displayName: 'X' },
    ]) {
      expectProblem(await admin('POST', '/iam/v1/directories', body), 400, 'validation.failed');
    }
    expectProblem(await admin('PATCH', '/iam/v1/directories/okta', { scheme: 'other' }), 400, 'validation.failed');
    expectProblem(await admin('GET', '/iam/v1/directories/nope'), 404, 'directories.not_found');
    expectProblem(await admin('PATCH', '/iam/v1/directories/nope', { displayName: 'n' }), 404, 'directories.not_found');
    expectProblem(await admin('DELETE', '/iam/v1/directories/nope'), 404, 'directories.not_found');
  });

  it('shares one scheme namespace with SSO providers, refused in both directions', async () => {
    expectProblem(
      await admin('POST', '/iam/v1/directories', { scheme: 'okta', displayName: 'again', type: 'generic' }),
      409,
      'directories.scheme_taken',
    );
    // An SSO provider cannot take a directory's scheme ...
    const provider = await admin('POST', '/iam/v1/sso/azuread', { ...SEED_001_PROVIDER, scheme: 'okta' });
    expectProblem(provider, 409, 'directories.scheme_taken');
    expect(provider.json().errors).toEqual([{ field: 'scheme', message: expect.stringContaining('directory') }]);
    // ... nor a directory an SSO provider's.
    expect((await admin('POST', '/iam/v1/sso/azuread', { ...SEED_001_PROVIDER, scheme: 'entra' })).statusCode).toBe(
      201,
    );
    expectProblem(
      await admin('POST', '/iam/v1/directories', { scheme: 'entra', displayName: 'Entra SCIM', type: 'entra' }),
      409,
      'sso.scheme_taken',
    );
    expect((await admin('DELETE', '/iam/v1/sso/entra')).statusCode).toBe(204);
    // Concurrent claims of one scheme by a provider and a directory: the tenant's scheme lock lets exactly one win.
    for (let round = 0; round < 3; round++) {
      const scheme = `race${round}`;
      const [provider, directory] = await Promise.all([
        admin('POST', '/iam/v1/sso/azuread', { ...SEED_001_PROVIDER, scheme }),
        admin('POST', '/iam/v1/directories', { scheme, displayName: 'race', type: 'generic' }),
      ]);
      expect([provider.statusCode, directory.statusCode].sort(), `${provider.body} ${directory.body}`).toEqual([
        201, 409,
      ]);
      const winner = provider.statusCode === 201 ? `/iam/v1/sso/${scheme}` : `/iam/v1/directories/${scheme}`;
      expect((await admin('DELETE', winner)).statusCode).toBe(204);
    }
    expect((await admin('GET', '/iam/v1/directories')).json().items.map((d: { scheme: string }) => d.scheme)).toEqual([
      'okta',
    ]);
  });

  it('issues SCIM tokens for a directory; deleting it is refused while a token names it; its users stay', async () => {
    expectProblem(
      await admin('POST', '/iam/v1/scim', { provider: 'nothing', providerDisplayName: 'x' }),
      422,
      'scim_token.provider_unknown',
    );
    const issued = await admin('POST', '/iam/v1/scim', { provider: 'okta', providerDisplayName: 'Okta provisioning' });
    expect(issued.statusCode, issued.body).toBe(201);
    const token = issued.json();
    expect(token).toMatchObject({ provider: 'okta', scimBaseUrl: `${ORIGIN}/${tenant.id}/api/scim/v2` });
    const created = await scim(t.app, { scimToken: token.token }, 'POST', `/${tenant.id}/api/scim/v2/Users`, {
      ...oktaUser('kept@okta.example'),
    });
    expect(created.statusCode, created.body).toBe(201);
    const userId = created.json().id;

    const refused = await admin(
      'DELETE',
      `/iam/v1/directories/${(await admin('GET', '/iam/v1/directories/okta')).json().id}`,
    );
    expectProblem(refused, 409, 'directories.has_scim_tokens');
    expect(refused.json().detail).toContain('DELETE /iam/v1/scim/');
    expect((await admin('GET', '/iam/v1/directories/okta')).statusCode).toBe(200);

    expect((await admin('DELETE', `/iam/v1/scim/${token.id}`)).statusCode).toBe(204);
    expect((await admin('DELETE', '/iam/v1/directories/okta')).statusCode).toBe(204);
    expectProblem(await admin('GET', '/iam/v1/directories/okta'), 404, 'directories.not_found');
    expectProblem(
      await admin('POST', '/iam/v1/scim', { provider: 'okta', providerDisplayName: 'late' }),
      422,
      'scim_token.provider_unknown',
    );
    const user = await admin('GET', `/iam/v1/directory/users/${userId}`);
    expect(user.statusCode).toBe(200);
    expect(user.json()).toMatchObject({ id: userId, userName: 'kept@okta.example' });
    const deleted = (await admin('GET', '/iam/v1/events?types=directory.deleted')).json().data;
    // (The scheme races above may have deleted directories of their own.)
    expect(deleted.at(-1)).toMatchObject({ type: 'directory.deleted', data: { scheme: 'okta' } });
  });

  it('counts a directory as the registered IdP in a SCIM-only tenant’s checklist, and the console offers it', async () => {
    const scimOnly = await createTenant(t.app, 'SCIM only');
    const as = (method: 'GET' | 'POST', url: string, body?: unknown) =>
      call(t.app, method, url, { token: scimOnly.adminToken, ...(body !== undefined ? { body } : {}) });
    const empty = (await as('GET', '/iam/v1/setup')).json();
    expect(empty.steps.map((s: { id: string }) => s.id)).toContain('first_sign_in');
    expect(empty.next).toBe('provider_registered');

    expect(
      (await as('POST', '/iam/v1/directories', { scheme: 'jc', displayName: 'JumpCloud', type: 'generic' })).statusCode,
    ).toBe(201);
    const setup = (await as('GET', '/iam/v1/setup')).json();
    // Sign-in steps do not apply without an SSO provider: the checklist goes straight to the SCIM token.
    expect(setup.steps.map((s: { id: string; done: boolean }) => [s.id, s.done])).toEqual([
      ['provider_registered', true],
      ['scim_token_created', false],
      ['first_scim_request', false],
      ['first_user_provisioned', false],
    ]);
    expect(setup.next).toBe('scim_token_created');

    const cookie = await consoleCookie(t.app, scimOnly.adminToken);
    const page = await t.app.inject({
      method: 'GET',
      url: '/console/scim-tokens',
      headers: { cookie: `${COOKIE}=${cookie}` },
    });
    expect(page.body).toContain('<option value="jc">JumpCloud (jc, directory connection)</option>');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const made = await t.app.inject({
      method: 'POST',
      url: '/console/scim-tokens',
      headers: { cookie: `${COOKIE}=${cookie}`, 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      payload: new URLSearchParams({ provider: 'jc', providerDisplayName: 'JumpCloud sync', _csrf: csrf }).toString(),
    });
    expect(made.statusCode, made.body).toBe(201);
    const listed = await t.app.inject({
      method: 'GET',
      url: '/console/scim-tokens',
      headers: { cookie: `${COOKIE}=${cookie}` },
    });
    expect(listed.body).toContain('JumpCloud sync (<code>jc</code> — directory connection (generic))');
    expect((await as('GET', '/iam/v1/setup')).json().next).toBe('first_scim_request');
  });
});
