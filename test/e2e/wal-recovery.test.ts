// Security plan F9: kill -9 leaving a large SQLite -wal. A second process holds a read transaction open, so no
// checkpoint can bring the WAL back to its start and everything written stays in it; then Roster and the reader are
// both killed with SIGKILL under write load. Restart recovers from the WAL by itself: every acknowledged write is
// there, in-flight ones all-or-nothing, integrity_check ok. (PostgreSQL's own WAL recovery is exercised by F3's
// `pg_ctl stop -m immediate`; F2 kills Roster on PostgreSQL.)
import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.ts';
import { checkLedger, WriteLoad } from '../support/load.ts';
import { provisionTenant, type RosterProcess, rosterEnv, startRoster } from '../support/process.ts';
import { freshLocation } from '../support/stores.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WRITE_MS = Number(process.env.F9_WRITE_MS ?? 2_500);

/** Another process with a read transaction open on the database: checkpoints cannot reset the WAL past it. */
async function holdReader(path: string): Promise<ChildProcess> {
  const script = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(path)});
db.exec('begin'); db.prepare('select count(*) from tenants').get(); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ok, fail) => {
    child.stdout?.once('data', () => ok());
    child.once('exit', (code) => fail(new Error(`reader exited with ${code}`)));
  });
  return child;
}

describe('kill -9 with a large SQLite WAL (F9)', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('recovers from the WAL on restart with every acknowledged write', async () => {
    const { location, drop } = await freshLocation('sqlite');
    if (location.kind !== 'sqlite') throw new Error('sqlite only');
    const env = rosterEnv(location, await freePort());
    let roster: RosterProcess = await startRoster(env);
    children.push(roster.child);
    const tenant = await provisionTenant(roster.origin);
    const target = { origin: roster.origin, base: tenant.base, token: tenant.token };
    const reader = await holdReader(location.path);
    children.push(reader);

    const load = new WriteLoad(target, { writers: 8, prefix: 'f9-', stopOnTransportError: true });
    load.start();
    await new Promise((r) => setTimeout(r, WRITE_MS));
    roster.child.kill('SIGKILL');
    reader.kill('SIGKILL');
    await load.stop();
    await roster.exited();
    const walBytes = statSync(`${location.path}-wal`).size;
    const mainBytes = statSync(location.path).size;
    expect(load.acknowledged.size).toBeGreaterThan(50);
    // Everything since the reader's snapshot is in the WAL only: it is larger than the database file itself.
    expect(walBytes).toBeGreaterThan(1024 * 1024);
    expect(walBytes).toBeGreaterThan(mainBytes);

    roster = await startRoster(env);
    children.push(roster.child);
    const { committedUnacknowledged } = await checkLedger(target, load);
    roster.child.kill('SIGTERM');
    expect(await roster.exited()).toBe(0);
    const db = new Database(location.path);
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const users = (db.prepare('select count(*) as n from scim_users').get() as { n: number }).n;
    expect(users).toBe(load.acknowledged.size + committedUnacknowledged);
    db.close();
    process.stdout.write(
      `F9: -wal ${(walBytes / 1048576).toFixed(1)} MiB beside a ${(mainBytes / 1048576).toFixed(1)} MiB database; ` +
        `${load.acknowledged.size} acknowledged kept, ${committedUnacknowledged} in flight committed\n`,
    );
    await drop();
  }, 60_000);
});
