// Webhook delivery with several Roster processes on one PostgreSQL: two instances deliver each event once to a
// healthy receiver, and an endpoint leased by a process killed mid-delivery is taken over when its lease ends.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyText } from '../../src/lib/keyring.ts';
import { openStore, type StoreLocation } from '../../src/store/open-store.ts';
import { call, type LiveApp, OPERATOR_TOKEN, startLiveApp } from '../support/app.ts';
import { freePort } from '../support/free-port.ts';
import { provisionTenant, type RosterProcess, rosterEnv, startRoster } from '../support/process.ts';
import { entraUser, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { freshLocation, STORE_KINDS } from '../support/stores.ts';
import { type Receiver, startReceiver, verifies } from '../support/webhook-receiver.ts';

const FAST = { ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true', ROSTER_WEBHOOK_POLL_MS: '50', ROSTER_WEBHOOK_LEASE_MS: '2000' };

describe.runIf(STORE_KINDS.includes('postgres'))('webhooks with several processes on PostgreSQL', () => {
  let location: StoreLocation;
  let drop: () => Promise<void>;
  let rx: Receiver;
  const secretKey = generateKeyText();
  const env = { ...FAST, ROSTER_SECRET_KEY: secretKey };
  const lives: LiveApp[] = [];
  let child: RosterProcess | undefined;

  beforeAll(async () => {
    ({ location, drop } = await freshLocation('postgres'));
    rx = await startReceiver();
  });
  afterAll(async () => {
    child?.child.kill('SIGKILL');
    for (const live of lives) await live.close();
    await rx?.close();
    await drop?.();
  });

  it('two instances deliver every event exactly once, in feed order', async () => {
    lives.push(await startLiveApp(location, env), await startLiveApp(location, env));
    const [one, two] = lives as [LiveApp, LiveApp];
    const tenant: ScimTenant = await scimTenant(one.app, 'Twins');
    const start = (await call(one.app, 'GET', '/iam/v1/events', { token: tenant.adminToken })).json().nextCursor;
    const created = await call(two.app, 'POST', '/iam/v1/webhooks', {
      token: tenant.adminToken,
      body: { url: `${rx.origin}/twins` },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { secret } = created.json();
    const writes = Array.from({ length: 40 }, (_, i) =>
      scim(i % 2 ? one.app : two.app, tenant, 'POST', `${tenant.base}/Users`, entraUser(`twin${i}@x.example`, `t${i}`)),
    );
    for (const res of await Promise.all(writes)) expect(res.statusCode).toBe(201);
    // On PostgreSQL an event shows once every older transaction has ended (ADR 0018): the other process's short
    // fan-out and claim transactions can hold the newest back for a moment after the writes were acknowledged.
    let feed: { id: string }[] = [];
    for (let i = 0; i < 200 && feed.length < 40; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 25));
      feed = (
        await call(one.app, 'GET', `/iam/v1/events?limit=1000&after=${start}`, { token: tenant.adminToken })
      ).json().data;
    }
    expect(feed).toHaveLength(40);
    await rx.until(() => rx.delivered('/twins').length >= 40);
    // A few more rounds of both processes: nothing is sent twice.
    await new Promise((r) => setTimeout(r, 500));
    const got = rx.received.filter((r) => r.path === '/twins');
    expect(got.map((r) => r.headers['webhook-id'])).toEqual(feed.map((e) => e.id));
    for (const r of got) expect(verifies(secret, r)).toBe(true);
    for (const live of lives.splice(0)) await live.close();
  });

  it('an endpoint leased by a process killed mid-delivery is sent again by another after the lease ends', async () => {
    rx.answer('/killed', 'hang');
    const port = await freePort();
    child = await startRoster(rosterEnv(location, port, env));
    const created = await fetch(`${child.origin}/iam/v1/operator/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${rx.origin}/killed`, eventTypes: ['user.created'] }),
    });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as { id: string; secret: string };
    const tenant = await provisionTenant(child.origin);
    const user = await fetch(`${child.origin}${tenant.base}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(entraUser('killed@x.example', 'killed')),
    });
    expect(user.status).toBe(201);
    await rx.until((r) => r.some((x) => x.path === '/killed'));
    child.child.kill('SIGKILL');
    await child.exited();
    child = undefined;

    // The dead process still holds the lease; nothing of its attempt was recorded.
    const store = await openStore(location);
    const held = await sql<{ lease_owner: string | null }>`
      select lease_owner from webhooks where id = ${hook.id}`.execute(store.db);
    expect(held.rows[0]!.lease_owner).toMatch(/^proc_/);
    const [pending] = await store.webhooks.queued(hook.id, undefined, 10);
    expect(pending).toMatchObject({ attempts: 0 });
    await store.close();
    rx.answer('/killed', 204);
    lives.push(await startLiveApp(location, env));
    await rx.until(() => rx.delivered('/killed').length >= 1, 20_000);
    const all = rx.received.filter((r) => r.path === '/killed');
    expect(all).toHaveLength(2);
    expect(all[1]!.headers['webhook-id']).toBe(all[0]!.headers['webhook-id']);
    expect(all[1]!.body).toBe(all[0]!.body);
    for (const r of all) expect(verifies(hook.secret, r)).toBe(true);
    const leaseAfter = await sql<{ lease_owner: string | null }>`
      select lease_owner from webhooks where id = ${hook.id}`.execute(lives[0]!.store.db);
    expect(leaseAfter.rows[0]!.lease_owner === held.rows[0]!.lease_owner).toBe(false);
  });
});
