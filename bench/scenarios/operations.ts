// The Entra-shaped operation mix (lookup-then-create, PATCH, GET, lookup, DELETE, groups and member PATCHes), each
// recorded in the stats and, when acknowledged, in the tenant's ledger.
import { CORE_GROUP, entraUser, PATCH_OP } from '../../test/support/scim-payloads.ts';
import type { Client } from './client.ts';
import type { Ledger, UserEntry } from './ledger.ts';
import type { Stats } from './stats.ts';

export const ok2xx = (s: number) => s >= 200 && s < 300;
const uncertainStatus = (s: number) => s === 0 || s >= 500;

export interface OpContext {
  readonly client: Client;
  readonly ledger: Ledger;
  readonly stats: Stats;
  readonly random: () => number;
  /** When the arrival was scheduled (latency of the first request counts from here). */
  readonly since: number;
  readonly runId: string;
}

function pick<T>(items: Iterable<T>, random: () => number, ok: (t: T) => boolean, tries = 8): T | undefined {
  const all = Array.isArray(items) ? (items as T[]) : [...items];
  if (all.length === 0) return undefined;
  for (let i = 0; i < tries; i++) {
    const candidate = all[Math.floor(random() * all.length)]!;
    if (ok(candidate)) return candidate;
  }
  return undefined;
}

/** Entra's create: look the user up by userName, create it when absent. */
export async function createUser(c: OpContext, since = c.since): Promise<void> {
  const { ledger, client, stats } = c;
  const n = ledger.nextSeq();
  const userName = `u${n}.${c.runId}@${ledger.tenant.name.toLowerCase().replace(/[^a-z0-9]/g, '')}.example.com`;
  const token = ledger.tenant.scimToken;
  const lookup = await client.request(
    'GET',
    `${ledger.tenant.base}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`,
    { token, since },
  );
  stats.record('lookup-before-create', lookup, (s) => s === 200);
  if (lookup.status !== 200) return;
  if ((lookup.body as { totalResults?: number }).totalResults !== 0) stats.staleReads += 1;
  const displayName = `User ${n}`;
  const created = await client.request('POST', `${ledger.tenant.base}/Users`, {
    token,
    body: entraUser(userName, `x-${n}`, { displayName, title: 'Engineer' }),
  });
  stats.record('create-user', created, (s) => s === 201);
  if (created.status === 201) {
    const id = (created.body as { id: string }).id;
    ledger.users.set(id, {
      id,
      userName,
      externalId: `x-${n}`,
      displayName,
      active: true,
      title: 'Engineer',
      busy: false,
    });
    ledger.acknowledged += 1;
  } else if (uncertainStatus(created.status)) ledger.uncertainUserNames.add(userName);
}

async function patchUser(c: OpContext): Promise<boolean> {
  const { ledger, client, stats, random } = c;
  const user = pick(ledger.users.values(), random, (u) => !u.busy && !ledger.uncertain.has(u.id));
  if (!user) return false;
  user.busy = true;
  const n = ledger.nextSeq();
  const displayName = `Renamed ${n}`;
  const active = random() < 0.9 ? user.active : !user.active;
  const title = random() < 0.5 ? user.title : `Title ${n}`;
  // Entra's shape: capitalised ops, string booleans.
  const reply = await client.request('PATCH', `${ledger.tenant.base}/Users/${user.id}`, {
    token: ledger.tenant.scimToken,
    since: c.since,
    body: {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'displayName', value: displayName },
        { op: 'Replace', path: 'active', value: active ? 'True' : 'False' },
        { op: 'Replace', path: 'title', value: title },
      ],
    },
  });
  stats.record('patch-user', reply, (s) => s === 200 || s === 204);
  if (ok2xx(reply.status)) {
    Object.assign(user, { displayName, active, title });
    ledger.acknowledged += 1;
  } else if (uncertainStatus(reply.status)) ledger.uncertain.add(user.id);
  user.busy = false;
  return true;
}

async function getUser(c: OpContext): Promise<boolean> {
  const { ledger, client, stats, random } = c;
  const user = pick(ledger.users.values(), random, (u) => !u.busy && !ledger.uncertain.has(u.id));
  if (!user) return false;
  user.busy = true;
  const reply = await client.request('GET', `${ledger.tenant.base}/Users/${user.id}`, {
    token: ledger.tenant.scimToken,
    since: c.since,
  });
  stats.record('get-user', reply, (s) => s === 200);
  if (reply.status === 200) {
    const body = reply.body as { displayName?: string; active?: boolean };
    if (body.displayName !== user.displayName || body.active !== user.active) stats.staleReads += 1;
  }
  user.busy = false;
  return true;
}

async function lookupUser(c: OpContext): Promise<boolean> {
  const { ledger, client, stats, random } = c;
  const user = pick(ledger.users.values(), random, (u) => !u.busy && !ledger.uncertain.has(u.id));
  if (!user) return false;
  user.busy = true;
  const reply = await client.request(
    'GET',
    `${ledger.tenant.base}/Users?filter=${encodeURIComponent(`externalId eq "${user.externalId}"`)}&attributes=userName`,
    { token: ledger.tenant.scimToken, since: c.since },
  );
  stats.record('lookup-user', reply, (s) => s === 200);
  if (reply.status === 200) {
    const body = reply.body as { totalResults?: number; Resources?: { id: string }[] };
    if (body.totalResults !== 1 || body.Resources?.[0]?.id !== user.id) stats.staleReads += 1;
  }
  user.busy = false;
  return true;
}

