// Security plan F1/F2: under write load, `kill -9` Roster at a random moment and restart it — every acknowledged
// write is there, in-flight writes are all-or-nothing, and (SQLite) the database passes integrity_check.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyText } from '../../src/lib/keyring.ts';
import { OPERATOR_TOKEN, SEED_001_PROVIDER } from '../support/app.ts';
import { freePort } from '../support/free-port.ts';
import { entraUser } from '../support/scim.ts';
import { freshLocation, STORE_KINDS } from '../support/stores.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ITERATIONS = Number(process.env.CRASH_ITERATIONS ?? 2);

/** Resolves once the child has exited, also when it already has (the 'exit' event fires only once). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function startRoster(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts')], {
    env: {
      ...process.env,
      ...env,
      LOG_LEVEL: 'error',
      ROSTER_SCIM_BURST_TENANT: '1000000',
      ROSTER_SCIM_BURST_TOKEN: '1000000',
    },
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`roster exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).ok) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('roster did not become ready');
}

describe.each(STORE_KINDS)('kill -9 under write load on %s', (kind) => {
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
      const acknowledged = new Map<string, string>(); // userName → id
      const attempted = new Set<string>();
      let n = 0;

      for (let iteration = 0; iteration < ITERATIONS; iteration++) {
        let stop = false;
        const writer = async () => {
          while (!stop) {
            const userName = `crash${n++}@x.com`;
            attempted.add(userName);
            try {
              const res = await fetch(`${base}/Users`, {
                method: 'POST',
                headers: json(token),
                body: JSON.stringify(entraUser(userName, userName)),
              });
              if (res.status === 201) acknowledged.set(userName, ((await res.json()) as { id: string }).id);
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

        for (const [userName, id] of acknowledged) {
          const res = await fetch(`${base}/Users/${id}`, { headers: json(token) });
          expect(res.status, `acknowledged ${userName} lost after crash ${iteration + 1}`).toBe(200);
          expect(((await res.json()) as { userName: string }).userName).toBe(userName);
        }
        // In-flight creates are all-or-nothing: a user is either absent or whole and findable.
        for (const userName of attempted) {
          if (acknowledged.has(userName)) continue;
          const found = (await (
            await fetch(`${base}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, {
              headers: json(token),
            })
          ).json()) as { totalResults: number; Resources: { displayName?: string }[] };
          expect(found.totalResults).toBeLessThanOrEqual(1);
          if (found.totalResults === 1) expect(found.Resources[0]!.displayName).toBe('Barbara Jensen');
        }
      }
      expect(acknowledged.size).toBeGreaterThan(10);
      // Nothing acknowledged before an earlier crash went missing in a later one.
      const total = (await (await fetch(`${base}/Users?count=0`, { headers: json(token) })).json()) as {
        totalResults: number;
      };
      expect(total.totalResults).toBeGreaterThanOrEqual(acknowledged.size);
      expect(total.totalResults).toBeLessThanOrEqual(attempted.size);
      process.stdout.write(
        `crash-safety ${kind}: ${ITERATIONS} kills, ${acknowledged.size} acknowledged creates kept, ${attempted.size - acknowledged.size} in flight\n`,
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
    ITERATIONS * 10_000 + 30_000,
  );
});
