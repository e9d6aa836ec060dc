// Setup links (ADR 0029): created by the operator, shown once, stored as a digest, single-use even when two
// redemptions race through two separate connections to the same database, and audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Redemption, redeemSetupLink, type SetupDeps } from '../../src/core/setup/setup-links.ts';
import { parseKeyring } from '../../src/lib/keyring.ts';
import { type OpenedStore, openStore } from '../../src/store/open-store.ts';
import { call, createTenant, OPERATOR_TOKEN, startTestApp, type TestApp } from '../support/app.ts';
import { dumpDatabase } from '../support/dump.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('setup links on %s', (kind) => {
  let t: TestApp;
  let tenant: { id: string; adminToken: string };
  let other: { id: string; adminToken: string };
  let deps: SetupDeps;
  /**
   * PostgreSQL: a second, independent pool on the same database, as a second Roster process would have. SQLite is
   * served by one process per file, whose concurrent requests share its connection: the race is within it.
   */
  let second: OpenedStore | undefined;
  let secondDeps: SetupDeps;

  beforeAll(async () => {
    t = await startTestApp(kind);
    tenant = await createTenant(t.app, 'Contoso');
    other = await createTenant(t.app, 'Fabrikam');
    const base = { keyring: parseKeyring(t.secretKey), clock: t.clock, publicUrl: 'https://roster.test' };
    deps = { ...base, store: t.db.store, setup: t.db.store.setup };
    second = kind === 'postgres' ? await openStore(t.db.location) : undefined;
    secondDeps = second ? { ...base, store: second, setup: second.setup } : deps;
  });
  afterAll(async () => {
    await second?.close();
    await t?.dispose();
  });

  const create = (tenantId: string, body: unknown = {}) =>
    call(t.app, 'POST', `/iam/v1/tenants/${tenantId}/setup-links`, { token: OPERATOR_TOKEN, body });
  const secretOf = (url: string) => url.slice('https://roster.test/console/setup/'.length);
  const audit = async (adminToken: string) =>
    (await call(t.app, 'GET', `/iam/v1/audit-events?limit=200`, { token: adminToken })).json().items as {
      action: string;
      target: string;
      data: Record<string, unknown>;
    }[];

  it('creates a link that expires in 60 minutes by default, shown once and listed without its secret', async () => {
    const res = await create(tenant.id);
    expect(res.statusCode).toBe(201);
    const link = res.json();
    expect(link.url).toMatch(/^https:\/\/roster\.test\/console\/setup\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(link.expiresAt) - t.clock.now().getTime()).toBe(60 * 60_000);
    expect(secretOf(link.url).startsWith(`${link.id}.`)).toBe(true);

    const list = await call(t.app, 'GET', `/iam/v1/tenants/${tenant.id}/setup-links`, { token: OPERATOR_TOKEN });
    expect(list.statusCode).toBe(200);
    const listed = list.json().items.find((l: { id: string }) => l.id === link.id);
    expect(listed).toMatchObject({ id: link.id, state: 'active', usedAt: null, revokedAt: null });
    expect(list.body).not.toContain(secretOf(link.url).split('.')[1]);
    // Nowhere in the database: only its keyed digest is kept.
    expect(await dumpDatabase(t.db)).not.toContain(secretOf(link.url).split('.')[1]);
  });

  it('takes expiresInMinutes up to 7 days and refuses anything else with problem+json', async () => {
    const bodiless = await call(t.app, 'POST', `/iam/v1/tenants/${tenant.id}/setup-links`, { token: OPERATOR_TOKEN });
    expect(bodiless.statusCode).toBe(201);
    const week = await create(tenant.id, { expiresInMinutes: 7 * 24 * 60 });
    expect(week.statusCode).toBe(201);
    expect(Date.parse(week.json().expiresAt) - t.clock.now().getTime()).toBe(7 * 86_400_000);
    for (const body of [
      { expiresInMinutes: 7 * 24 * 60 + 1 },
      { expiresInMinutes: 0 },
      { expiresInMinutes: 'x' },
      { x: 1 },
    ]) {
      const res = await create(tenant.id, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('validation.failed');
    }
    expect((await create('00000000-0000-4000-8000-000000000000')).json().code).toBe('tenant.not_found');
    const asAdmin = await call(t.app, 'POST', `/iam/v1/tenants/${tenant.id}/setup-links`, {
      token: tenant.adminToken,
      body: {},
    });
    expect(asAdmin.statusCode).toBe(403);
  });

  it('opens once; a second opening, a revoked, an expired or a wrong secret are refused, each for its reason', async () => {
    const link = (await create(tenant.id)).json();
    const secret = secretOf(link.url);
    expect(await redeemSetupLink(deps, secret)).toEqual({ kind: 'redeemed', tenantId: tenant.id, linkId: link.id });
    expect(await redeemSetupLink(deps, secret)).toEqual({ kind: 'refused', reason: 'used' });

    const revoked = (await create(tenant.id)).json();
    const del = await call(t.app, 'DELETE', `/iam/v1/tenants/${tenant.id}/setup-links/${revoked.id}`, {
      token: OPERATOR_TOKEN,
    });
    expect(del.statusCode).toBe(204);
    expect(await redeemSetupLink(deps, secretOf(revoked.url))).toEqual({ kind: 'refused', reason: 'revoked' });

    const short = (await create(tenant.id, { expiresInMinutes: 1 })).json();
    t.clock.advance(60_000);
    expect(await redeemSetupLink(deps, secretOf(short.url))).toEqual({ kind: 'refused', reason: 'expired' });

    const wrong = `${link.id}.${'A'.repeat(43)}`;
    for (const bad of [wrong, 'nonsense', '', `${secret}x`, secret.replace('.', '_')]) {
      expect(await redeemSetupLink(deps, bad), bad).toEqual({ kind: 'refused', reason: 'unknown' });
    }

    const states = (
      await call(t.app, 'GET', `/iam/v1/tenants/${tenant.id}/setup-links`, { token: OPERATOR_TOKEN })
    ).json().items as { id: string; state: string }[];
    const stateOf = (id: string) => states.find((s) => s.id === id)?.state;
    expect([stateOf(link.id), stateOf(revoked.id), stateOf(short.id)]).toEqual(['used', 'revoked', 'expired']);

    const entries = await audit(tenant.adminToken);
    const about = (id: string) =>
      entries
        .filter((e) => e.target === id)
        .map((e) => e.action)
        .sort();
    expect(about(link.id)).toEqual(['setup_link.created', 'setup_link.refused', 'setup_link.used']);
    expect(about(revoked.id)).toEqual(['setup_link.created', 'setup_link.refused', 'setup_link.revoked']);
    expect(entries.find((e) => e.target === short.id && e.action === 'setup_link.refused')?.data).toEqual({
      reason: 'expired',
    });
    expect(JSON.stringify(entries)).not.toContain(secret.split('.')[1]);
  });

  it('is single-use when two redemptions race (PostgreSQL: through two pools)', async () => {
    const links = await Promise.all(Array.from({ length: 8 }, async () => (await create(tenant.id)).json()));
    for (const link of links) {
      const secret = secretOf(link.url);
      const results: Redemption[] = await Promise.all([
        redeemSetupLink(deps, secret),
        redeemSetupLink(secondDeps, secret),
      ]);
      const redeemed = results.filter((r) => r.kind === 'redeemed');
      expect(redeemed, JSON.stringify(results)).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'refused')).toEqual([{ kind: 'refused', reason: 'used' }]);
    }
    const used = (await audit(tenant.adminToken)).filter(
      (e) => e.action === 'setup_link.used' && links.some((l) => l.id === e.target),
    );
    expect(used).toHaveLength(links.length);
  });

  it('revokes only unused links of the named tenant', async () => {
    const link = (await create(tenant.id)).json();
    const elsewhere = await call(t.app, 'DELETE', `/iam/v1/tenants/${other.id}/setup-links/${link.id}`, {
      token: OPERATOR_TOKEN,
    });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json().code).toBe('setup_link.not_found');
    expect(await redeemSetupLink(deps, secretOf(link.url))).toMatchObject({ kind: 'redeemed' });
    const spent = await call(t.app, 'DELETE', `/iam/v1/tenants/${tenant.id}/setup-links/${link.id}`, {
      token: OPERATOR_TOKEN,
    });
    expect(spent.statusCode).toBe(409);
    expect(spent.json().code).toBe('setup_link.not_revocable');
    const list = await call(t.app, 'GET', `/iam/v1/tenants/${other.id}/setup-links`, { token: OPERATOR_TOKEN });
    expect(list.json().items).toEqual([]);
  });
});
