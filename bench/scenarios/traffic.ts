// Open-loop traffic (scheduled Poisson arrivals per tenant), and seeding tenants closed-loop before a run.
import type { Client, Target } from './client.ts';
import { Ledger, provisionTenant } from './ledger.ts';
import { createGroup, createUser, mixedOperation, type OpContext, REQUESTS_PER_ARRIVAL } from './operations.ts';
import { rng, Stats } from './stats.ts';

export interface Traffic {
  readonly ledger: Ledger;
  readonly stats: Stats;
  /** Requests per second offered (arrivals are Poisson, scheduled regardless of how fast answers come). */
  readonly rate: number;
}

/**
 * Offers each tenant its rate for `seconds`, open loop: arrivals follow a schedule fixed in advance, and an
 * arrival is sent when due even if earlier requests are still outstanding. Latency counts from the scheduled
 * instant, so a server falling behind shows in the percentiles (no coordinated omission). Then waits for every
 * outstanding request.
 */
export async function openLoop(
  client: Client,
  traffic: readonly Traffic[],
  seconds: number,
  options: { seed?: number; runId: string },
): Promise<{ seconds: number; maxInFlight: number }> {
  const random = rng(options.seed ?? 1);
  const start = performance.now();
  const end = start + seconds * 1000;
  const next = traffic.map(() => start);
  const inFlight = new Set<Promise<void>>();
  let maxInFlight = 0;
  while (true) {
    const now = performance.now();
    if (now >= end) break;
    for (let i = 0; i < traffic.length; i++) {
      const t = traffic[i]!;
      const arrivalsPerSecond = t.rate / REQUESTS_PER_ARRIVAL;
      while (next[i]! <= now && next[i]! < end) {
        const since = next[i]!;
        const p = mixedOperation({
          client,
          ledger: t.ledger,
          stats: t.stats,
          random,
          since,
          runId: options.runId,
        }).finally(() => inFlight.delete(p));
        inFlight.add(p);
        next[i] = since + (exp(random) / arrivalsPerSecond) * 1000;
      }
    }
    maxInFlight = Math.max(maxInFlight, inFlight.size);
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inFlight);
  return { seconds: (performance.now() - start) / 1000, maxInFlight };
}

function exp(random: () => number): number {
  return -Math.log(1 - random());
}

/** Seeds a tenant with users and groups (closed loop, not measured), all recorded in the ledger. */
export async function seedTenant(
  client: Client,
  ledger: Ledger,
  options: { users: number; groups: number; runId: string },
): Promise<void> {
  const stats = new Stats();
  const c = (since: number): OpContext => ({ client, ledger, stats, random: Math.random, since, runId: options.runId });
  for (let g = 0; g < options.groups; g++) await createGroup(c(performance.now()));
  let started = 0;
  const worker = async () => {
    while (started < options.users) {
      started++;
      const throttled = stats.throttled;
      await createUser(c(performance.now()));
      if (stats.throttled > throttled) {
        // Seeding respects the tenant's limit: wait as told (Retry-After is at least 1 s), then try again.
        started--;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  if (stats.serverErrors + stats.transportErrors + stats.unexpected > 0) {
    throw new Error(`seeding ${ledger.tenant.name} failed: ${[...stats.statuses.entries()].join(' ')}`);
  }
}

export interface Prepared {
  readonly ledgers: Ledger[];
  readonly runId: string;
}

export async function prepareTenants(
  client: Client,
  target: Target,
  count: number,
  seedUsers: number,
  label: string,
): Promise<Prepared> {
  const runId = Math.random().toString(36).slice(2, 8);
  const ledgers: Ledger[] = [];
  for (let i = 0; i < count; i++) ledgers.push(new Ledger(await provisionTenant(client, target, `${label}${i}`)));
  await Promise.all(ledgers.map((l) => seedTenant(client, l, { users: seedUsers, groups: 3, runId })));
  return { ledgers, runId };
}
