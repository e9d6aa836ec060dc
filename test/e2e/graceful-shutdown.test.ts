// Security plan F8: SIGTERM while 8 SCIM clients write over keep-alive connections. Every request Roster took in
// gets its response (a write that took effect was acknowledged: no reset for in-flight work), new connections are
// refused or answered 503, the process exits 0 within the grace period, and after a restart the ledger holds.
// Beside the load, four connections of our own, byte by byte (ADR 0054): a request half-sent at the signal, a
// request on an idle keep-alive connection right after it, one sent after the server ended its idle connection (it
// must meet a clean close, not a reset, and not run), and a connection on which nothing was ever sent.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleMain } from '../support/bundle-main.ts';
import { freePort } from '../support/free-port.ts';
import { checkLedger, WriteLoad } from '../support/load.ts';
import { provisionTenant, type RosterProcess, rosterEnv, startRoster } from '../support/process.ts';
import { RawConnection, type RawResponse } from '../support/raw-connection.ts';
import { entraUser } from '../support/scim.ts';
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

/** Resolves once a new connection is refused: Roster has taken the signal and stopped accepting. */
async function untilRefused(port: number): Promise<void> {
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(false)).once('error', () => resolve(true));
      socket.once('connect', () => socket.destroy());
    });
    if (refused) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A SCIM create as raw HTTP/1.1, split where the body starts so that a test can hold it in flight. */
