// Security plan F1/F2: under write load, `kill -9` Roster at a random moment and restart it — every acknowledged
// write is there, in-flight writes are all-or-nothing, and (SQLite) the database passes integrity_check. After each
// kill the writes since the previous one are checked; at the end one listing is compared with the whole ledger.
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyText } from '../../src/lib/keyring.ts';
import { OPERATOR_TOKEN, SEED_001_PROVIDER } from '../support/app.ts';
import { bundleMain } from '../support/bundle-main.ts';
import { freePort } from '../support/free-port.ts';
import { startRoster as startRosterProcess } from '../support/process.ts';
import { entraUser } from '../support/scim.ts';
import { freshLocation, STORE_KINDS } from '../support/stores.ts';

const ITERATIONS = Number(process.env.CRASH_ITERATIONS ?? 2);
// Each kill is followed by a restart, and restarts are most of the run: src/main.ts is bundled once
// (test/support/bundle-main.ts).
let bundle: Awaited<ReturnType<typeof bundleMain>>;
let MAIN = '';

beforeAll(async () => {
  bundle = await bundleMain('roster-crash-safety');
  MAIN = bundle.entry;
});
afterAll(() => bundle?.remove());

/** Resolves once the child has exited, also when it already has (the 'exit' event fires only once). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Roster from the bundle, once ready. The support helper waits up to a minute on a loaded machine, and kills a
 * child that never became ready, so a failed start leaves no process behind.
 */
async function startRoster(env: Record<string, string>): Promise<ChildProcess> {
  const roster = await startRosterProcess(
    { ...env, LOG_LEVEL: 'error', ROSTER_SCIM_BURST_TENANT: '1000000', ROSTER_SCIM_BURST_TOKEN: '1000000' },
    MAIN,
  );
  return roster.child;
}

