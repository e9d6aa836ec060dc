// Security plan §4.2 (authentication, token lifecycle, token confusion: A1–A8, A10, A11, A14–A17; A9 and A12 are
// unit/static tests, A13 is the rate-limit work). Both stores.
import { createHmac, hkdfSync } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { parseKeyring } from '../../src/lib/keyring.ts';
import { openStore } from '../../src/store/open-store.ts';
import { call, createTenant, OPERATOR_TOKEN, SEED_001_PROVIDER, startTestApp, type TestApp } from '../support/app.ts';
import { dumpDatabase } from '../support/dump.ts';
import { recordQueries } from '../support/query-log.ts';
import { CORE_GROUP, ERROR, entraUser, patch, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

/** Every SCIM route with each method it serves (and some it does not), relative to a base URL. */
const SCIM_ROUTES: [string, string][] = [
  ['GET', '/Users'],
  ['POST', '/Users'],
  ['GET', '/Users/00000000-0000-7000-8000-000000000000'],
  ['PUT', '/Users/00000000-0000-7000-8000-000000000000'],
  ['PATCH', '/Users/00000000-0000-7000-8000-000000000000'],
  ['DELETE', '/Users/00000000-0000-7000-8000-000000000000'],
  ['POST', '/Users/.search'],
  ['GET', '/Groups'],
  ['POST', '/Groups'],
  ['GET', '/Groups/x'],
  ['PUT', '/Groups/x'],
  ['PATCH', '/Groups/x'],
  ['DELETE', '/Groups/x'],
  ['POST', '/Groups/.search'],
  ['POST', '/.search'],
  ['POST', '/Bulk'],
  ['GET', '/ServiceProviderConfig'],
  ['GET', '/Schemas'],
  ['GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User'],
  ['GET', '/ResourceTypes'],
  ['GET', '/ResourceTypes/User'],
  ['GET', '/Me'],
  ['DELETE', '/ServiceProviderConfig'],
  ['GET', '/NoSuchRoute'],
];

/** Sends raw HTTP/1.1 requests one after another on ONE keep-alive socket; returns each status code. */
async function onOneSocket(port: number, requests: string[]): Promise<number[]> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffer = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
  });
  const statuses: number[] = [];
  for (const request of requests) {
    buffer = '';
    socket.write(request);
    // Wait for one complete response (headers + Content-Length body).
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end !== -1) {
        const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
        if (buffer.length >= end + 4 + length) break;
      }
      if (socket.destroyed) throw new Error('socket closed');
      await new Promise((r) => setTimeout(r, 5));
    }
    statuses.push(Number(buffer.slice(9, 12)));
  }
  socket.destroy();
  return statuses;
}

