// Issue 6 / security plan L2, A13: SCIM rate limits hold across several Roster processes sharing one PostgreSQL.
// Two instances (two createApp on one database, one clock) together get one tenant's limit, not one each; a
// flooded tenant's neighbours are untouched; the limit recovers as time passes (ADR 0012).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { type Clock, fixedClock, systemClock } from '../../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../../src/lib/keyring.ts';
import { openStore } from '../../src/store/open-store.ts';
import { call, OPERATOR_TOKEN } from '../support/app.ts';
import { type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { freshLocation } from '../support/stores.ts';

const HUGE = '1000000';
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.splice(0)) await close();
});

interface Cluster {
  readonly apps: FastifyInstance[];
  readonly url: string;
}

/** `n` Roster instances on one fresh PostgreSQL database, each with its own store (pool) and limiter state. */
async function cluster(env: Record<string, string>, clock: Clock, n = 2): Promise<Cluster> {
  const { location, drop } = await freshLocation('postgres');
  if (location.kind !== 'postgres') throw new Error('postgres only');
  const secretKey = generateKeyText();
  const apps: FastifyInstance[] = [];
  const mine: (() => Promise<void>)[] = [drop];
  for (let i = 0; i < n; i++) {
    const store = await openStore(location);
    const config = loadConfig({
      ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
      ROSTER_SECRET_KEY: secretKey,
      DATABASE_URL: location.url,
      ROSTER_SCIM_RATE_TENANT: HUGE,
      ROSTER_SCIM_BURST_TENANT: HUGE,
      ROSTER_SCIM_RATE_TOKEN: HUGE,
      ROSTER_SCIM_BURST_TOKEN: HUGE,
      ROSTER_AUTH_FAILURE_RATE: HUGE,
      ROSTER_AUTH_FAILURE_BURST: HUGE,
      ...env,
    });
    const app = await createApp({ config, store, keyring: parseKeyring(secretKey), clock, logger: false });
    await app.ready();
    apps.push(app);
    mine.unshift(async () => {
      await app.close();
      await store.close();
    });
  }
  closers.push(async () => {
    for (const close of mine) await close();
  });
  return { apps, url: location.url };
}

const statuses = (responses: LightMyRequestResponse[]) => responses.map((r) => r.statusCode);
const count = (responses: LightMyRequestResponse[], status: number) =>
  responses.filter((r) => r.statusCode === status).length;

/** `n` GETs alternating between the instances, one after another. */
async function alternate(apps: FastifyInstance[], t: ScimTenant, n: number): Promise<LightMyRequestResponse[]> {
  const out: LightMyRequestResponse[] = [];
  for (let i = 0; i < n; i++) out.push(await scim(apps[i % apps.length]!, t, 'GET', `${t.base}/Users?count=1`));
  return out;
}

