// A/B of the refresh grant's CPU in one process (issue 14 item 6, ADR 0058): Roster built from two source trees
// (`--base DIR`, e.g. an export of an earlier commit, and this one), each on its own store, driven in interleaved
// rounds so both see the same machine, with jose's RS256 signing cost measured between rounds.
//   npx tsx bench/refresh-ab.ts --base /tmp/roster-base --store sqlite|postgres [--rounds 6] [--grants 1000]
// The base tree needs this file's companion bench/refresh-rig.ts copied in (it imports its own src/).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { StoreLocation } from '../src/store/open-store.ts';
import { createDatabase, startPostgres } from '../test/support/postgres-server.ts';
import type { cpuPerGrant as CpuPerGrant, startRefreshRig as StartRig } from './refresh-rig.ts';
import { rs256SignMicros } from './signin.ts';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    store: { type: 'string', default: 'sqlite' },
    rounds: { type: 'string', default: '6' },
    grants: { type: 'string', default: '1000' },
  },
});
if (!args.base) throw new Error('--base DIR is required');
const log = (s: string) => process.stderr.write(`${s}\n`);
const dir = mkdtempSync(join(tmpdir(), 'roster-refresh-ab-'));
const server = args.store === 'postgres' ? await startPostgres() : undefined;

async function location(name: string): Promise<StoreLocation> {
  if (!server) return { kind: 'sqlite', path: join(dir, `${name}.db`) };
  return { kind: 'postgres', url: await createDatabase(server.url, name) };
}

type Rig = Awaited<ReturnType<typeof StartRig>>;
const builds: { name: string; rig: Rig; cpu: typeof CpuPerGrant; micros: number[]; ratios: number[] }[] = [];
try {
  for (const [name, root] of [
    ['base', resolve(args.base)],
    ['new', resolve(import.meta.dirname, '..')],
  ] as const) {
    const mod = (await import(join(root, 'bench/refresh-rig.ts'))) as {
      startRefreshRig: typeof StartRig;
      cpuPerGrant: typeof CpuPerGrant;
    };
    const rig = await mod.startRefreshRig(await location(`ab_${name}`));
    builds.push({ name, rig, cpu: mod.cpuPerGrant, micros: [], ratios: [] });
  }
  const grants = Number(args.grants);
  for (const b of builds) await b.cpu(b.rig.grant, 300); // warm-up
  for (let round = 1; round <= Number(args.rounds); round++) {
    // Alternate which build goes first, so neither always follows the signing measurement.
    const order = round % 2 ? builds : [...builds].reverse();
    for (const b of order) {
      const sign = await rs256SignMicros(0.5);
      const micros = await b.cpu(b.rig.grant, grants);
      b.micros.push(micros);
      b.ratios.push(micros / sign);
      log(
        `round ${round} ${b.name}: ${micros.toFixed(0)} µs CPU per grant, ${(micros / sign).toFixed(2)}× a signature of ${sign.toFixed(0)} µs`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const b of builds)
    log(
      `${args.store} ${b.name}: median ${median(b.micros).toFixed(0)} µs per grant, ${median(b.ratios).toFixed(2)}× (rounds: ${b.micros.map((m) => m.toFixed(0)).join(', ')})`,
    );
} finally {
  for (const b of builds) await b.rig.close();
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