describe.each(STORE_KINDS)('authentication and tokens on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let b: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'A');
    b = await scimTenant(t.app, 'B');
  });
  afterAll(() => t?.dispose());

  const unauthorized = (headers: Record<string, string>, base = a.base) =>
    Promise.all(
      SCIM_ROUTES.map(([method, path]) =>
        t.app.inject({
          method: method as 'GET',
          url: `${base}${path}`,
          headers: {
            ...headers,
            ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/scim+json' }),
          },
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: '{}' }),
        }),
      ),
    );

  it('A1/A3/A7/A8: every SCIM route on both base URLs answers the same 401 without, with a bad, a foreign or a confused credential', async () => {
    const session = `roster_session=${'x'.repeat(43)}; roster_session.sig=${'y'.repeat(27)}`;
    const entraJwt =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2xvZ2luLm1pY3Jvc29mdG9ubGluZS5jb20vdGlkL3YyLjAiLCJ0aWQiOiJ0aWQifQ.c2ln';
    const [scimId] = a.scimToken.slice('scim_'.length).split('.');
    const credentials: [string, Record<string, string>][] = [
      ['none', {}],
      ['well-formed random', { authorization: `Bearer scim_${'A'.repeat(22)}.${'B'.repeat(43)}` }],
      ['valid id, wrong secret', { authorization: `Bearer scim_${scimId}.${'C'.repeat(43)}` }],
      ['admin token', { authorization: `Bearer ${a.adminToken}` }],
      ['operator token', { authorization: `Bearer ${OPERATOR_TOKEN}` }],
      ['session cookie', { cookie: session }],
      ['Entra JWT', { authorization: `Bearer ${entraJwt}` }],
    ];
    const bodies = new Set<string>();
    for (const [label, headers] of credentials) {
      for (const base of [a.base, '/iam/v1/scim']) {
        for (const [i, res] of (await unauthorized(headers, base)).entries()) {
          const what = `${label} ${SCIM_ROUTES[i]!.join(' ')} at ${base.slice(0, 10)}`;
          expect(res.statusCode, what).toBe(401);
          expect(res.headers['www-authenticate'], what).toMatch(/^Bearer/);
          expect(res.headers['content-type'], what).toBe('application/scim+json; charset=utf-8');
          bodies.add(res.body);
        }
      }
    }
    // Another tenant's valid token at this tenant's URL (A7), and a valid token passed in the query string (A8).
    for (const res of await unauthorized({ authorization: `Bearer ${b.scimToken}` })) {
      expect(res.statusCode).toBe(401);
      bodies.add(res.body);
    }
    const query = await t.app.inject({ method: 'GET', url: `${a.base}/Users?access_token=${a.scimToken}` });
    expect(query.statusCode).toBe(401);
    bodies.add(query.body);
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0]!)).toEqual({ schemas: [ERROR], status: '401', detail: expect.any(String) });
    // The admin API: a SCIM token is as unknown there as any string (ADR 0013), a query token is ignored.
    for (const res of [
      await call(t.app, 'GET', '/iam/v1/sso', { token: a.scimToken }),
      await call(t.app, 'GET', `/iam/v1/sso?access_token=${a.adminToken}`),
      await call(t.app, 'GET', '/iam/v1/tenants', { token: a.scimToken }),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('A2: garbage Authorization headers are 401 and issue no database query; a well-formed unknown token issues one lookup', async () => {
    const queries = recordQueries();
    const garbage = [
      'non-token',
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer ',
      'Bearer  x',
      `Bearer ${'x'.repeat(10 * 1024)}`,
      `Bearer scim_${'A'.repeat(22)}.${'B'.repeat(42)}`,
      `Bearer scim_${'A'.repeat(22)}.${'B'.repeat(43)}x`,
      `Bearer scim_${'A'.repeat(21)}!.${'B'.repeat(43)}`,
      `Bearer xyz_${'A'.repeat(22)}.${'B'.repeat(43)}`,
      `Bearer scim_${'\u00e9'.repeat(22)}.${'B'.repeat(43)}`,
      'Bearer \u00ff\u00fe',
    ];
    for (const authorization of garbage) {
      for (const url of [`${a.base}/Users`, '/iam/v1/scim/Users', '/iam/v1/sso', '/iam/v1/tenants']) {
        queries.reset();
        const res = await t.app.inject({ method: 'GET', url, headers: { authorization } });
        expect(res.statusCode, `${authorization.slice(0, 24)} ${url}`).toBe(401);
        expect(queries.all(), `${authorization.slice(0, 24)} ${url}`).toEqual([]);
      }
    }
    // The counter sees lookups: a well-formed token with an unknown id costs exactly one indexed read. The recorder
    // sees every query of this process, so first let the app's start-up background work (retention purge, domain
    // re-check) finish: a 300 ms window with no query at all.
    for (let i = 0; i < 50; i++) {
      queries.reset();
      await new Promise((r) => setTimeout(r, 300));
      if (queries.all().length === 0) break;
    }
    queries.reset();
    const unknown = await t.app.inject({
      method: 'GET',
      url: `${a.base}/Users`,
      headers: { authorization: `Bearer scim_${'Z'.repeat(22)}.${'B'.repeat(43)}` },
    });
    expect(unknown.statusCode).toBe(401);
    expect(queries.all()).toHaveLength(1);
    expect(queries.all()[0]!.sql).toMatch(/scim_tokens/);
  });

  it('A4: a revoked token is refused on the first request after the revoke returns — same keep-alive socket, new socket, second instance', async () => {
    const c = await scimTenant(t.app, 'Revocation');
    const second = await startSecondInstance(t);
    const port = await listen(t);
    try {
      const get = `GET ${c.base}/ServiceProviderConfig HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.scimToken}\r\n\r\n`;
      const revoke = `DELETE /iam/v1/scim/${c.scimTokenId} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.adminToken}\r\n\r\n`;
      const onSecond = () =>
        second.app.inject({
          method: 'GET',
          url: `${c.base}/Users`,
          headers: { authorization: `Bearer ${c.scimToken}` },
        });
      expect((await onSecond()).statusCode).toBe(200);
      // One socket: use, revoke, use again — no grace, no per-connection cache.
      expect(await onOneSocket(port, [get, get, revoke, get])).toEqual([200, 200, 204, 401]);
      expect(await onOneSocket(port, [get])).toEqual([401]);
      expect((await onSecond()).statusCode).toBe(401);
    } finally {
      await second.close();
    }
  });

  it('A5/A6: an expired token, and every token of a deleted tenant, are refused on SCIM at once', async () => {
    const c = await scimTenant(t.app, 'Expiring');
    const expiring = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: c.adminToken,
        body: { provider: 'entra', providerDisplayName: 'x', expiresAt: '2026-11-23T11:00:00Z' },
      })
    ).json();
    const spc = (token: string) => scim(t.app, { scimToken: token }, 'GET', `${c.base}/ServiceProviderConfig`);
    expect((await spc(expiring.token)).statusCode).toBe(200);
    t.clock.set('2026-11-23T11:00:00.000Z');
    try {
      expect((await spc(expiring.token)).statusCode).toBe(401);
      expect((await spc(c.scimToken)).statusCode).toBe(200);
    } finally {
      t.clock.set('2026-11-23T10:00:00.000Z');
    }
    expect((await call(t.app, 'DELETE', `/iam/v1/tenants/${c.tenantId}`, { token: OPERATOR_TOKEN })).statusCode).toBe(
      204,
    );
    for (const base of [c.base, '/iam/v1/scim']) {
      expect((await scim(t.app, c, 'GET', `${base}/Users`)).statusCode).toBe(401);
    }
    expect((await call(t.app, 'GET', '/iam/v1/sso', { token: c.adminToken })).statusCode).toBe(401);
  });

  it('A10/A11: the secret is shown once; the store holds only HMAC-SHA256 digests under a key derived from ROSTER_SECRET_KEY', async () => {
    const c = await createTenant(t.app, 'Digest');
    await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: c.adminToken, body: SEED_001_PROVIDER });
    const issued = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: c.adminToken,
        body: { provider: 'string', providerDisplayName: 'x' },
      })
    ).json();
    const adminSecret = c.adminToken.split('.')[1]!;
    const scimSecret = issued.token.split('.')[1] as string;
    // Shown once: never in a list, an error, the audit trail or the OpenAPI document afterwards.
    const later = [
      await call(t.app, 'GET', '/iam/v1/scim', { token: c.adminToken }),
      await call(t.app, 'GET', `/iam/v1/tenants/${c.id}/admin-tokens`, { token: OPERATOR_TOKEN }),
      await call(t.app, 'GET', '/iam/v1/audit-events?limit=200', { token: c.adminToken }),
      await call(t.app, 'GET', '/iam/v1/scim/logs?limit=200', { token: c.adminToken }),
    ];
    for (const res of later) {
      expect(res.statusCode).toBe(200);
      for (const secret of [adminSecret, scimSecret]) expect(res.body).not.toContain(secret.slice(0, 8));
    }
    const dump = await dumpDatabase(t.db);
    for (const secret of [adminSecret, scimSecret]) {
      const bytes = Buffer.from(secret, 'base64url');
      for (const form of [
        secret,
        bytes.toString('hex'),
        bytes.toString('base64'),
        secret.slice(0, 8),
        secret.slice(-8),
      ]) {
        expect(dump.includes(form), `dump contains a form of a secret: ${form.slice(0, 4)}…`).toBe(false);
      }
    }
    // digest = HMAC-SHA256(HKDF(ROSTER_SECRET_KEY, "roster/token-digest"), secret), computed here independently.
    const [keyId, material] = t.secretKey.split(':') as [string, string];
    const macKey = Buffer.from(
      hkdfSync('sha256', Buffer.from(material, 'base64'), Buffer.alloc(0), 'roster/token-digest', 32),
    );
    const rows = (await t.db.store.db.selectFrom('scim_tokens').select(['id', 'digest', 'key_id']).execute()).filter(
      (r) => r.id === issued.id,
    );
    expect(rows).toEqual([
      { id: issued.id, key_id: keyId, digest: createHmac('sha256', macKey).update(scimSecret).digest('base64url') },
    ]);
  });

  it('A14: rotation under load — add token 2, switch, revoke token 1 — fails no request; token 1 is refused afterwards', async () => {
    const c = await scimTenant(t.app, 'Rotation');
    let current = c.scimToken;
    const inFlight = new Map<string, number>();
    const failures: string[] = [];
    let done = 0;
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const token = current;
        inFlight.set(token, (inFlight.get(token) ?? 0) + 1);
        const res =
          i % 3 === 0
            ? await scim(
                t.app,
                { scimToken: token },
                'POST',
                `${c.base}/Users`,
                entraUser(`r${w}-${i}@c.com`, `r${w}-${i}`),
              )
            : await scim(t.app, { scimToken: token }, 'GET', `${c.base}/Users?count=5`);
        inFlight.set(token, inFlight.get(token)! - 1);
        if (res.statusCode >= 400) failures.push(`${res.statusCode} ${res.body.slice(0, 100)}`);
        done++;
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((r) => setTimeout(r, 2));
    };
    await until(() => done >= 40);
    const next = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: c.adminToken,
        body: { provider: 'entra', providerDisplayName: 'next' },
      })
    ).json();
    current = next.token;
    const old = c.scimToken;
    await until(() => (inFlight.get(old) ?? 0) === 0);
    expect((await call(t.app, 'DELETE', `/iam/v1/scim/${c.scimTokenId}`, { token: c.adminToken })).statusCode).toBe(
      204,
    );
    const atRevoke = done;
    await until(() => done >= atRevoke + 40);
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect((await scim(t.app, c, 'GET', `${c.base}/Users`)).statusCode).toBe(401);
    expect((await scim(t.app, { scimToken: next.token }, 'GET', `${c.base}/Users?count=0`)).statusCode).toBe(200);
  });

  it('A15: lastUsedAt is written on use, at most once a minute, and listed', async () => {
    const c = await scimTenant(t.app, 'Last used');
    const listed = async () =>
      (await call(t.app, 'GET', '/iam/v1/scim', { token: c.adminToken }))
        .json()
        .items.find((i: { id: string }) => i.id === c.scimTokenId).lastUsedAt;
    const adminListed = async () =>
      (await call(t.app, 'GET', `/iam/v1/tenants/${c.tenantId}/admin-tokens`, { token: OPERATOR_TOKEN })).json()
        .items[0].lastUsedAt;
    // Time for a write that must not happen (off the request path) to show.
    const settle = () => new Promise((r) => setTimeout(r, 50));
    expect(await listed()).toBeNull();
    try {
      t.clock.set('2026-11-23T12:00:00.000Z');
      await scim(t.app, c, 'GET', `${c.base}/Users`);
      // The write is off the request path: wait for it (bounded) rather than for a fixed 50 ms.
      await expect.poll(listed, { timeout: 5_000 }).toBe('2026-11-23T12:00:00.000Z');
      await expect.poll(adminListed, { timeout: 5_000 }).toBe('2026-11-23T12:00:00.000Z');
      t.clock.set('2026-11-23T12:00:30.000Z');
      await scim(t.app, c, 'GET', `${c.base}/Users`);
      await settle();
      expect(await listed()).toBe('2026-11-23T12:00:00.000Z');
      t.clock.set('2026-11-23T12:01:01.000Z');
      await scim(t.app, c, 'GET', `${c.base}/Users`);
      await expect.poll(listed, { timeout: 5_000 }).toBe('2026-11-23T12:01:01.000Z');
    } finally {
      t.clock.set('2026-11-23T10:00:00.000Z');
    }
  });

  it("A16: a tenant admin reaches none of another tenant's objects (404), the operator has no tenant role (403)", async () => {
    const owner = await scimTenant(t.app, 'Owner');
    const intruder = await scimTenant(t.app, 'Intruder');
    const app = (
      await call(t.app, 'POST', '/iam/v1/clients', {
        token: owner.adminToken,
        body: { client_name: 'Owner app', type: 'confidential', redirect_uris: ['https://owner.example/cb'] },
      })
    ).json();
    const user = (await scim(t.app, owner, 'POST', `${owner.base}/Users`, entraUser('owned@o.com', 'owned'))).json();
    const as = (method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH', url: string, body?: unknown) =>
      call(t.app, method, url, { token: intruder.adminToken, body });
    for (const res of [
      await as('GET', `/iam/v1/clients/${app.client_id}`),
      await as('PUT', `/iam/v1/clients/${app.client_id}`, {
        client_name: 'Stolen',
        type: 'confidential',
        redirect_uris: ['https://evil.example/cb'],
      }),
      await as('POST', `/iam/v1/clients/${app.client_id}/secret`),
      await as('DELETE', `/iam/v1/clients/${app.client_id}`),
      await as('DELETE', `/iam/v1/scim/${owner.scimTokenId}`),
      await as('GET', '/iam/v1/sso/entra').then(async (own) => {
        // The intruder has its own "entra" provider; the owner's is reachable by nobody else.
        expect(own.json().id).not.toBe(
          (await call(t.app, 'GET', '/iam/v1/sso/entra', { token: owner.adminToken })).json().id,
        );
        return as('DELETE', `/iam/v1/tenants/${owner.tenantId}`);
      }),
    ]) {
      expect([403, 404], res.body).toContain(res.statusCode);
    }
    const lists = [
      await as('GET', '/iam/v1/clients'),
      await as('GET', '/iam/v1/scim'),
      await as('GET', '/iam/v1/scim/logs?limit=200'),
      await as('GET', '/iam/v1/audit-events?limit=200'),
      await as('GET', '/iam/v1/signing-keys'),
    ];
    for (const res of lists) {
      expect(res.statusCode).toBe(200);
      for (const secret of [app.client_id, owner.scimTokenId, user.id, owner.tenantId])
        expect(res.body).not.toContain(secret);
    }
    // The owner's objects are untouched.
    expect(
      (await call(t.app, 'GET', `/iam/v1/clients/${app.client_id}`, { token: owner.adminToken })).json().client_name,
    ).toBe('Owner app');
    expect((await scim(t.app, owner, 'GET', `${owner.base}/Users/${user.id}`)).statusCode).toBe(200);
    // The operator token has no tenant: tenant routes fail closed with 403, never act on some tenant.
    for (const url of [
      '/iam/v1/sso',
      '/iam/v1/scim',
      '/iam/v1/clients',
      '/iam/v1/audit-events',
      '/iam/v1/signing-keys',
    ]) {
      const res = await call(t.app, 'GET', url, { token: OPERATOR_TOKEN });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().code).toBe('auth.wrong_kind');
    }
    // A tenant admin has no operator role.
    expect((await call(t.app, 'GET', '/iam/v1/tenants', { token: owner.adminToken })).statusCode).toBe(403);
  });

  it('A17: token, provider and app changes are audited with actor, target and a UTC time, without secrets', async () => {
    const c = await createTenant(t.app, 'Audited');
    const provider = await call(t.app, 'POST', '/iam/v1/sso/azuread', { token: c.adminToken, body: SEED_001_PROVIDER });
    await call(t.app, 'PATCH', '/iam/v1/sso/string', {
      token: c.adminToken,
      body: { properties: { clientSecret: 'rotated-client-secret-value' } },
    });
    const token = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: c.adminToken,
        body: { provider: 'string', providerDisplayName: 'x' },
      })
    ).json();
    await call(t.app, 'DELETE', `/iam/v1/scim/${token.id}`, { token: c.adminToken });
    const app = (
      await call(t.app, 'POST', '/iam/v1/clients', {
        token: c.adminToken,
        body: { client_name: 'Audited app', type: 'confidential', redirect_uris: ['https://a.example/cb'] },
      })
    ).json();
    const rotated = (
      await call(t.app, 'POST', `/iam/v1/clients/${app.client_id}/secret`, { token: c.adminToken })
    ).json();
    await call(t.app, 'DELETE', '/iam/v1/sso/string', { token: c.adminToken });
    const extra = (
      await call(t.app, 'POST', `/iam/v1/tenants/${c.id}/admin-tokens`, {
        token: OPERATOR_TOKEN,
        body: { label: 'ci' },
      })
    ).json();
    await call(t.app, 'DELETE', `/iam/v1/tenants/${c.id}/admin-tokens/${extra.id}`, { token: OPERATOR_TOKEN });
    const res = await call(t.app, 'GET', '/iam/v1/audit-events?limit=200', { token: c.adminToken });
    const events = res.json().items as { at: string; actor: string; action: string; target: string | null }[];
    expect(events.map((e) => e.action).reverse()).toEqual([
      'tenant.created',
      'admin_token.created',
      'sso_provider.created',
      'sso_provider.updated',
      'scim_token.created',
      'scim_token.revoked',
      'client.created',
      'client.secret_rotated',
      'sso_provider.deleted',
      'admin_token.created',
      'admin_token.revoked',
    ]);
    const [adminId] = c.adminToken.slice('adm_'.length).split('.');
    for (const e of events) {
      expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(e.actor).toMatch(/^(operator|admin):/);
      expect(e.target).toEqual(expect.any(String));
    }
    expect(events.find((e) => e.action === 'scim_token.revoked')).toMatchObject({
      actor: `admin:${adminId}`,
      target: token.id,
    });
    expect(events.find((e) => e.action === 'admin_token.revoked')).toMatchObject({
      actor: 'operator:bootstrap',
      target: extra.id,
    });
    for (const secret of [
      'my-client-secret',
      'rotated-client-secret-value',
      token.token.split('.')[1],
      extra.token.split('.')[1],
      app.client_secret,
      rotated.client_secret,
    ]) {
      expect(res.body).not.toContain(secret);
    }
    expect(provider.statusCode).toBe(201);
  });

  it('A1: PATCH and Bulk are authenticated before their bodies are read', async () => {
    const queries = recordQueries();
    const res = await t.app.inject({
      method: 'PATCH',
      url: `${a.base}/Groups/x`,
      headers: { 'content-type': 'application/scim+json' },
      payload: JSON.stringify(patch({ op: 'add', path: 'members', value: [{ value: 'x' }] })),
    });
    expect(res.statusCode).toBe(401);
    const bulk = await t.app.inject({
      method: 'POST',
      url: `${a.base}/Bulk`,
      headers: { 'content-type': 'application/scim+json' },
      payload: JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [{ method: 'POST', path: '/Groups', data: { schemas: [CORE_GROUP], displayName: 'x' } }],
      }),
    });
    expect(bulk.statusCode).toBe(401);
    expect(queries.all()).toEqual([]);
  });
});

async function listen(t: TestApp): Promise<number> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A second Roster instance on the same database (what a second process or worker would be). */
async function startSecondInstance(t: TestApp) {
  const store = await openStore(t.db.location);
  const config = loadConfig({
    ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
    ROSTER_SECRET_KEY: t.secretKey,
    ROSTER_PUBLIC_URL: 'https://roster.test',
    DATABASE_URL: t.db.location.kind === 'sqlite' ? `sqlite:${t.db.location.path}` : t.db.location.url,
  });
  const app = await createApp({ config, store, keyring: parseKeyring(t.secretKey), clock: t.clock, logger: false });
  await app.ready();
  return {
    app,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
