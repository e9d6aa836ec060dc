// Token lifecycle (issue 13 item 5, ADR 0032) on both stores: admin token scopes enforced on every registered admin
// route (walked from the OpenAPI document, which every admin route must be in), admin token expiry on the very
// next request, and SCIM tokens expiring within 30 days flagged in the listing and announced once by an event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import { type ScimTenant, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const DAY = 86_400_000;

describe.each(STORE_KINDS)('token lifecycle (%s)', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  beforeAll(async () => {
    // The expiry notice runs every second here, so the test sees it without waiting an hour.
    t = await startTestApp(kind, { ROSTER_TOKEN_NOTICE_INTERVAL_SECONDS: '1' });
    a = await scimTenant(t.app, 'Lifecycle');
  });
  afterAll(() => t?.dispose());

  const admin = (method: Method, url: string, body?: unknown, token = a.adminToken) =>
    call(t.app, method, url, { token, body });

  async function issue(scopes: string[] | undefined, expiresAt?: string) {
    const res = await admin('POST', '/iam/v1/admin-tokens', { name: `t-${scopes?.join('+')}`, scopes, expiresAt });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; token: string; scopes: string[]; expiresAt: string | null };
  }

  it('scopes on every admin route: read = GET only, scim-tokens = the SCIM token routes only, admin = all', async () => {
    const tokens = {
      read: (await issue(['read'])).token,
      'scim-tokens': (await issue(['scim-tokens'])).token,
      admin: (await issue(['admin'])).token,
      both: (await issue(['read', 'scim-tokens'])).token,
    };
    const doc = (await admin('GET', '/iam/v1/openapi.json')).json() as {
      paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        // Routes an admin token may call at all (the operator-only ones answer auth.wrong_kind to any of them).
        .filter(([, op]) => op.security?.some((s) => 'adminToken' in s))
        .map(([method, _]) => ({
          method: method.toUpperCase() as Method,
          path,
          // Unknown ids: a route that lets the token through answers 404/400, never touching real rows.
          url: path.replace(/\{[^}]+\}/g, 'no-such-id'),
        })),
    );
    expect(routes.length).toBeGreaterThan(30);
    const scimTokenRoutes = new Set(['/iam/v1/scim', '/iam/v1/scim/{id}']);
    const refusedForScope = async (token: string, r: (typeof routes)[number]) => {
      const res = await admin(r.method, r.url, r.method === 'GET' || r.method === 'DELETE' ? undefined : {}, token);
      expect(res.statusCode, `${r.method} ${r.path}`).not.toBe(500);
      if (res.statusCode !== 403) return false;
      expect(res.json().code, `${r.method} ${r.path}`).toBe('auth.insufficient_scope');
      return true;
    };
    for (const r of routes) {
      const isGet = r.method === 'GET';
      const isScimTokens = scimTokenRoutes.has(r.path);
      expect(await refusedForScope(tokens.read, r), `read ${r.method} ${r.path}`).toBe(!isGet);
      expect(await refusedForScope(tokens['scim-tokens'], r), `scim-tokens ${r.method} ${r.path}`).toBe(!isScimTokens);
      expect(await refusedForScope(tokens.both, r), `read+scim-tokens ${r.method} ${r.path}`).toBe(
        !isGet && !isScimTokens,
      );
      expect(await refusedForScope(tokens.admin, r), `admin ${r.method} ${r.path}`).toBe(false);
    }
    // A scim-tokens token does manage SCIM tokens; a read token cannot mint itself a wider token.
    const made = await admin(
      'POST',
      '/iam/v1/scim',
      { provider: 'entra', providerDisplayName: 'By scope' },
      tokens['scim-tokens'],
    );
    expect(made.statusCode).toBe(201);
    expect((await admin('DELETE', `/iam/v1/scim/${made.json().id}`, undefined, tokens['scim-tokens'])).statusCode).toBe(
      204,
    );
    const escalate = await admin('POST', '/iam/v1/admin-tokens', { name: 'x', scopes: ['admin'] }, tokens.read);
    expect(escalate.statusCode).toBe(403);
    // Tokens issued before scopes existed (and the operator's default) keep full access.
    expect((await issue(undefined)).scopes).toEqual(['admin']);
    for (const scopes of [[], ['root'], ['read', 'write']]) {
      const bad = await admin('POST', '/iam/v1/admin-tokens', { name: 'bad', scopes });
      expect(bad.statusCode, JSON.stringify(scopes)).toBe(400);
    }
  });

  it('an expired admin token is refused on the very next request; the listing shows expiry and scopes', async () => {
    const now = t.clock.now().getTime();
    const short = await issue(['read'], new Date(now + 60_000).toISOString());
    expect((await admin('GET', '/iam/v1/roles', undefined, short.token)).statusCode).toBe(200);
    const listed = (await admin('GET', '/iam/v1/admin-tokens')).json().items;
    expect(listed).toContainEqual(
      expect.objectContaining({ id: short.id, scopes: ['read'], expiresAt: new Date(now + 60_000).toISOString() }),
    );
    t.clock.advance(60_000);
    try {
      const refused = await admin('GET', '/iam/v1/roles', undefined, short.token);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().code).toBe('auth.invalid');
    } finally {
      t.clock.advance(-60_000);
    }
    const past = await admin('POST', '/iam/v1/admin-tokens', { name: 'p', expiresAt: new Date(now - 1).toISOString() });
    expect(past.statusCode).toBe(400);
    // Revocation by the tenant itself also takes effect at once.
    const revoked = await issue(['admin']);
    expect((await admin('DELETE', `/iam/v1/admin-tokens/${revoked.id}`)).statusCode).toBe(204);
    expect((await admin('GET', '/iam/v1/roles', undefined, revoked.token)).statusCode).toBe(401);
  });

  it('SCIM tokens expiring within 30 days are flagged and make exactly one scim_token.expiring each', async () => {
    const now = t.clock.now().getTime();
    const create = async (name: string, expiresAt: string | null) => {
      const res = await admin('POST', '/iam/v1/scim', { provider: 'entra', providerDisplayName: name, expiresAt });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    const soon = await create('Soon', new Date(now + 10 * DAY).toISOString());
    const later = await create('Later', new Date(now + 45 * DAY).toISOString());
    const never = await create('Never', null);
    const flags = async () =>
      Object.fromEntries(
        ((await admin('GET', '/iam/v1/scim')).json().items as { id: string; expiresSoon: boolean }[]).map((i) => [
          i.id,
          i.expiresSoon,
        ]),
      );
    expect(await flags()).toMatchObject({ [soon]: true, [later]: false, [never]: false });

    const expiring = async () => {
      const res = await admin('GET', '/iam/v1/events?types=scim_token.expiring&limit=1000');
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().data as { data: { id: string } }[]).map((e) => e.data.id);
    };
    const until = async (want: string[]) => {
      for (let i = 0; i < 200; i++) {
        const got = await expiring();
        if (want.every((id) => got.includes(id))) return got;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no scim_token.expiring for ${want.join(', ')}`);
    };
    await until([soon]);
    // Sixteen days on, the 45-day token enters its last 30 days too; the first is not announced again.
    t.clock.advance(16 * DAY);
    try {
      expect(await flags()).toMatchObject({ [soon]: true, [later]: true, [never]: false });
      const got = await until([soon, later]);
      expect(got.filter((id) => id === soon)).toHaveLength(1);
      expect(got.filter((id) => id === later)).toHaveLength(1);
      expect(got).not.toContain(never);
    } finally {
      t.clock.advance(-16 * DAY);
    }
    const audit = (await admin('GET', '/iam/v1/audit-events?limit=200')).json().items as { action: string }[];
    expect(audit.filter((e) => e.action === 'scim_token.expiring')).toHaveLength(2);
  });
});
