// Two Roster instances on one PostgreSQL database share nothing in memory: what one writes the other serves, and
// a token revoked through one is refused by the other on its very next request (security plan A4, issue 6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { openStore } from '../../src/store/open-store.ts';
import { call, OPERATOR_TOKEN, SEED_001_PROVIDER } from '../support/app.ts';
import { entraUser, patch, scim } from '../support/scim.ts';
import { freshLocation } from '../support/stores.ts';

describe('two instances on one PostgreSQL', () => {
  const apps: Awaited<ReturnType<typeof createApp>>[] = [];
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    const { location, drop } = await freshLocation('postgres');
    if (location.kind !== 'postgres') throw new Error('postgres only');
    const secretKey = generateKeyText();
    closers.push(drop);
    for (let i = 0; i < 2; i++) {
      const store = await openStore(location);
      const config = loadConfig({
        ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
        ROSTER_SECRET_KEY: secretKey,
        DATABASE_URL: location.url,
      });
      const app = await createApp({
        config,
        store,
        keyring: parseKeyring(secretKey),
        clock: fixedClock('2026-11-23T10:00:00Z'),
        logger: false,
      });
      await app.ready();
      apps.push(app);
      closers.unshift(async () => {
        await app.close();
        await store.close();
      });
    }
  });
  afterAll(async () => {
    for (const close of closers) await close();
  });

  it('serves each other’s writes, keeps uniqueness across both, and honours a revocation made on the other', async () => {
    const [a, b] = apps as [(typeof apps)[0], (typeof apps)[0]];
    const tenant = (
      await call(a, 'POST', '/iam/v1/tenants', { token: OPERATOR_TOKEN, body: { name: 'Shared' } })
    ).json();
    await call(a, 'POST', '/iam/v1/sso/azuread', { token: tenant.adminToken, body: SEED_001_PROVIDER });
    const token = (
      await call(b, 'POST', '/iam/v1/scim', {
        token: tenant.adminToken,
        body: { provider: 'string', providerDisplayName: 'x' },
      })
    ).json();
    const t = { scimToken: token.token };
    const base = `/${tenant.id}/api/scim/v2`;

    const created = await scim(a, t, 'POST', `${base}/Users`, entraUser('shared@x.com', 'sh'));
    expect(created.statusCode).toBe(201);
    expect((await scim(b, t, 'GET', `${base}/Users/${created.json().id}`)).json().userName).toBe('shared@x.com');
    const racing = await Promise.all(
      [a, b, a, b].map((app) => scim(app, t, 'POST', `${base}/Users`, entraUser('RACE@x.com', 'r'))),
    );
    expect(racing.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
    const patched = await scim(
      b,
      t,
      'PATCH',
      `${base}/Users/${created.json().id}`,
      patch({ op: 'Replace', path: 'active', value: 'False' }),
    );
    expect(patched.json().active).toBe(false);
    expect((await scim(a, t, 'GET', `${base}/Users/${created.json().id}`)).json().active).toBe(false);

    expect((await call(a, 'DELETE', `/iam/v1/scim/${token.id}`, { token: tenant.adminToken })).statusCode).toBe(204);
    expect((await scim(b, t, 'GET', `${base}/Users`)).statusCode).toBe(401);
  });
});
