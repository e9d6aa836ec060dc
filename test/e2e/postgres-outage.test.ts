// Security plan F3: PostgreSQL crashes (`pg_ctl stop -m immediate`) under a steady SCIM write load. Every request
// during the outage answers 503 with an integer Retry-After as a SCIM error — never a 500, never a hang past the
// request deadline — and once PostgreSQL is back on the same port, Roster serves again without a restart and every
// write it acknowledged is there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveApp, startLiveApp } from '../support/app.ts';
import { checkLedger, expectScim503, scimHeaders, WriteLoad } from '../support/load.ts';
import { type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { scimTenant } from '../support/scim.ts';

const DEADLINE_MS = 15_000; // past Roster's own bounds (5 s pool connect timeout, 10 s statement timeout)

describe('PostgreSQL crash under write load (F3)', () => {
  let pgServer: PostgresServer;
  let live: LiveApp;
  beforeAll(async () => {
    pgServer = await startPostgres();
    live = await startLiveApp({ kind: 'postgres', url: pgServer.url });
  });
  afterAll(async () => {
    await live?.close();
    pgServer?.stop();
  });

  it('answers 503 + Retry-After during the outage, recovers by itself, and keeps every acknowledged write', async () => {
    const tenant = await scimTenant(live.app);
    const target = { origin: live.origin, base: tenant.base, token: tenant.scimToken };
    const load = new WriteLoad(target, { writers: 6, pauseMs: 5, deadlineMs: DEADLINE_MS, prefix: 'f3-' });
    const reads: { status: number; retryAfter: string | null }[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const res = await fetch(`${live.origin}${tenant.base}/Users?count=1`, {
          headers: scimHeaders(tenant.scimToken),
          signal: AbortSignal.timeout(DEADLINE_MS),
        });
        await res.arrayBuffer();
        reads.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    load.start();
    await load.waitFor((o) => o.status === 201, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const crashedAt = Date.now();
    pgServer.crash();
    await load.waitFor((o) => o.status === 503, 10_000);
    await new Promise((r) => setTimeout(r, 1_500)); // a real outage: many requests meet a dead database
    const restartAt = Date.now();
    pgServer.start();
    await load.waitFor((o) => o.status === 201 && o.startedAt > restartAt, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();
    reading = false;
    await reader;

    // Every answer is a 201 or a SCIM 503 with Retry-After; nothing else, no transport error, no hang.
    const transport = load.outcomes.filter((o) => o.error !== undefined);
    expect(transport, JSON.stringify(transport.slice(0, 3))).toEqual([]);
    for (const o of load.outcomes) {
      if (o.status !== 201) expectScim503(o);
      expect(o.ms).toBeLessThan(DEADLINE_MS);
    }
    for (const r of reads) {
      expect([200, 503]).toContain(r.status);
      if (r.status === 503) expect(r.retryAfter).toMatch(/^[1-9][0-9]*$/);
    }
    const during = load.outcomes.filter((o) => o.startedAt > crashedAt && o.startedAt < restartAt);
    expect(during.filter((o) => o.status === 503).length).toBeGreaterThan(20);
    expect(reads.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    // Recovered without a restart of Roster: writes after PostgreSQL came back succeed, /readyz is ready again.
    expect(load.outcomes.filter((o) => o.startedAt > restartAt && o.status === 201).length).toBeGreaterThan(0);
    expect((await fetch(`${live.origin}/readyz`)).status).toBe(200);

    const { committedUnacknowledged } = await checkLedger(target, load);
    // The provisioning log (buffered, written in the background) lost no acknowledged create to the outage.
    let logged = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const rows = await live.store.db
        .selectFrom('scim_log')
        .select('resource_id')
        .where('tenant_id', '=', tenant.tenantId)
        .where('operation', '=', 'create')
        .where('status', '=', 201)
        .execute();
      logged = new Set(rows.map((r) => r.resource_id!));
      if ([...load.acknowledged.values()].every((id) => logged.has(id))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const unlogged = [...load.acknowledged].filter(([, id]) => !logged.has(id)).map(([userName]) => userName);
    expect(unlogged, 'acknowledged creates missing from the provisioning log').toEqual([]);
    const unavailable = load.outcomes.filter((o) => o.status === 503);
    process.stdout.write(
      `F3: ${load.acknowledged.size} acknowledged, ${unavailable.length} × 503 (max ${Math.max(...load.outcomes.map((o) => o.ms))} ms), ` +
        `${committedUnacknowledged} unacknowledged but committed; outage ${restartAt - crashedAt} ms\n`,
    );
  }, 60_000);
});
