// `npx tsx bench/directory-rate.ts [--users 100000] [--store sqlite|postgres]`: how fast a vendor's backend lists a
// tenant through the directory API, and what a filtered first page costs at that size. Seeds the users (every 100th
// inactive, the first 1,000 in one group) through the SCIM store port, then pages GET /iam/v1/directory/users over
// loopback HTTP with the operator token and reports users/s and per-page latencies, and the SCIM email lookups IdPs
// send (`emails.value eq`, Entra's `emails[type eq "work"].value eq`) with a SCIM token.
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.ts';
import { systemClock } from '../src/lib/clock.ts';
import { newId } from '../src/lib/ids.ts';
import { parseKeyring } from '../src/lib/keyring.ts';
import { URN } from '../src/scim/schema/urns.ts';
import { BENCH_OPERATOR_TOKEN, openBenchStore } from './bench-store.ts';
import { seedTenant } from './seed.ts';

const { values: args } = parseArgs({
  options: { users: { type: 'string', default: '100000' }, store: { type: 'string', default: 'sqlite' } },
});
const total = Number(args.users);
const OPERATOR = BENCH_OPERATOR_TOKEN;

const bench = await openBenchStore(args.store, 'roster-directory-');
const { location, store, config, secretKey } = bench;
const keyring = parseKeyring(secretKey);
const app = await createApp({ config, store, keyring, clock: systemClock, logger: false });
const origin = await app.listen({ host: '127.0.0.1', port: 0 });
const get = async (path: string) => {
  const res = await fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ data: { id: string }[]; nextCursor: string | null }>;
};
const adminDeps = { store, keyring, clock: systemClock };
const seeded = await seedTenant(adminDeps);
const tenantId = seeded.tenant.id;
const scimToken = seeded.token.value;

let t0 = performance.now();
const now = new Date().toISOString();
const groupId = newId();
await store.scim.transaction(async (tx) => {
  await tx.groups.insert({
    tenantId,
    id: groupId,
    data: { schemas: [URN.group], displayName: 'Bench group' },
    version: 1,
    createdAt: now,
    lastModified: now,
    createdByToken: null,
    provider: null,
  });
});
for (let i = 0; i < total; i += 500) {
  const ids: string[] = [];
  await store.scim.transaction(async (tx) => {
    for (let k = i; k < Math.min(i + 500, total); k++) {
      const id = newId();
      ids.push(id);
      const userName = `user${k}@bench.example`;
      await tx.users.insert({
        tenantId,
        id,
        data: {
          schemas: [URN.user],
          userName,
          externalId: `ext-${k}`,
          displayName: `User ${k}`,
          name: { givenName: 'User', familyName: String(k) },
          emails: [{ value: userName, type: 'work', primary: true }],
          active: k % 100 !== 99,
        },
        version: 1,
        createdAt: now,
        lastModified: now,
        createdByToken: null,
        provider: null,
        passwordHash: null,
      });
    }
    if (i < 1000)
      await tx.groups.applyMemberChanges(tenantId, groupId, [
        { kind: 'add', members: ids.map((value) => ({ value })) },
      ]);
  });
}
process.stderr.write(`seeded ${total} users in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

for (const limit of [1000, 100]) {
  t0 = performance.now();
  let seen = 0;
  let cursor: string | null = null;
  do {
    const page = await get(
      `/iam/v1/directory/users?tenantId=${tenantId}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    seen += page.data.length;
    cursor = page.nextCursor;
  } while (cursor !== null);
  const s = (performance.now() - t0) / 1000;
  console.log(
    `list users (${location.kind}, limit ${limit}): ${seen} in ${s.toFixed(2)} s = ${Math.round(seen / s)} users/s`,
  );
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (label: string, path: string, token = OPERATOR) => {
  const samples: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    const res = await fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    samples.push(performance.now() - t);
  }
  console.log(`  ${label}: p50 ${median(samples).toFixed(1)} ms`);
};
const q = `/iam/v1/directory/users?tenantId=${tenantId}&limit=100`;
console.log(`first page of 100 (${location.kind}, ${total} users):`);
await time('no filter', q);
await time('active=false', `${q}&active=false`);
await time(`groupId (1,000 members)`, `${q}&groupId=${groupId}`);
await time('userName', `${q}&userName=user${total - 1}%40bench.example`);
await time('externalId', `${q}&externalId=ext-${total - 1}`);
await time('email', `${q}&email=USER${total - 1}%40bench.example`);
await time('groups, members page', `/iam/v1/directory/groups/${groupId}/members?tenantId=${tenantId}&limit=100`);
const scimFilter = (filter: string) => `/iam/v1/scim/Users?filter=${encodeURIComponent(filter)}`;
console.log(`SCIM lookups (${location.kind}, ${total} users):`);
await time('emails.value eq', scimFilter(`emails.value eq "USER${total - 1}@bench.example"`), scimToken);
await time(
  'emails[type eq "work"].value eq',
  scimFilter(`emails[type eq "work"].value eq "user${total - 1}@bench.example"`),
  scimToken,
);

await app.close();
await bench.dispose();
