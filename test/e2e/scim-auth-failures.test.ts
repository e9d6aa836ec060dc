// Failed authentication at a tenant's SCIM URL reaches that tenant's provisioning log: counted per minute and
// reason, never the token, and bounded (a flood is one row; guessed tenants are none).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import { dumpDatabase } from '../support/dump.ts';
import { type ScimTenant, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('failed SCIM authentication in the provisioning log on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let b: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'A');
    b = await scimTenant(t.app, 'B');
  });
  afterAll(() => t?.dispose());

  const attempt = (url: string, authorization?: string) =>
    t.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });

  async function failures(tenant: ScimTenant) {
    const res = await call(t.app, 'GET', '/iam/v1/scim/logs?outcome=failure&limit=200', { token: tenant.adminToken });
    expect(res.statusCode).toBe(200);
    return (res.json().items as Record<string, unknown>[]).filter((e) => e.operation === 'authenticate');
  }

  async function logRows(): Promise<number> {
    const rows = await sql<{ n: number | string }>`select count(*) as n from scim_log`.execute(t.db.store.db);
    return Number(rows.rows[0]?.n);
  }

  it("shows a mistyped token's failed Test Connection to the tenant's admin, once per minute and reason", async () => {
    t.clock.set('2026-11-23T10:00:05.000Z');
    const secret = a.scimToken.split('.')[1]!;
    const mistyped = `${a.scimToken.split('.')[0]}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    // Entra's Test Connection: a user lookup by a random userName.
    const url = `${a.base}/Users?filter=${encodeURIComponent('userName eq "entra-test@contoso.com"')}`;
    for (let i = 0; i < 3; i++) expect((await attempt(url, `Bearer ${mistyped}`)).statusCode).toBe(401);
    expect((await attempt(`${a.base}/Users`)).statusCode).toBe(401);
    expect((await attempt(`${a.base}/Users`, `Bearer ${a.adminToken}`)).statusCode).toBe(401);
    // Another tenant's credentials at A's URL are as unknown as any string, and are not B's business either.
    expect((await attempt(`${a.base}/Users`, `Bearer ${b.scimToken}`)).statusCode).toBe(401);
    expect((await attempt(`${a.base}/Users`, `Bearer ${b.adminToken}`)).statusCode).toBe(401);

    const seen = await failures(a);
    const byReason = Object.fromEntries(seen.map((e) => [(e.summary as { reason: string }).reason, e]));
    expect(Object.keys(byReason).sort()).toEqual(['admin_token', 'invalid', 'missing']);
    expect(byReason.invalid).toMatchObject({
      at: '2026-11-23T10:00:00.000Z',
      tokenId: null,
      method: '*',
      path: `/${a.tenantId}/api/scim/v2`,
      status: 401,
      scimType: null,
      summary: { error: 'authentication failed', reason: 'invalid', count: 5 },
    });
    expect(byReason.missing?.summary).toEqual({ error: 'authentication failed', reason: 'missing', count: 1 });
    // The log's own operation filter finds them too.
    const filtered = await call(t.app, 'GET', '/iam/v1/scim/logs?operation=authenticate', { token: a.adminToken });
    expect(filtered.statusCode).toBe(200);
    expect((filtered.json().items as { operation: string }[]).map((e) => e.operation)).toEqual([
      'authenticate',
      'authenticate',
      'authenticate',
    ]);
    expect(byReason.admin_token?.summary).toEqual({ error: 'authentication failed', reason: 'admin_token', count: 1 });
    expect(await failures(b)).toEqual([]);
  });

  it('stores nothing of the token: not the secret, not a marker, not the header', async () => {
    const marker = 'zq9MARKERzq9';
    const tokens = [
      `scim_${marker}.${marker}${'x'.repeat(40)}`,
      `${a.scimToken.split('.')[0]}.${marker}`,
      `${marker}`,
      `Basic ${Buffer.from(`${marker}:${marker}`).toString('base64')}`,
    ];
    for (const token of tokens) {
      const res = await attempt(`${a.base}/Groups`, token.startsWith('Basic') ? token : `Bearer ${token}`);
      expect(res.statusCode).toBe(401);
    }
    const logs = await call(t.app, 'GET', '/iam/v1/scim/logs?limit=200', { token: a.adminToken });
    expect(logs.body).not.toContain(marker);
    const dump = await dumpDatabase(t.db);
    for (const form of [marker, Buffer.from(marker).toString('base64'), Buffer.from(marker).toString('hex')]) {
      expect(dump).not.toContain(form);
    }
    expect(dump).toContain('"authenticate"');
  });

  it('writes one row for a flood at one tenant, none for guessed tenants, and nothing on the token-only URL', async () => {
    t.clock.set('2026-11-23T10:05:00.000Z');
    await failures(a); // writes whatever is open
    const before = await logRows();
    for (let i = 0; i < 2000; i++) {
      expect((await attempt(`${a.base}/Users`, `Bearer scim_${i}.${'y'.repeat(43)}`)).statusCode).toBe(401);
    }
    // Guessed or typed tenant ids (the tenant must exist: nothing is written for the others).
    for (let i = 0; i < 1500; i++) {
      const fake = `01a24af0-c8d8-76ac-b005-${String(i).padStart(12, '0')}`;
      expect((await attempt(`/${fake}/api/scim/v2/Users`, 'Bearer nope')).statusCode).toBe(401);
      expect((await attempt(`/not-a-tenant-${i}/api/scim/v2/Users`, 'Bearer nope')).statusCode).toBe(401);
    }
    for (let i = 0; i < 100; i++) expect((await attempt('/iam/v1/scim/Users', 'Bearer nope')).statusCode).toBe(401);
    const flood = (await failures(a)).filter((e) => e.at === '2026-11-23T10:05:00.000Z');
    expect(flood).toHaveLength(1);
    expect(flood[0]?.summary).toEqual({ error: 'authentication failed', reason: 'invalid', count: 2000 });
    expect(await logRows()).toBe(before + 1);
    // The log still works: a successful request afterwards is recorded as ever.
    const ok = await attempt(`${a.base}/Users`, `Bearer ${a.scimToken}`);
    expect(ok.statusCode).toBe(200);
    const all = await call(t.app, 'GET', '/iam/v1/scim/logs?limit=1', { token: a.adminToken });
    expect(all.json().items[0]).toMatchObject({ operation: 'search', status: 200 });
  });

  it('writes a minute once it has ended, without waiting for the admin to read', async () => {
    t.clock.set('2026-11-23T10:10:30.000Z');
    await failures(a);
    const before = await logRows();
    expect((await attempt(`${a.base}/Users`)).statusCode).toBe(401);
    t.clock.set('2026-11-23T10:11:00.000Z');
    await vi.waitFor(async () => expect(await logRows()).toBe(before + 1), { timeout: 5000, interval: 100 });
    expect((await failures(a)).find((e) => e.at === '2026-11-23T10:10:00.000Z')?.summary).toEqual({
      error: 'authentication failed',
      reason: 'missing',
      count: 1,
    });
  });

  it('authenticates an unknown path once (the onRequest hook), not again in the 404 handler', async () => {
    const get = vi.spyOn(t.db.store.scimTokens, 'getWithDomainPolicy'); // the SCIM token read (ADR 0045)
    try {
      const res = await attempt(`${a.base}/NoSuchThing`, `Bearer ${a.scimToken}`);
      expect(res.statusCode).toBe(404);
      expect(res.json().detail).toBe('no SCIM endpoint at this path');
      expect(get).toHaveBeenCalledTimes(1);
    } finally {
      get.mockRestore();
    }
  });
});
