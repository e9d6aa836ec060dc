// `npx tsx bench/retention-stall.ts [--rows 1000000] [--old-share 0.5]`: what the provisioning log's retention purge
// costs the requests beside it, on SQLite, where every statement runs on the event loop (ADR 0064). The log is
// filled with `rows` entries spread over 31 days, `old-share` of them older than the 30-day retention, then purged
// twice from the same filling: by the one DELETE Roster used before (`delete from scim_log where at < ?`, a walk of
// the table with no index on `at`), and by `purgeScimLog` (paced batches through the primary key). For each it
// prints the longest the event loop was held (what a request arriving then waited), the wall time, and the share of
// that time the loop was held. Then the steady state: one hour's worth due of a 30-day log, as each hourly purge sees.
import { closeSync, copyFileSync, fsyncSync, openSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { purgeScimLog } from '../src/core/scim/log.ts';
import { createTenant } from '../src/core/tenants/tenants.ts';
import { fixedClock } from '../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { openStore } from '../src/store/open-store.ts';
import { benchLocation } from './bench-store.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'old-share': { type: 'string', default: '0.5' },
  },
});
const ROWS = Number(args.rows);
const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const DAY = 86_400_000;
const RETENTION_DAYS = 30;

/** Flushes a file to disk: writing back the pages of a freshly filled or copied file is not the purge's cost. */
function flushToDisk(path: string): void {
  const fd = openSync(path, 'r+');
  fsyncSync(fd);
  closeSync(fd);
}

function copyDurably(from: string, to: string): void {
  copyFileSync(from, to);
  flushToDisk(to);
}

/** Fills a copy of the empty store's file with `rows` entries, `old` of them before the cut-off. */
function fill(path: string, tenantId: string, rows: number, old: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(`insert into scim_log (id, tenant_id, at, token_id, method, path, operation,
    resource_type, resource_id, status, scim_type, duration_ms, summary)
    values (?, ?, ?, null, 'PATCH', ?, 'patch', 'User', ?, 200, null, 3, '{"changedAttributes":["displayName"]}')`);
  const cutoff = NOW - RETENTION_DAYS * DAY;
  db.transaction(() => {
    for (let i = 0; i < rows; i++) {
      // The old ones spread over the day before the cut-off, the rest over the 30 days after it.
      const at = i < old ? cutoff - DAY + (i / old) * DAY : cutoff + ((i - old) / (rows - old)) * RETENTION_DAYS * DAY;
      const resource = uuidv7({ msecs: at - 1000 });
      insert.run(uuidv7({ msecs: at }), tenantId, new Date(at).toISOString(), `/Users/${resource}`, resource);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  flushToDisk(path);
}

/** The longest gaps between ticks of a 1 ms interval: how long a request arriving at the worst moment waited. */
function loopHolds() {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      gaps.sort((x, y) => x - y);
      return { longest: gaps.at(-1) ?? 0, p99: gaps[Math.floor(gaps.length * 0.99)] ?? 0 };
    },
  };
}

async function measure(name: string, purge: () => Promise<number>) {
  const holds = loopHolds();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const removed = await purge();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  // The last hold is seen when the interval's next tick finally runs: let it.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const held = holds.stop();
  const result = {
    name,
    removed,
    wallMs: Math.round(wallMs),
    longestHoldMs: Math.round(held.longest),
    p99HoldMs: Math.round(held.p99),
    cpuShareOfWall: Number(((used.user + used.system) / 1000 / wallMs).toFixed(2)),
  };
  console.log(
    `  ${name}: removed ${removed} in ${result.wallMs} ms; the loop was held up to ${result.longestHoldMs} ms at once ` +
      `(p99 of 1 ms ticks: ${result.p99HoldMs} ms); CPU ${Math.round(result.cpuShareOfWall * 100)} % of the wall time`,
  );
  return result;
}

async function scenario(label: string, rows: number, old: number) {
  console.log(`${label}: ${rows} entries, ${old} older than ${RETENTION_DAYS} days`);
  const { location, dispose } = await benchLocation('sqlite', 'roster-retention-');
  try {
    if (location.kind !== 'sqlite') throw new Error('SQLite only');
    const store = await openStore(location);
    const deps = { store, keyring: parseKeyring(generateKeyText()), clock: fixedClock(new Date(NOW)) };
    const tenantId = (await createTenant(deps, 'bench', { name: 'Retention' })).tenant.id;
    await store.close();
    fill(location.path, tenantId, rows, old);
    const filled = `${location.path}.filled`;
    copyDurably(location.path, filled);
    if (process.env.KEEP_FILLED) copyFileSync(location.path, process.env.KEEP_FILLED);
    const cutoff = new Date(NOW - RETENTION_DAYS * DAY).toISOString();

    // A running Roster's writer has written before: the first write of a fresh connection (its WAL made, its pages
    // read) is not the purge's cost, so each side starts after one.
    const warm = (store: Awaited<ReturnType<typeof openStore>>) =>
      store.db.executeQuery(
        CompiledQuery.raw('update scim_log set status = status where id = (select max(id) from scim_log)'),
      );
    const before = await openStore(location);
    await warm(before);
    const oneDelete = await measure('one DELETE (before)', async () => {
      const r = await before.db.executeQuery(CompiledQuery.raw('delete from scim_log where at < ?', [cutoff]));
      return Number(r.numAffectedRows ?? 0);
    });
    await before.close();

    for (const suffix of ['-wal', '-shm']) rmSync(`${location.path}${suffix}`, { force: true });
    copyDurably(filled, location.path);
    const after = await openStore(location);
    await warm(after);
    const paced = await measure('paced batches (ADR 0064)', () =>
      purgeScimLog({ scim: after.scim, clock: fixedClock(new Date(NOW)) }, RETENTION_DAYS),
    );
    await after.close();
    return { rows, old, oneDelete, paced };
  } finally {
    await dispose();
  }
}

const backlog = await scenario('a backlog', ROWS, Math.round(ROWS * Number(args['old-share'])));
const hourly = await scenario('an hourly purge of a 30-day log', ROWS, Math.round(ROWS / (RETENTION_DAYS * 24)));
console.log(JSON.stringify({ backlog, hourly }, null, 2));
