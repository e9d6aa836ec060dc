// The setup checklist follows what Roster sees, step by step, and the provisioning log explains each failure in
// plain words (ADR 0029).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, SEED_001_PROVIDER, startTestApp, type TestApp } from '../support/app.ts';
import { entraUser, scim } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

interface Step {
  id: string;
  done: boolean;
  at: string | null;
}

describe.each(STORE_KINDS)('setup checklist on %s', (kind) => {
  let t: TestApp;
  let tenant: { id: string; adminToken: string };
  let scimToken: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    tenant = await createTenant(t.app, 'Contoso');
  });
  afterAll(() => t?.dispose());

  const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;
  async function checklist(): Promise<{ steps: Step[]; next: string | null; done: Record<string, string | null> }> {
    const res = await call(t.app, 'GET', '/iam/v1/setup', { token: tenant.adminToken });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { steps: Step[]; next: string | null };
    const done = Object.fromEntries(body.steps.filter((s) => s.done).map((s) => [s.id, s.at]));
    return { ...body, done };
  }
  const base = () => `/${tenant.id}/api/scim/v2`;

  it('starts with nothing done', async () => {
    const list = await checklist();
    expect(list.steps.map((s) => s.id)).toEqual([
      'provider_registered',
      'redirect_uri_registered',
      'scim_token_created',
      'first_scim_request',
      'first_user_provisioned',
      'first_sign_in',
    ]);
    expect(list.done).toEqual({});
    expect(list.next).toBe('provider_registered');
  });

  it('ticks each step when it happens, with its time', async () => {
    t.clock.set(at(1));
    const provider = await call(t.app, 'POST', '/iam/v1/sso/azuread', {
      token: tenant.adminToken,
      body: { ...SEED_001_PROVIDER, scheme: 'entra' },
    });
    expect(provider.statusCode).toBe(201);
    expect((await checklist()).done).toEqual({ provider_registered: at(1) });

    t.clock.set(at(2));
    const confirmed = await call(t.app, 'POST', '/iam/v1/setup/redirect-uri-confirmed', { token: tenant.adminToken });
    expect(confirmed.statusCode).toBe(200);
    t.clock.set(at(3));
    // Confirming again keeps the first confirmation's time.
    await call(t.app, 'POST', '/iam/v1/setup/redirect-uri-confirmed', { token: tenant.adminToken });
    expect((await checklist()).done.redirect_uri_registered).toBe(at(2));

    t.clock.set(at(4));
    const token = await call(t.app, 'POST', '/iam/v1/scim', {
      token: tenant.adminToken,
      body: { provider: 'entra', providerDisplayName: 'Contoso Entra ID' },
    });
    scimToken = token.json().token;
    expect((await checklist()).done.scim_token_created).toBe(at(4));

    // A failed Test Connection (a wrong token) is not a SCIM request seen.
    t.clock.set(at(5));
    const wrong = await scim(t.app, { scimToken: `${scimToken.slice(0, -1)}x` }, 'GET', `${base()}/Users`);
    expect(wrong.statusCode).toBe(401);
    expect((await checklist()).done.first_scim_request).toBeUndefined();

    t.clock.set(at(6));
    const lookup = `${base()}/Users?filter=${encodeURIComponent('userName eq "ada@contoso.com"')}`;
    expect((await scim(t.app, { scimToken }, 'GET', lookup)).statusCode).toBe(200);
    const afterLookup = await checklist();
    expect(afterLookup.done.first_scim_request).toBe(at(6));
    expect(afterLookup.next).toBe('first_user_provisioned');

    t.clock.set(at(7));
    const created = await scim(
      t.app,
      { scimToken },
      'POST',
      `${base()}/Users`,
      entraUser('ada@contoso.com', 'oid-ada'),
    );
    expect(created.statusCode).toBe(201);
    t.clock.set(at(8));
    await scim(t.app, { scimToken }, 'POST', `${base()}/Users`, entraUser('bob@contoso.com', 'oid-bob'));
    const afterCreate = await checklist();
    expect(afterCreate.done).toMatchObject({ first_scim_request: at(6), first_user_provisioned: at(7) });
    expect(afterCreate.next).toBe('first_sign_in');
  });

  it('explains every failed entry of the provisioning log, and no success', async () => {
    const again = await scim(t.app, { scimToken }, 'POST', `${base()}/Users`, entraUser('ada@contoso.com', 'oid-2'));
    expect(again.statusCode).toBe(409);
    const badFilter = `${base()}/Users?filter=${encodeURIComponent('favouriteColour eq "blue"')}`;
    expect((await scim(t.app, { scimToken }, 'GET', badFilter)).statusCode).toBe(400);
    const missing = `${base()}/Users/00000000-0000-4000-8000-000000000000`;
    expect((await scim(t.app, { scimToken }, 'GET', missing)).statusCode).toBe(404);

    const res = await call(t.app, 'GET', '/iam/v1/scim/logs?limit=200', { token: tenant.adminToken });
    const items = res.json().items as { operation: string; status: number; explanation: string | null }[];
    const failed = items.filter((e) => e.status >= 400).map((e) => [e.operation, e.status, e.explanation]);
    expect(failed).toEqual(
      expect.arrayContaining([
        ['create', 409, 'userName already exists'],
        ['search', 400, expect.stringMatching(/^the filter is not supported: /)],
        ['get', 404, 'the user does not exist in Roster (it was deleted, or never provisioned)'],
        ['authenticate', 401, expect.stringMatching(/^the token was revoked or is wrong/)],
      ]),
    );
    expect(failed).toHaveLength(4);
    expect(items.filter((e) => e.status < 400).every((e) => e.explanation === null)).toBe(true);
  });

  it('unticks the token step when every token is revoked, and keeps the others', async () => {
    const tokens = (await call(t.app, 'GET', '/iam/v1/scim', { token: tenant.adminToken })).json().items;
    for (const { id } of tokens) {
      await call(t.app, 'DELETE', `/iam/v1/scim/${id}`, { token: tenant.adminToken });
    }
    const list = await checklist();
    expect(list.done.scim_token_created).toBeUndefined();
    expect(list.next).toBe('scim_token_created');
    expect(list.done).toMatchObject({ first_scim_request: at(6), first_user_provisioned: at(7) });
  });

  it('shows a tenant only its own progress', async () => {
    const other = await createTenant(t.app, 'Fabrikam');
    const res = await call(t.app, 'GET', '/iam/v1/setup', { token: other.adminToken });
    expect(res.json().steps.every((s: Step) => !s.done)).toBe(true);
    const operator = await call(t.app, 'GET', '/iam/v1/setup', {
      token: 'test-operator-token-0123456789-abcdefghijklmnop',
    });
    expect(operator.statusCode).toBe(403);
  });
});
