// `npx tsx bench/user-email-cost.ts [--store sqlite|postgres] [--rounds 6] [--batch 500]`: what the email index
// (ADR 0023) adds to a user write at the store port, A/B in one process so the shared machine's load hits both
// sides alike: batches of inserts (and of updates) in one transaction each, alternating the SCIM store's user
// writes (with the index) and the bare resource table (without), reporting CPU µs and wall µs per write.
import { parseArgs } from 'node:util';
import type { StoredUser } from '../src/core/scim/records.ts';
import { newId } from '../src/lib/ids.ts';
import { URN } from '../src/scim/schema/urns.ts';
import { fixedQueries } from '../src/store/fixed-queries.ts';
import { openStore } from '../src/store/open-store.ts';
import { isPostgresUniqueViolation } from '../src/store/postgres.ts';
import { resourceTable } from '../src/store/scim/resources.ts';
import { toUser, userRow } from '../src/store/scim/rows.ts';
import { createScimRepositories } from '../src/store/scim/scim-repositories.ts';
import { isSqliteUniqueViolation } from '../src/store/sqlite.ts';
import { median } from './ab-builds.ts';
import { benchLocation } from './bench-store.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    rounds: { type: 'string', default: '6' },
    batch: { type: 'string', default: '500' },
  },
});
const rounds = Number(args.rounds);
const batch = Number(args.batch);
const { location, dispose } = await benchLocation(args.store, 'roster-email-cost-');
const store = await openStore(location);
const d = {
  dialect: location.kind,
  isUniqueViolation: location.kind === 'sqlite' ? isSqliteUniqueViolation : isPostgresUniqueViolation,
} as const;
const tenantId = newId();
await store.tenants.insert({ id: tenantId, name: 'Bench', createdAt: new Date().toISOString() });

const now = new Date().toISOString();
let n = 0;
const newUser = (): StoredUser => {
  const i = n++;
  const userName = `user${i}@bench.example`;
  return {
    tenantId,
    id: newId(),
    data: {
      schemas: [URN.user],
      userName,
      externalId: `ext-${i}`,
      displayName: `User ${i}`,
      emails: [{ value: userName, type: 'work', primary: true }],
      active: true,
    },
    version: 1,
    createdAt: now,
    lastModified: now,
    createdByToken: null,
    provider: null,
    passwordHash: null,
  };
};

type Writer = {
  insert(u: StoredUser): Promise<void>;
  update(next: StoredUser, previous: StoredUser): Promise<boolean>;
};
// The two sides share everything but the index: the same transaction, the same fixed user statements.
const sides: Record<'with index' | 'without', (trx: typeof store.db) => Writer> = {
  'with index': (trx) => createScimRepositories(trx, d).users,
  without: (trx) => {
    const t = resourceTable(trx, fixedQueries(trx, d.dialect, undefined), d, {
      table: 'scim_users',
      type: 'User',
      toRow: userRow,
      fromRow: toUser,
      conflict: 'taken',
    });
    return { insert: t.insert, update: (next, previous) => t.update(next, previous.version) };
  },
};

const measure = async (work: () => Promise<void>) => {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / batch, wall: ((performance.now() - t0) * 1000) / batch };
};

const results = new Map<string, { cpu: number[]; wall: number[] }>();
const record = (label: string, r: { cpu: number; wall: number }) => {
  const entry = results.get(label) ?? { cpu: [], wall: [] };
  entry.cpu.push(r.cpu);
  entry.wall.push(r.wall);
  results.set(label, entry);
};
// Updates: a displayName change (emails unchanged) and a change of the email's value.
const renamed = (u: StoredUser, k: number): StoredUser => ({
  ...u,
  data: { ...u.data, displayName: `Renamed ${k}` },
  version: u.version + 1,
});
const reEmailed = (u: StoredUser, k: number): StoredUser => ({
  ...u,
  data: { ...u.data, emails: [{ value: `moved${k}.${u.data.userName}`, type: 'work', primary: true }] },
  version: u.version + 1,
});

for (let round = 0; round <= rounds; round++) {
  const order = round % 2 === 0 ? (['with index', 'without'] as const) : (['without', 'with index'] as const);
  for (const side of order) {
    const users = Array.from({ length: batch }, newUser);
    const insert = await measure(() =>
      store.db.transaction().execute(async (trx) => {
        const w = sides[side](trx);
        for (const u of users) await w.insert(u);
      }),
    );
    let current = users;
    const updates: [string, (u: StoredUser, k: number) => StoredUser][] = [
      ['update, emails unchanged', renamed],
      ['update, email changed', reEmailed],
    ];
    const timed: [string, { cpu: number; wall: number }][] = [[`insert`, insert]];
    for (const [label, change] of updates) {
      const next = current.map((u) => change(u, round));
      const r = await measure(() =>
        store.db.transaction().execute(async (trx) => {
          const w = sides[side](trx);
          for (let k = 0; k < next.length; k++) await w.update(next[k]!, current[k]!);
        }),
      );
      timed.push([label, r]);
      current = next;
    }
    // Round 0 warms statement caches and the JIT on both sides; it is not reported.
    if (round > 0) for (const [label, r] of timed) record(`${label} — ${side}`, r);
  }
}

console.log(`${location.kind}: ${rounds} interleaved rounds of ${batch} writes per transaction (median per write)`);
for (const [label, r] of results)
  console.log(
    `  ${label.padEnd(42)} CPU ${median(r.cpu).toFixed(1).padStart(7)} µs   wall ${median(r.wall).toFixed(1).padStart(7)} µs   (CPU per round: ${r.cpu.map((x) => x.toFixed(0)).join(', ')})`,
  );
await store.close();
dispose();