async function deleteUser(c: OpContext): Promise<boolean> {
  const { ledger, client, stats, random } = c;
  const user = pick(ledger.users.values(), random, (u) => !u.busy && !ledger.uncertain.has(u.id));
  if (!user) return false;
  // Keep a floor of users for the other operations.
  if (ledger.users.size < 50) return false;
  user.busy = true;
  const reply = await client.request('DELETE', `${ledger.tenant.base}/Users/${user.id}`, {
    token: ledger.tenant.scimToken,
    since: c.since,
  });
  stats.record('delete-user', reply, (s) => s === 204);
  if (ok2xx(reply.status)) {
    ledger.users.delete(user.id);
    ledger.deleted.add(user.id);
    for (const group of ledger.groups.values()) group.members.delete(user.id);
    ledger.acknowledged += 1;
  } else if (uncertainStatus(reply.status)) ledger.uncertain.add(user.id);
  user.busy = false;
  return true;
}

export async function createGroup(c: OpContext): Promise<boolean> {
  const { ledger, client, stats } = c;
  const displayName = `Group ${ledger.nextSeq()} ${c.runId}`;
  const reply = await client.request('POST', `${ledger.tenant.base}/Groups`, {
    token: ledger.tenant.scimToken,
    since: c.since,
    body: { schemas: [CORE_GROUP], displayName, externalId: displayName },
  });
  stats.record('create-group', reply, (s) => s === 201);
  if (reply.status === 201) {
    const id = (reply.body as { id: string }).id;
    ledger.groups.set(id, { id, displayName, members: new Set(), busy: false });
    ledger.acknowledged += 1;
  } else if (uncertainStatus(reply.status)) ledger.uncertainGroupNames.add(displayName);
  return true;
}

/** Entra's membership sync: PATCH Add members in batches of up to 100, now and then a Remove. */
async function patchMembers(c: OpContext): Promise<boolean> {
  const { ledger, client, stats, random } = c;
  const group = pick(ledger.groups.values(), random, (g) => !g.busy && !ledger.uncertain.has(g.id));
  if (!group) return false;
  const remove = group.members.size > 0 && random() < 0.3;
  const chosen: UserEntry[] = [];
  if (remove) {
    for (const id of group.members) {
      const user = ledger.users.get(id);
      if (user && !user.busy && !ledger.uncertain.has(id)) chosen.push(user);
      if (chosen.length >= 10) break;
    }
  } else {
    for (const user of ledger.users.values()) {
      if (!user.busy && !group.members.has(user.id) && !ledger.uncertain.has(user.id)) chosen.push(user);
      if (chosen.length >= 100) break;
    }
  }
  if (chosen.length === 0) return false;
  group.busy = true;
  for (const u of chosen) u.busy = true;
  const reply = await client.request('PATCH', `${ledger.tenant.base}/Groups/${group.id}`, {
    token: ledger.tenant.scimToken,
    since: c.since,
    body: {
      schemas: [PATCH_OP],
      Operations: [
        remove
          ? { op: 'Remove', path: 'members', value: chosen.map((u) => ({ value: u.id })) }
          : { op: 'Add', path: 'members', value: chosen.map((u) => ({ value: u.id })) },
      ],
    },
  });
  // A group PATCH without a query string answers 204 (docs/adr/0022-group-patch-204.md).
  stats.record(remove ? 'remove-members' : 'add-members', reply, (s) => s === 204);
  if (ok2xx(reply.status)) {
    for (const u of chosen) {
      if (remove) group.members.delete(u.id);
      else group.members.add(u.id);
    }
    ledger.acknowledged += 1;
  } else if (uncertainStatus(reply.status)) ledger.uncertain.add(group.id);
  group.busy = false;
  for (const u of chosen) u.busy = false;
  return true;
}

/** Weights of the mix (a create is a lookup plus a POST: two requests). */
const MIX: readonly [number, (c: OpContext) => Promise<unknown>][] = [
  [0.2, (c) => createUser(c)],
  [0.25, patchUser],
  [0.15, getUser],
  [0.2, lookupUser],
  [0.12, patchMembers],
  [0.05, deleteUser],
  [0.03, createGroup],
];
/** Requests per arrival on average, so the request rate can be set rather than the arrival rate. */
export const REQUESTS_PER_ARRIVAL = 1 + (MIX[0]?.[0] ?? 0);

export async function mixedOperation(c: OpContext): Promise<void> {
  let roll = c.random();
  for (const [weight, op] of MIX) {
    if (roll < weight) {
      if ((await op(c)) === false) await lookupUser(c); // nothing eligible (all busy): a read instead
      return;
    }
    roll -= weight;
  }
  await lookupUser(c);
}