function rawCreate(target: { base: string; token: string }, userName: string): { head: string; body: string } {
  const body = JSON.stringify(entraUser(userName, userName));
  const head = [
    `POST ${target.base}/Users HTTP/1.1`,
    'Host: 127.0.0.1',
    `Authorization: Bearer ${target.token}`,
    'Content-Type: application/scim+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    '',
  ].join('\r\n');
  return { head, body };
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
    const held = await RawConnection.open(port);
    const inFlight = rawCreate(target, `held-${kind}@x.com`);
    await held.write(inFlight.head + inFlight.body.slice(0, 10));
    const [idle, ended] = [await RawConnection.open(port), await RawConnection.open(port)];
    for (const c of [idle, ended]) {
      await c.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect((await c.response()) as RawResponse).toMatchObject({ status: 200, headers: { connection: 'keep-alive' } });
    }
    const silent = await RawConnection.open(port);
    await load.waitFor((o) => o.status === 201, 10_000);
    await new Promise((r) => setTimeout(r, 500));

    const sigtermAt = Date.now();
    first.child.kill('SIGTERM');
    await untilRefused(port);
    // Right after the signal: a request on an idle keep-alive connection, and the rest of the one held in flight.
    const onIdle = rawCreate(target, `idle-${kind}@x.com`);
    await idle.write(onIdle.head + onIdle.body);
    await held.write(inFlight.body.slice(10));
    const [heldAnswer, idleAnswer] = [await held.response(), await idle.response()];
    // The idle connection no one used is ended with a FIN; a request that crosses it is read and dropped, not reset.
    expect(await ended.end()).toBe('fin');
    // In two writes: had the server closed the socket, the first would be answered with a reset by its kernel at
    // once, and the second would fail with it.
    const afterFin = rawCreate(target, `after-fin-${kind}@x.com`);
    await ended.write(afterFin.head);
    await ended.write(afterFin.body).catch(() => undefined);
    expect(await silent.end()).toBe('fin');
    silent.close();
    await new Promise((r) => setTimeout(r, 300));
    const probe = await freshConnection(port);
    ended.socket.end();
    const code = await first.exited();
    const endings = [held, idle, ended].map((c) => c.ended);
    const exitedAfter = Date.now() - sigtermAt;
    await load.stop();

    expect(code).toBe(0);
    expect(exitedAfter).toBeLessThan(GRACE_MS);
    expect(first.output()).not.toMatch(/grace period elapsed/);
    expect([503, 'refused']).toContain(probe);
    // The request held in flight at the signal is answered in full, and its connection then closed.
    expect(heldAnswer).toMatchObject({ status: 201, headers: { connection: 'close' } });
    // The one sent on an idle connection right after it is answered too — or, had it arrived after that
    // connection's FIN, met a clean close before any answer and not run (checked below).
    if (typeof idleAnswer !== 'string') {
      expect(idleAnswer).toMatchObject({ status: 201, headers: { connection: 'close' } });
    } else expect(idleAnswer).toBe('fin');
    expect(endings, 'held, idle, ended: closed by the server, never reset').toEqual(['fin', 'fin', 'fin']);
    const before = load.outcomes.filter((o) => o.startedAt < sigtermAt);
    expect(before.filter((o) => o.status === 201).length).toBeGreaterThan(10);
    // A request is answered (201, or 503 while closing) or never got in: its new connection was refused, or it
    // crossed the FIN of its idle keep-alive connection (undici: "other side closed") and did not run (the ledger
    // below). A reset fails the test. (startedAt is not compared with the signal: it is taken before fetch writes
    // anything, and a loaded box can hold that write past the signal.)
    for (const o of load.outcomes) {
      if (o.status !== undefined) expect([201, 503], JSON.stringify(o)).toContain(o.status);
      else expect(['ECONNREFUSED', 'UND_ERR_SOCKET'], `${o.error}: a reset`).toContain(o.error);
    }

    const second = await startRoster(env, main.entry);
    running.push(second);
    const { committedUnacknowledged } = await checkLedger(target, load);
    const exists = async (userName: string) => {
      const filter = encodeURIComponent(`userName eq "${userName}"`);
      const res = await fetch(`${second.origin}${target.base}/Users?filter=${filter}`, {
        headers: { authorization: `Bearer ${target.token}` },
      });
      return ((await res.json()) as { totalResults: number }).totalResults === 1;
    };
    expect(await exists(`held-${kind}@x.com`)).toBe(true);
    expect(await exists(`idle-${kind}@x.com`)).toBe(typeof idleAnswer !== 'string');
    expect(await exists(`after-fin-${kind}@x.com`), 'a request read after the FIN must not run').toBe(false);
    // The provisioning log, written in batches, was flushed before the store closed: every acknowledged create is in.
    // Paged: a page holds at most 200 entries, and a quiet machine acknowledges more creates than that.
    const loggedIds = new Set<string>();
    for (let before: string | null = ''; before !== null; ) {
      const page = await fetch(
        `${second.origin}/iam/v1/scim/logs?operation=create&status=201&limit=200${before ? `&before=${before}` : ''}`,
        { headers: { authorization: `Bearer ${tenant.adminToken}` } },
      );
      const body = (await page.json()) as { items: { resourceId: string }[]; nextCursor: string | null };
      for (const e of body.items) loggedIds.add(e.resourceId);
      before = body.nextCursor;
    }
    const answeredIds = [heldAnswer, idleAnswer].flatMap((a) => (typeof a === 'string' ? [] : [JSON.parse(a.body).id]));
    for (const id of [...load.acknowledged.values(), ...answeredIds])
      expect(loggedIds, `log entry of ${id}`).toContain(id);
    // No request took effect without its client hearing so: that would be a reset of in-flight work.
    expect(committedUnacknowledged).toBe(0);
    const answeredAfter = load.outcomes.filter((o) => o.startedAt >= sigtermAt && o.status !== undefined).length;
    const exitAt = sigtermAt + exitedAfter;
    const dropped = load.outcomes.filter((o) => o.error !== undefined && o.startedAt < exitAt).map((o) => o.error);
    const droppedAfter = `${dropped.length} before exit (${[...new Set(dropped)].join(', ') || 'none'})`;
    process.stdout.write(
      `F8 ${kind}: exit 0 after ${exitedAfter} ms; ${load.acknowledged.size} acknowledged; after SIGTERM ${answeredAfter} answered, ${droppedAfter} never got in; new connection: ${probe}; on an idle connection: ${typeof idleAnswer === 'string' ? idleAnswer : idleAnswer.status}\n`,
    );
    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
    await drop();
  }, 60_000);
});
