// Security plan F8: SIGTERM while 8 SCIM clients write over keep-alive connections. Every request Roster took in
// gets its response (a write that took effect was acknowledged: no reset for in-flight work), new connections are
// refused or answered 503, the process exits 0 within the grace period, and after a restart the ledger holds.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleMain } from '../support/bundle-main.ts';
import { freePort } from '../support/free-port.ts';
import { checkLedger, WriteLoad } from '../support/load.ts';
import { provisionTenant, type RosterProcess, rosterEnv, startRoster } from '../support/process.ts';
import { freshLocation, STORE_KINDS } from '../support/stores.ts';

const GRACE_MS = 10_000;

/** A request on a connection of its own: 'refused', or the status it was answered with. */
function freshConnection(port: number): Promise<number | 'refused' | 'reset'> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'refused' : 'reset'));
    req.end();
  });
}

// Roster starts four times here: from one bundle of src/main.ts, about twice as fast as through tsx each time.
let main: Awaited<ReturnType<typeof bundleMain>>;
beforeAll(async () => {
  main = await bundleMain('roster-graceful');
});
afterAll(() => main?.remove());

describe.each(STORE_KINDS)('SIGTERM under write load on %s (F8)', (kind) => {
  const running: RosterProcess[] = [];
  afterAll(() => {
    for (const p of running) p.child.kill('SIGKILL');
  });

  it('answers every request it took in, refuses new ones, exits 0 in the grace, and loses nothing', async () => {
    const { location, drop } = await freshLocation(kind);
    const port = await freePort();
    const env = rosterEnv(location, port, { ROSTER_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    const first = await startRoster(env, main.entry);
    running.push(first);
    const tenant = await provisionTenant(first.origin);
    const target = { origin: first.origin, base: tenant.base, token: tenant.token };
    const load = new WriteLoad(target, { writers: 8, prefix: `f8-${kind}-`, stopOnTransportError: true });
    load.start();
    await load.waitFor((o) => o.status === 201, 10_000);
    await new Promise((r) => setTimeout(r, 500));

    const sigtermAt = Date.now();
    first.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const probe = await freshConnection(port);
    const code = await first.exited();
    const exitedAfter = Date.now() - sigtermAt;
    await load.stop();

    expect(code).toBe(0);
    expect(exitedAfter).toBeLessThan(GRACE_MS);
    expect(first.output()).not.toMatch(/grace period elapsed/);
    expect([503, 'refused']).toContain(probe);
    const before = load.outcomes.filter((o) => o.startedAt < sigtermAt);
    expect(before.filter((o) => o.status === 201).length).toBeGreaterThan(10);
    // Before the signal, everything succeeded; after it, a request is answered (201, or 503 while closing) or
    // never got in: its new connection was refused. A reset (a request sent on a keep-alive connection the server
    // closed under it) fails the test.
    for (const o of load.outcomes) {
      if (o.status !== undefined) expect([201, 503], JSON.stringify(o)).toContain(o.status);
      else {
        expect(o.startedAt, `transport error ${o.error} before SIGTERM`).toBeGreaterThanOrEqual(sigtermAt - 50);
        expect(o.error, 'a reset, not a refused new connection').toBe('ECONNREFUSED');
      }
    }

    const second = await startRoster(env, main.entry);
    running.push(second);
    const { committedUnacknowledged } = await checkLedger(target, load);
    // No request took effect without its client hearing so: that would be a reset of in-flight work.
    expect(committedUnacknowledged).toBe(0);
    const answeredAfter = load.outcomes.filter((o) => o.startedAt >= sigtermAt && o.status !== undefined).length;
    const exitAt = sigtermAt + exitedAfter;
    const dropped = load.outcomes.filter((o) => o.error !== undefined && o.startedAt < exitAt).map((o) => o.error);
    const droppedAfter = `${dropped.length} before exit (${[...new Set(dropped)].join(', ') || 'none'})`;
    process.stdout.write(
      `F8 ${kind}: exit 0 after ${exitedAfter} ms; ${load.acknowledged.size} acknowledged; after SIGTERM ${answeredAfter} answered, ${droppedAfter} never got in; new connection: ${probe}\n`,
    );
    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
    await drop();
  }, 60_000);
});