// The stores run side by side: each iteration mostly waits for a restart, and 100 of them one store after the other
// took longer than the machine's CI budget.
describe.concurrent.each(STORE_KINDS)('kill -9 under write load on %s', (kind) => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it(
    `keeps every acknowledged write across ${ITERATIONS} crashes`,
    async () => {
      const { location, drop } = await freshLocation(kind);
      const port = await freePort();
      const env = {
        PORT: String(port),
        DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
        ROSTER_SECRET_KEY: generateKeyText(),
        ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
      };
      const origin = `http://127.0.0.1:${port}`;
      const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
      let child = await startRoster(env);
      children.push(child);
      const tenant = (await (
        await fetch(`${origin}/iam/v1/tenants`, {
          method: 'POST',
          headers: json(OPERATOR_TOKEN),
          body: JSON.stringify({ name: 'Crash' }),
        })
      ).json()) as { id: string; adminToken: string };
      await fetch(`${origin}/iam/v1/sso/azuread`, {
        method: 'POST',
        headers: json(tenant.adminToken),
        body: JSON.stringify(SEED_001_PROVIDER),
      });
      const token = (
        (await (
          await fetch(`${origin}/iam/v1/scim`, {
            method: 'POST',
            headers: json(tenant.adminToken),
            body: JSON.stringify({ provider: 'string', providerDisplayName: 'x' }),
          })
        ).json()) as { token: string }
      ).token;
      const base = `${origin}/${tenant.id}/api/scim/v2`;
      const acknowledged = new Map<string, string>(); // userName → id, the client's ledger
      const attempted = new Set<string>();
      let n = 0;
      const started = Date.now();
      const get = async (path: string) => {
        const res = await fetch(`${base}${path}`, { headers: json(token) });
        // biome-ignore lint/suspicious/noExplicitAny: SCIM documents are inspected field by field
        return { status: res.status, body: (await res.json()) as any };
      };

      for (let iteration = 0; iteration < ITERATIONS; iteration++) {
        // The ledger of this iteration only: what is checked after this kill (earlier writes were checked after
        // theirs, and are all checked again at the end; re-reading them after every kill made this quadratic).
        const acknowledgedNow = new Map<string, string>();
        const attemptedNow: string[] = [];
        let stop = false;
        const writer = async () => {
          while (!stop) {
            const userName = `crash${n++}@x.com`;
            attempted.add(userName);
            attemptedNow.push(userName);
            try {
              const res = await fetch(`${base}/Users`, {
                method: 'POST',
                headers: json(token),
                body: JSON.stringify(entraUser(userName, userName)),
              });
              if (res.status === 201) {
                const { id } = (await res.json()) as { id: string };
                acknowledged.set(userName, id);
                acknowledgedNow.set(userName, id);
              }
            } catch {
              return; // the process died under us: this write is in flight, not acknowledged
            }
          }
        };
        const writers = Array.from({ length: 8 }, writer);
        await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 500)));
        child.kill('SIGKILL');
        stop = true;
        await Promise.all(writers);
        await exited(child);
        child = await startRoster(env);
        children.push(child);

        // What was acknowledged since the last kill is there, 16 reads at a time.
        const fresh = [...acknowledgedNow];
        for (let i = 0; i < fresh.length; i += 16) {
          await Promise.all(
            fresh.slice(i, i + 16).map(async ([userName, id]) => {
              const res = await get(`/Users/${id}`);
              expect(res.status, `acknowledged ${userName} lost after crash ${iteration + 1}`).toBe(200);
              expect(res.body.userName).toBe(userName);
            }),
          );
        }
        // In-flight creates are all-or-nothing: a user is either absent or whole and findable.
        for (const userName of attemptedNow) {
          if (acknowledgedNow.has(userName)) continue;
          const found = await get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
          expect(found.body.totalResults).toBeLessThanOrEqual(1);
          if (found.body.totalResults === 1) expect(found.body.Resources[0].displayName).toBe('Barbara Jensen');
        }
        if ((iteration + 1) % 10 === 0 && iteration + 1 < ITERATIONS) {
          console.log(
            `crash-safety ${kind}: ${iteration + 1}/${ITERATIONS} kills, ${acknowledged.size} acknowledged, ` +
              `${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        }
      }
      expect(acknowledged.size).toBeGreaterThan(10);

      // Once at the end, everything: one listing of every user, compared with the whole ledger. Nothing acknowledged
      // before an earlier crash went missing in a later one, nothing unknown appeared, no userName is there twice.
      const listed = new Map<string, { id: string; displayName?: string }>();
      for (let startIndex = 1; ; startIndex += 1000) {
        const page = await get(`/Users?startIndex=${startIndex}&count=1000&attributes=userName,displayName`);
        expect(page.status).toBe(200);
        for (const user of page.body.Resources ?? []) {
          expect(listed.has(user.userName), `${user.userName} listed twice`).toBe(false);
          listed.set(user.userName, { id: user.id, displayName: user.displayName });
        }
        if (startIndex + 1000 > page.body.totalResults) break;
      }
      const lost = [...acknowledged].filter(([userName, id]) => listed.get(userName)?.id !== id);
      expect(lost, 'acknowledged creates missing (or with another id) after the crashes').toEqual([]);
      const unknown = [...listed.keys()].filter((userName) => !attempted.has(userName));
      expect(unknown, 'users nobody created').toEqual([]);
      const committedInFlight = [...listed].filter(([userName]) => !acknowledged.has(userName));
      for (const [, user] of committedInFlight) expect(user.displayName).toBe('Barbara Jensen');
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `crash-safety ${kind}: ${ITERATIONS} kills, ${acknowledged.size} acknowledged creates kept, ` +
          `${attempted.size - acknowledged.size} in flight (${committedInFlight.length} of them committed), ` +
          `${listed.size} users listed, ${seconds} s`,
      );
      child.kill('SIGTERM');
      await exited(child);
      if (location.kind === 'sqlite') {
        const db = new Database(location.path);
        expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
        expect(db.pragma('foreign_key_check')).toEqual([]);
        db.close();
      }
      await drop();
    },
    ITERATIONS * 15_000 + 60_000,
  );
});
