// `npx tsx bench/settings-reads.ts [--store postgres]`: what the uncached per-request settings reads cost Roster
// (ADR 0046): the domain-policy read every SCIM user write makes, and the sign-in page's branding and tenant reads
// (operator branding, tenant branding, tenant name: three reads, run concurrently). CPU µs and wall µs per call of
// this process, in process, through the store's own repositories; PostgreSQL's own CPU is not in it.
import { parseArgs } from 'node:util';
import { readDomainPolicy } from '../src/core/domains/policy.ts';
import { createTenant } from '../src/core/tenants/tenants.ts';
import { signInContext } from '../src/http/signin/branding.ts';
import { systemClock } from '../src/lib/clock.ts';
import { generateKeyText, parseKeyring } from '../src/lib/keyring.ts';
import { openStore } from '../src/store/open-store.ts';
import { benchLocation } from './bench-store.ts';

const { values: args } = parseArgs({
  options: { store: { type: 'string', default: 'sqlite' }, ops: { type: 'string', default: '3000' } },
});

async function measure(ops: number, call: () => Promise<unknown>) {
  for (let i = 0; i < Math.min(500, ops); i++) await call(); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) await call();
  const cpu = process.cpuUsage(cpu0);
  return { cpuMicros: (cpu.user + cpu.system) / ops, wallMicros: ((performance.now() - t0) * 1000) / ops };
}

async function main(): Promise<void> {
  const ops = Number(args.ops);
  const { location, dispose } = await benchLocation(args.store, 'roster-settings-');
  try {
    const store = await openStore(location);
    const deps = { store, keyring: parseKeyring(generateKeyText()), clock: systemClock };
    const { tenant } = await createTenant(deps, 'bench', { name: 'Bench' });
    const result = {
      domainPolicy: await measure(ops, () => readDomainPolicy(store, tenant.id)),
      signInBranding: await measure(ops, () => signInContext(store, tenant.id)),
    };
    await store.close();
    process.stdout.write(`${JSON.stringify({ store: args.store, ops, perCall: result })}\n`);
  } finally {
    dispose();
  }
}

await main();