describe('SCIM rate limits shared through PostgreSQL', () => {
  it('gives two instances one tenant limit between them, 429 + integer Retry-After beyond it, others untouched, recovery with time', async () => {
    const clock = fixedClock('2026-11-23T10:00:00Z');
    const { apps } = await cluster({ ROSTER_SCIM_RATE_TENANT: '1', ROSTER_SCIM_BURST_TENANT: '10' }, clock);
    const [a, b] = apps as [FastifyInstance, FastifyInstance];
    const flooding = await scimTenant(a, 'Flooding');
    const quiet = await scimTenant(b, 'Quiet');

    const first = await alternate(apps, flooding, 24);
    // The burst (10) in total, served by both instances, then refusals from both.
    expect(statuses(first)).toEqual([...Array(10).fill(200), ...Array(14).fill(429)]);
    for (const refused of first.slice(10)) {
      expect(refused.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
      expect(refused.headers['content-type']).toContain('application/scim+json');
      expect(refused.json()).toMatchObject({ status: '429', detail: expect.stringContaining('rate limit') });
    }
    // The other tenant is served by both instances meanwhile.
    expect(statuses(await alternate(apps, quiet, 6))).toEqual(Array(6).fill(200));

    // 5 s at 1/s refill 5 requests for the pair, not 5 each.
    clock.advance(5_000);
    expect(count(await alternate(apps, flooding, 12), 200)).toBe(5);
    // Long enough to refill the burst: it is all back, once.
    clock.advance(60_000);
    expect(count(await alternate(apps, flooding, 24), 200)).toBe(10);
  });

  it('with per-process limits (the control) the same traffic gets one limit per instance', async () => {
    const clock = fixedClock('2026-11-23T10:00:00Z');
    const { apps } = await cluster(
      { ROSTER_SCIM_RATE_TENANT: '1', ROSTER_SCIM_BURST_TENANT: '10', ROSTER_RATE_LIMIT_SCOPE: 'process' },
      clock,
    );
    const t = await scimTenant(apps[0]!, 'Flooding');
    expect(count(await alternate(apps, t, 24), 200)).toBe(20);
  });

  it('keeps concurrent traffic from both instances within one limit, errors bounded by the leased batches', async () => {
    const clock = fixedClock('2026-11-23T10:00:00Z');
    // rate 200/s → permits are leased 10 at a time.
    const { apps } = await cluster({ ROSTER_SCIM_RATE_TENANT: '200', ROSTER_SCIM_BURST_TENANT: '200' }, clock, 3);
    const t = await scimTenant(apps[0]!, 'Flooding');
    const other = await scimTenant(apps[0]!, 'Quiet');
    const wave = () =>
      Promise.all(Array.from({ length: 450 }, (_, i) => scim(apps[i % 3]!, t, 'GET', `${t.base}/Users?count=1`)));
    const batch = 10;
    const first = await wave();
    expect(count(first, 200) + count(first, 429)).toBe(450);
    // Never more than the one bucket holds; fewer only by permits still leased to an instance (≤ 1.25 batch each).
    expect(count(first, 200)).toBeLessThanOrEqual(200);
    expect(count(first, 200)).toBeGreaterThanOrEqual(200 - 3 * Math.ceil(1.25 * batch));
    expect(
      first.filter((r) => r.statusCode === 429).every((r) => /^[1-9][0-9]*$/.test(`${r.headers['retry-after']}`)),
    ).toBe(true);
    expect(count(await Promise.all(apps.map((app) => scim(app, other, 'GET', `${other.base}/Users`))), 200)).toBe(3);
    clock.advance(500); // 100 more tokens
    const second = await wave();
    expect(count(second, 200)).toBeLessThanOrEqual(100 + 3 * Math.ceil(1.25 * batch));
    expect(count(second, 200)).toBeGreaterThanOrEqual(100 - 3 * Math.ceil(1.25 * batch));
  });

  it('limits each SCIM token across instances before its tenant; failed authentications stay per process', async () => {
    const clock = fixedClock('2026-11-23T10:00:00Z');
    const { apps, url } = await cluster(
      {
        ROSTER_SCIM_RATE_TOKEN: '1',
        ROSTER_SCIM_BURST_TOKEN: '4',
        ROSTER_AUTH_FAILURE_RATE: '1',
        ROSTER_AUTH_FAILURE_BURST: '3',
      },
      clock,
    );
    const t = await scimTenant(apps[0]!, 'Two tokens');
    const second = (
      await call(apps[1]!, 'POST', '/iam/v1/scim', {
        token: t.adminToken,
        body: { provider: 'entra', providerDisplayName: 'second' },
      })
    ).json();
    expect(statuses(await alternate(apps, t, 6))).toEqual([200, 200, 200, 200, 429, 429]);
    expect(statuses(await alternate(apps, { ...t, scimToken: second.token }, 2))).toEqual([200, 200]);

    const guess = (app: FastifyInstance) =>
      app.inject({
        method: 'GET',
        url: `${t.base}/Users`,
        headers: { authorization: `Bearer scim_${'A'.repeat(22)}.${'B'.repeat(43)}` },
      });
    // Failed authentications are counted per process (ADR 0012: an unauthenticated caller causes no writes).
    const guesses = [];
    for (let i = 0; i < 8; i++) guesses.push((await guess(apps[i % 2]!)).statusCode);
    expect(guesses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    const rows = new pg.Client({ connectionString: url });
    await rows.connect();
    try {
      const scopes = (await rows.query('select distinct scope from rate_limit_buckets order by scope')).rows;
      expect(scopes.map((r) => r.scope)).toEqual(['tenant', 'token']);
    } finally {
      await rows.end();
    }
  });

  it('holds the limit in real time across instances serving concurrently', async () => {
    const { apps } = await cluster({ ROSTER_SCIM_RATE_TENANT: '20', ROSTER_SCIM_BURST_TENANT: '10' }, systemClock);
    const t = await scimTenant(apps[0]!, 'Flooding');
    const started = performance.now();
    let ok = 0;
    let refused = 0;
    // Four callers per instance, back to back, for about 2 s.
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        while (performance.now() - started < 2_000) {
          const res = await scim(apps[i % 2]!, t, 'GET', `${t.base}/Users?count=1`);
          if (res.statusCode === 200) ok++;
          else if (res.statusCode === 429) refused++;
          else throw new Error(`unexpected ${res.statusCode}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(refused).toBeGreaterThan(0);
    // burst + rate × time, + 1 for a refill landing between the clock read and the claim (batch is 1 at 20/s).
    expect(ok).toBeLessThanOrEqual(10 + Math.ceil(20 * seconds) + 2);
  });

  it('falls back to per-process limits, never to none and never to a 5xx, when the shared bucket cannot be reached', async () => {
    const clock = fixedClock('2026-11-23T10:00:00Z');
    const { apps, url } = await cluster({ ROSTER_SCIM_RATE_TENANT: '1', ROSTER_SCIM_BURST_TENANT: '3' }, clock);
    const t = await scimTenant(apps[0]!, 'Flooding');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // The shared table is gone (the rest of the database serves): every claim fails.
      await client.query('drop table rate_limit_buckets');
    } finally {
      await client.end();
    }
    expect(statuses(await alternate([apps[0]!], t, 5))).toEqual([200, 200, 200, 429, 429]);
    expect(statuses(await alternate([apps[1]!], t, 5))).toEqual([200, 200, 200, 429, 429]);
  });
});
