// One Roster in this process, one person signed in through the stand-in Entra, then the token endpoint's refresh
// grant alone, N times over Fastify's inject: CPU µs per grant and the statements each grant sends, on one store.
// Run under `node --cpu-prof` to see where a grant's time goes (issue 14 item 6, ADR 0058).
//   npx tsx bench/refresh-profile.ts --store sqlite|postgres [--grants 3000] [--rounds 3]
import { parseArgs } from 'node:util';
import { recordQueries } from '../test/support/query-log.ts';
import { benchLocation } from './bench-store.ts';
import { cpuPerGrant, startRefreshRig } from './refresh-rig.ts';
import { rs256SignMicros } from './signin.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    grants: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    // Also measure the store's calls alone, one kind at a time.
    parts: { type: 'boolean', default: false },
  },
});
const log = (s: string) => process.stderr.write(`${s}\n`);

const { location, dispose } = await benchLocation(args.store, 'roster-refresh-');
const rig = await startRefreshRig(location);
const { store, grant } = rig;
const tenant = { tenantId: rig.tenantId };
const client = { clientId: rig.clientId };
const tokens = { refresh_token: rig.refreshToken };
try {
  for (let i = 0; i < 200; i++) await grant();
  const grants = Number(args.grants);
  for (let round = 0; round < Number(args.rounds); round++) {
    const sign = await rs256SignMicros(1);
    // Eight in flight, as a loaded endpoint sees them (group commits carry several).
    const micros = await cpuPerGrant(grant, grants);
    log(
      `round ${round + 1}: ${micros.toFixed(0)} µs CPU per grant (with inject), ${(micros / sign).toFixed(2)}× a signature of ${sign.toFixed(0)} µs`,
    );
  }
  // The store's share, call by call, as the grant makes them (eight in flight, so writes share group commits).
  const cpuOf = async (name: string, n: number, call: (i: number) => Promise<unknown>) => {
    const cpu0 = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < n) await call(next++);
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    log(`  ${name}: ${((cpu.user + cpu.system) / n).toFixed(0)} µs CPU per call`);
  };
  const signin = store.signin;
  const rt = await signin.payloads.find(tenant.tenantId, 'RefreshToken', tokens.refresh_token!);
  const at = await signin.payloads.find(tenant.tenantId, 'Grant', String(rt?.grantId));
  const parts = async () => {
    await cpuOf('signing-key versions', grants, () => signin.signingKeys.listVersions(tenant.tenantId));
    await cpuOf('app', grants, () => signin.clients.get(tenant.tenantId, client.clientId));
    await cpuOf('token+grant+subject', grants, () =>
      signin.payloads.findWithGrant(tenant.tenantId, 'RefreshToken', tokens.refresh_token!),
    );
    await cpuOf('access-token insert (group commit)', grants, (i) =>
      signin.payloads.upsert(tenant.tenantId, 'AccessToken', `bench-at-${i}-${Math.random()}`, at ?? {}, 60),
    );
  };
  if (args.parts) {
    log('store calls alone:');
    await parts();
    await parts();
  }
  // Last: the driver hooks stay installed once in, and would weigh on the rounds.
  const queries = recordQueries();
  await grant();
  log(`statements per grant (${args.store}):`);
  for (const q of queries.all()) log(`  ${q.sql.replace(/\s+/g, ' ').slice(0, 150)}`);
} finally {
  await rig.close();
  dispose();
}
