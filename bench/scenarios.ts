// Load scenarios of the security plan (§4.5 L1–L3), over HTTP against Roster instances on loopback: an open-loop
// (scheduled arrivals) Entra-shaped SCIM mix per tenant, a client ledger of every acknowledged write, and a
// reconciliation pass that compares the ledger with what the server serves afterwards.
import { Pool } from 'undici';

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

// ---------------------------------------------------------------------------------------------------------------
// HTTP client

export interface Target {
  /** One or more Roster processes (on one database); requests go round-robin. Loopback only. */
  readonly origins: readonly string[];
  readonly operatorToken: string;
}

export interface Reply {
  readonly status: number; // 0: transport error (connection refused/reset, timeout)
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  readonly ms: number;
}

const LOOPBACK = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

export class Client {
  private readonly pools: Pool[];
  private next = 0;
  constructor(target: Target, connections = 128) {
    for (const origin of target.origins) {
      if (!LOOPBACK.test(origin)) throw new Error(`load targets must be loopback addresses, not ${origin}`);
    }
    this.pools = target.origins.map(
      (origin) => new Pool(origin, { connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 }),
    );
  }

  /** `since`: the instant latency is counted from (the scheduled arrival, for open-loop traffic). */
  async request(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; since?: number } = {},
  ): Promise<Reply> {
    const since = options.since ?? performance.now();
    const pool = this.pools[this.next++ % this.pools.length]!;
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined)
      headers['content-type'] =
        path.startsWith('/iam/v1/') && !path.startsWith('/iam/v1/scim/')
          ? 'application/json'
          : 'application/scim+json; charset=utf-8';
    try {
      const res = await pool.request({
        method: method as 'GET',
        path,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await res.body.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      return { status: res.statusCode, headers: res.headers, body, ms: performance.now() - since };
    } catch {
      return { status: 0, headers: {}, body: undefined, ms: performance.now() - since };
    }
  }

  close(): Promise<void> {
    return Promise.all(this.pools.map((p) => p.close())).then(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tenants, ledger

export interface TenantHandle {
  readonly name: string;
  readonly tenantId: string;
  readonly scimToken: string;
  readonly base: string;
}

export async function provisionTenant(client: Client, target: Target, name: string): Promise<TenantHandle> {
  const op = { token: target.operatorToken };
  const tenant = await client.request('POST', '/iam/v1/tenants', { ...op, body: { name } });
  if (tenant.status !== 201) throw new Error(`tenant create: ${tenant.status} ${JSON.stringify(tenant.body)}`);
  const { id, adminToken } = tenant.body as { id: string; adminToken: string };
  const provider = await client.request('POST', '/iam/v1/sso/azuread', {
    token: adminToken,
    body: {
      scheme: 'entra',
      displayName: 'Entra ID',
      enabled: true,
      type: 'oidc',
      properties: {
        loginEnabled: true,
        visible: true,
        delegationEnabled: false,
        autoProvisioningEnabled: false,
        clientId: 'load-client',
        clientSecret: 'load-client-secret',
        usePkce: true,
        authority: 'https://login.microsoftonline.com/7f2c5f9e-1111-4a0e-9d8a-0123456789ab/v2.0',
        responseType: 'code',
        scope: 'openid profile email',
      },
    },
  });
  if (provider.status >= 300) throw new Error(`provider create: ${provider.status}`);
  const token = await client.request('POST', '/iam/v1/scim', {
    token: adminToken,
    body: { provider: 'entra', providerDisplayName: 'Entra ID' },
  });
  if (token.status !== 201) throw new Error(`scim token create: ${token.status}`);
  return { name, tenantId: id, scimToken: (token.body as { token: string }).token, base: `/${id}/api/scim/v2` };
}

interface UserEntry {
  readonly id: string;
  readonly userName: string;
  readonly externalId: string;
  displayName: string;
  active: boolean;
  title: string;
  busy: boolean;
}

interface GroupEntry {
  readonly id: string;
  readonly displayName: string;
  readonly members: Set<string>;
  busy: boolean;
}

/** What the client knows the server acknowledged, per tenant. */
export class Ledger {
  readonly users = new Map<string, UserEntry>();
  readonly groups = new Map<string, GroupEntry>();
  readonly deleted = new Set<string>();
  /** Resources whose last write got no definite answer (5xx, transport error): excluded from exact checks. */
  readonly uncertain = new Set<string>();
  readonly uncertainUserNames = new Set<string>();
  readonly uncertainGroupNames = new Set<string>();
  acknowledged = 0;
  private seq = 0;
  constructor(readonly tenant: TenantHandle) {}
  nextSeq(): number {
    return this.seq++;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

export class Stats {
  readonly latencies: number[] = [];
  /** When each request completed (performance.now()), parallel to `latencies`. */
  readonly ends: number[] = [];
  readonly statuses = new Map<number, number>();
  readonly byOp = new Map<string, number[]>();
  requests = 0;
  transportErrors = 0;
  serverErrors = 0;
  throttled = 0;
  /** 429s without an integer Retry-After ≥ 1. */
  badRetryAfter = 0;
  /** Statuses neither 2xx, 429 (throttled), nor the answer the operation expects. */
  unexpected = 0;
  readonly unexpectedSamples: string[] = [];
  /** Reads of a resource with no write in flight that disagreed with the ledger. */
  staleReads = 0;

  record(op: string, reply: Reply, expected: (status: number) => boolean): void {
    this.requests += 1;
    this.latencies.push(reply.ms);
    this.ends.push(performance.now());
    const list = this.byOp.get(op) ?? [];
    this.byOp.set(op, list);
    list.push(reply.ms);
    this.statuses.set(reply.status, (this.statuses.get(reply.status) ?? 0) + 1);
    if (reply.status === 0) this.transportErrors += 1;
    else if (reply.status >= 500) this.serverErrors += 1;
    else if (reply.status === 429) {
      this.throttled += 1;
      const retryAfter = reply.headers['retry-after'];
      if (typeof retryAfter !== 'string' || !/^[1-9][0-9]*$/.test(retryAfter)) this.badRetryAfter += 1;
    } else if (!expected(reply.status)) {
      this.unexpected += 1;
      if (this.unexpectedSamples.length < 5)
        this.unexpectedSamples.push(`${op} ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
    }
  }

  /** Requests answered neither 429 nor with an error: what the tenant got served. */
  get succeeded(): number {
    return this.requests - this.transportErrors - this.serverErrors - this.throttled - this.unexpected;
  }

  merge(other: Stats): Stats {
    const out = new Stats();
    const append = (to: number[], from: readonly number[]) => {
      for (const v of from) to.push(v); // not push(...from): that overflows the stack for long runs
    };
    for (const s of [this, other]) {
      append(out.latencies, s.latencies);
      append(out.ends, s.ends);
      for (const [k, v] of s.statuses) out.statuses.set(k, (out.statuses.get(k) ?? 0) + v);
      for (const [k, v] of s.byOp) {
        const list = out.byOp.get(k) ?? [];
        out.byOp.set(k, list);
        append(list, v);
      }
      out.requests += s.requests;
      out.transportErrors += s.transportErrors;
      out.serverErrors += s.serverErrors;
      out.throttled += s.throttled;
      out.badRetryAfter += s.badRetryAfter;
      out.unexpected += s.unexpected;
      out.staleReads += s.staleReads;
      out.unexpectedSamples.push(...s.unexpectedSamples.slice(0, 5 - out.unexpectedSamples.length));
    }
    return out;
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!;
}

/** Deterministic PRNG (mulberry32), so a run's operation sequence is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The Entra-shaped operation mix

const ok2xx = (s: number) => s >= 200 && s < 300;
const uncertainStatus = (s: number) => s === 0 || s >= 500;

function entraUser(userName: string, externalId: string, displayName: string) {
  return {
    schemas: [CORE_USER, ENTERPRISE_USER],
    externalId,
    userName,
    active: true,
    displayName,
    title: 'Engineer',
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: displayName, familyName: 'Load', givenName: 'User' },
    [ENTERPRISE_USER]: { department: 'Load' },
  };
}

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
    body: entraUser(userName, `x-${n}`, displayName),
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
  stats.record(remove ? 'remove-members' : 'add-members', reply, (s) => s === 200 || s === 204);
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
const MIX: readonly [number, (c: OpContext) => Promise<boolean | undefined | void>][] = [
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

async function mixedOperation(c: OpContext): Promise<void> {
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

// ---------------------------------------------------------------------------------------------------------------
// Open-loop driver

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

// ---------------------------------------------------------------------------------------------------------------
// Reconciliation

export interface Reconciliation {
  readonly users: number;
  readonly groups: number;
  readonly memberships: number;
  /** Acknowledged writes the server does not reflect (missing resources, other values, other members). */
  readonly lostWrites: number;
  /** Resources the server has that the ledger does not know (including deleted ones come back). */
  readonly phantoms: number;
  readonly problems: readonly string[];
}

async function pageAll(
  client: Client,
  tenant: TenantHandle,
  type: 'Users' | 'Groups',
  attributes: string,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let start = 1; ; start += 1000) {
    const reply = await client.request(
      'GET',
      `${tenant.base}/${type}?startIndex=${start}&count=1000&attributes=${attributes}`,
      {
        token: tenant.scimToken,
      },
    );
    if (reply.status === 429) {
      // The flooded tenant's bucket may still be empty: wait as told and read the page again.
      await new Promise((r) => setTimeout(r, Number(reply.headers['retry-after'] ?? 1) * 1000));
      start -= 1000;
      continue;
    }
    if (reply.status !== 200) throw new Error(`reconciliation read ${type}: ${reply.status}`);
    const body = reply.body as { Resources: Record<string, unknown>[]; totalResults: number };
    out.push(...body.Resources);
    if (body.Resources.length === 0 || out.length >= body.totalResults) return out;
  }
}

/** Reads back every user and group of the tenant and compares them with the ledger, exactly. */
export async function reconcile(client: Client, ledger: Ledger): Promise<Reconciliation> {
  const problems: string[] = [];
  let lost = 0;
  let phantoms = 0;
  const note = (s: string) => {
    if (problems.length < 20) problems.push(`${ledger.tenant.name}: ${s}`);
  };
  const users = await pageAll(client, ledger.tenant, 'Users', 'userName,displayName,active,title,externalId');
  const served = new Map(users.map((u) => [u.id as string, u]));
  for (const entry of ledger.users.values()) {
    if (ledger.uncertain.has(entry.id)) continue;
    const u = served.get(entry.id);
    if (!u) {
      lost++;
      note(`user ${entry.id} (${entry.userName}) acknowledged but missing`);
      continue;
    }
    for (const [key, want] of [
      ['userName', entry.userName],
      ['displayName', entry.displayName],
      ['active', entry.active],
      ['title', entry.title],
      ['externalId', entry.externalId],
    ] as const) {
      if (u[key] !== want) {
        lost++;
        note(`user ${entry.id} ${key}: server ${JSON.stringify(u[key])}, acknowledged ${JSON.stringify(want)}`);
      }
    }
  }
  for (const [id, u] of served) {
    if (ledger.users.has(id) || ledger.uncertain.has(id) || ledger.uncertainUserNames.has(u.userName as string))
      continue;
    phantoms++;
    note(ledger.deleted.has(id) ? `deleted user ${id} is back` : `unknown user ${id} (${String(u.userName)})`);
  }
  const groups = await pageAll(client, ledger.tenant, 'Groups', 'displayName,members');
  const servedGroups = new Map(groups.map((g) => [g.id as string, g]));
  let memberships = 0;
  for (const entry of ledger.groups.values()) {
    if (ledger.uncertain.has(entry.id)) continue;
    const g = servedGroups.get(entry.id);
    if (!g) {
      lost++;
      note(`group ${entry.id} acknowledged but missing`);
      continue;
    }
    const members = new Set(((g.members as { value: string }[] | undefined) ?? []).map((m) => m.value));
    for (const id of entry.members) {
      if (ledger.uncertain.has(id)) continue;
      memberships++;
      if (!members.has(id)) {
        lost++;
        note(`group ${entry.id} lacks acknowledged member ${id}`);
      }
    }
    for (const id of members) {
      if (!entry.members.has(id) && !ledger.uncertain.has(id)) {
        lost++;
        note(`group ${entry.id} has member ${id} the ledger removed or never added`);
      }
    }
  }
  for (const [id, g] of servedGroups) {
    if (ledger.groups.has(id) || ledger.uncertainGroupNames.has(g.displayName as string)) continue;
    phantoms++;
    note(`unknown group ${id}`);
  }
  return { users: served.size, groups: servedGroups.size, memberships, lostWrites: lost, phantoms, problems };
}

// ---------------------------------------------------------------------------------------------------------------
// Criteria and the scenarios

export interface Criterion {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly criteria: readonly Criterion[];
  readonly figures: Record<string, number | string>;
  /** The client ledgers the run reconciled against (L1, L2). */
  readonly ledgers?: readonly Ledger[];
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

function trafficFigures(prefix: string, s: Stats, seconds: number): Record<string, number | string> {
  return {
    [`${prefix} requests`]: s.requests,
    [`${prefix} req/s`]: Number((s.requests / seconds).toFixed(1)),
    [`${prefix} p50`]: fmt(percentile(s.latencies, 0.5)),
    [`${prefix} p99`]: fmt(percentile(s.latencies, 0.99)),
    [`${prefix} statuses`]: [...s.statuses.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k || 'transport'}:${v}`)
      .join(' '),
  };
}

/** p99 per window of the run, to tell a steady slowdown (growth) from a stall (one bad window). */
function timeline(s: Stats, windows = 12): string {
  if (s.ends.length === 0) return '';
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const e of s.ends) {
    first = Math.min(first, e);
    last = Math.max(last, e);
  }
  const width = Math.max(1, (last - first) / windows);
  const buckets: number[][] = Array.from({ length: windows }, () => []);
  s.ends.forEach((e, i) => {
    buckets[Math.min(windows - 1, Math.floor((e - first) / width))]!.push(s.latencies[i]!);
  });
  return buckets.map((b) => percentile(b, 0.99).toFixed(0)).join(' ');
}

function opFigures(s: Stats): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [op, list] of [...s.byOp.entries()].sort()) {
    out[`  ${op}`] = `${list.length} req, p50 ${fmt(percentile(list, 0.5))}, p99 ${fmt(percentile(list, 0.99))}`;
  }
  return out;
}

function reconcileCriteria(recs: readonly Reconciliation[], ledgers: readonly Ledger[]): Criterion[] {
  const lost = recs.reduce((a, r) => a + r.lostWrites, 0);
  const phantoms = recs.reduce((a, r) => a + r.phantoms, 0);
  const acknowledged = ledgers.reduce((a, l) => a + l.acknowledged, 0);
  const uncertain = ledgers.reduce((a, l) => a + l.uncertain.size + l.uncertainUserNames.size, 0);
  const problems = recs.flatMap((r) => r.problems).slice(0, 5);
  return [
    {
      name: 'zero lost writes (every acknowledged create/PATCH/DELETE/membership change reflected exactly)',
      pass: lost === 0 && phantoms === 0,
      detail: `${acknowledged} acknowledged writes; ${lost} lost, ${phantoms} phantom; ${recs.reduce((a, r) => a + r.users, 0)} users, ${recs.reduce((a, r) => a + r.memberships, 0)} memberships checked; ${uncertain} unacknowledged left out${problems.length ? `; ${problems.join('; ')}` : ''}`,
    },
  ];
}

export interface L1Options {
  readonly tenants: number;
  /** Requests per second per tenant. */
  readonly rate: number;
  readonly seconds: number;
  readonly seedUsers?: number;
  readonly seed?: number;
  /** p99 bar in ms (the plan's: 500). */
  readonly p99Ms?: number;
  readonly label?: string;
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

/** L1: every tenant at the same rate, open loop; zero 5xx and transport errors, p99 under the bar, no lost write. */
export async function runL1(client: Client, target: Target, o: L1Options): Promise<ScenarioResult> {
  const { ledgers, runId } = await prepareTenants(client, target, o.tenants, o.seedUsers ?? 150, 'Load');
  const traffic = ledgers.map((ledger) => ({ ledger, stats: new Stats(), rate: o.rate }));
  const run = await openLoop(client, traffic, o.seconds, { seed: o.seed ?? 1, runId });
  const all = traffic.reduce((acc, t) => acc.merge(t.stats), new Stats());
  const recs = [];
  for (const l of ledgers) recs.push(await reconcile(client, l));
  const p99 = percentile(all.latencies, 0.99);
  const bar = o.p99Ms ?? 500;
  return {
    scenario: o.label ?? 'L1',
    criteria: [
      { name: 'zero 5xx', pass: all.serverErrors === 0, detail: `${all.serverErrors} of ${all.requests}` },
      { name: 'zero transport errors', pass: all.transportErrors === 0, detail: `${all.transportErrors}` },
      {
        name: 'no throttling or unexpected statuses',
        pass: all.throttled === 0 && all.unexpected === 0,
        detail: `${all.throttled} × 429, ${all.unexpected} unexpected${all.unexpectedSamples.length ? `: ${all.unexpectedSamples.join(' | ')}` : ''}`,
      },
      { name: 'reads agree with acknowledged writes', pass: all.staleReads === 0, detail: `${all.staleReads} stale` },
      { name: `p99 < ${bar} ms`, pass: p99 < bar, detail: fmt(p99) },
      ...reconcileCriteria(recs, ledgers),
    ],
    figures: {
      tenants: o.tenants,
      'offered req/s per tenant': o.rate,
      seconds: Number(run.seconds.toFixed(1)),
      'max in flight': run.maxInFlight,
      ...trafficFigures('all', all, run.seconds),
      'p99 ms per twelfth of the run': timeline(all),
      ...opFigures(all),
    },
    ledgers,
  };
}

export interface L2Options {
  readonly tenants: number;
  readonly rate: number;
  /** The per-tenant limit the server runs with (requests/s and burst). */
  readonly limit: { readonly rate: number; readonly burst: number };
  /** Offered load of the flooding tenant, as a multiple of its limit (the plan's: 5). */
  readonly factor?: number;
  readonly seconds: number;
  readonly seedUsers?: number;
  readonly seed?: number;
  readonly p99Ms?: number;
  /** Processes sharing the limit (with per-process limits each grants its own). */
  readonly limitCopies?: number;
}

/** L2: one tenant floods at `factor` × its limit; it gets 429 + Retry-After, the others are served as usual. */
export async function runL2(client: Client, target: Target, o: L2Options): Promise<ScenarioResult> {
  const { ledgers, runId } = await prepareTenants(client, target, o.tenants, o.seedUsers ?? 120, 'Overload');
  const factor = o.factor ?? 5;
  // Let the seeding's requests drain from the buckets before the clock starts.
  await new Promise((r) => setTimeout(r, Math.ceil((o.limit.burst / o.limit.rate) * 1000)));
  const traffic = ledgers.map((ledger, i) => ({
    ledger,
    stats: new Stats(),
    rate: i === 0 ? o.limit.rate * factor : o.rate,
  }));
  const run = await openLoop(client, traffic, o.seconds, { seed: o.seed ?? 2, runId });
  const flooder = traffic[0]!.stats;
  const others = traffic.slice(1).reduce((acc, t) => acc.merge(t.stats), new Stats());
  const recs = [];
  for (const l of ledgers) recs.push(await reconcile(client, l));
  const bar = o.p99Ms ?? 500;
  const othersP99 = percentile(others.latencies, 0.99);
  // Requests the flooder got through: at most the burst plus the rate over the run (per copy of the limit), with
  // a tenth for the lease batching and the time the last requests took to be answered.
  const copies = o.limitCopies ?? 1;
  const allowance = copies * (o.limit.burst + o.limit.rate * run.seconds) * 1.1;
  return {
    scenario: 'L2',
    criteria: [
      {
        name: 'flooding tenant gets 429 with an integer Retry-After',
        pass: flooder.throttled > 0 && flooder.badRetryAfter === 0,
        detail: `${flooder.throttled} × 429 of ${flooder.requests}, ${flooder.badRetryAfter} without a valid Retry-After`,
      },
      {
        name: 'flooding tenant held to its limit',
        pass: flooder.succeeded <= allowance,
        detail: `${flooder.succeeded} served ≤ ${Math.round(allowance)} (${o.limit.rate}/s, burst ${o.limit.burst}${copies > 1 ? `, × ${copies}` : ''})`,
      },
      {
        name: 'other tenants 100 % success',
        pass: others.succeeded === others.requests && others.requests > 0,
        detail: `${others.succeeded} of ${others.requests}${others.unexpectedSamples.length ? `: ${others.unexpectedSamples.join(' | ')}` : ''}`,
      },
      { name: `other tenants p99 < ${bar} ms`, pass: othersP99 < bar, detail: fmt(othersP99) },
      {
        name: 'zero 5xx, zero transport errors',
        pass: flooder.serverErrors + others.serverErrors + flooder.transportErrors + others.transportErrors === 0,
        detail: `${flooder.serverErrors + others.serverErrors} 5xx, ${flooder.transportErrors + others.transportErrors} transport`,
      },
      ...reconcileCriteria(recs, ledgers),
    ],
    figures: {
      tenants: o.tenants,
      'limit per tenant': `${o.limit.rate}/s burst ${o.limit.burst}`,
      'flooder offered req/s': o.limit.rate * factor,
      seconds: Number(run.seconds.toFixed(1)),
      'flooder served req/s': Number((flooder.succeeded / run.seconds).toFixed(1)),
      ...trafficFigures('flooder', flooder, run.seconds),
      ...trafficFigures('others', others, run.seconds),
      'others p99 ms per twelfth of the run': timeline(others),
    },
    ledgers,
  };
}

export interface L3Options {
  readonly members: number;
  readonly batch?: number;
  /** Users already created (ids) in `tenant`; otherwise they are created over HTTP first. */
  readonly prepared?: { readonly tenant: TenantHandle; readonly userIds: readonly string[] };
  readonly patchP99Ms?: number;
  readonly getMs?: number;
}

/** L3: members added to one group in batches of 100; no batch slower as the group grows; cheap group reads. */
export async function runL3(client: Client, target: Target, o: L3Options): Promise<ScenarioResult> {
  const batch = o.batch ?? 100;
  let tenant: TenantHandle;
  let userIds: readonly string[];
  if (o.prepared) {
    ({ tenant, userIds } = o.prepared);
  } else {
    tenant = await provisionTenant(client, target, 'Large group');
    const ledger = new Ledger(tenant);
    await seedTenant(client, ledger, { users: o.members, groups: 0, runId: 'l3' });
    userIds = [...ledger.users.keys()];
  }
  const token = tenant.scimToken;
  const group = await client.request('POST', `${tenant.base}/Groups`, {
    token,
    body: { schemas: [CORE_GROUP], displayName: `Everyone ${Date.now()}` },
  });
  if (group.status !== 201) throw new Error(`group create: ${group.status}`);
  const groupId = (group.body as { id: string }).id;
  const batchMs: number[] = [];
  let failures = 0;
  for (let start = 0; start < o.members; start += batch) {
    const value = userIds.slice(start, start + batch).map((id) => ({ value: id }));
    // The response leaves members out, as an IdP that does not read them back would ask.
    const reply = await client.request('PATCH', `${tenant.base}/Groups/${groupId}?excludedAttributes=members`, {
      token,
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value }] },
    });
    if (!ok2xx(reply.status)) failures++;
    batchMs.push(reply.ms);
  }
  const getMs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const reply = await client.request('GET', `${tenant.base}/Groups/${groupId}?excludedAttributes=members`, { token });
    if (reply.status !== 200) failures++;
    getMs.push(reply.ms);
  }
  const victim = userIds[Math.floor(o.members / 2)]!;
  const removal = await client.request('PATCH', `${tenant.base}/Groups/${groupId}?excludedAttributes=members`, {
    token,
    body: { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${victim}"]` }] },
  });
  if (!ok2xx(removal.status)) failures++;
  const full = await client.request('GET', `${tenant.base}/Groups/${groupId}`, { token });
  const members = new Set(((full.body as { members?: { value: string }[] }).members ?? []).map((m) => m.value));
  const expected = Math.min(o.members, userIds.length) - 1;
  const decile = Math.max(1, Math.floor(batchMs.length / 10));
  const first = batchMs.slice(0, decile);
  const last = batchMs.slice(-decile);
  const patchP99 = percentile(batchMs, 0.99);
  const getP99 = percentile(getMs, 0.99);
  const firstMedian = percentile(first, 0.5);
  const lastMedian = percentile(last, 0.5);
  return {
    scenario: 'L3',
    criteria: [
      { name: 'every request succeeded', pass: failures === 0, detail: `${failures} failed` },
      {
        name: `each PATCH p99 < ${o.patchP99Ms ?? 1000} ms`,
        pass: patchP99 < (o.patchP99Ms ?? 1000),
        detail: fmt(patchP99),
      },
      {
        name: 'last batches ≤ 2 × first batches (median of each tenth)',
        pass: lastMedian <= 2 * firstMedian,
        detail: `first ${fmt(firstMedian)}, last ${fmt(lastMedian)}`,
      },
      {
        name: `GET group excluding members < ${o.getMs ?? 100} ms (p99 of 50)`,
        pass: getP99 < (o.getMs ?? 100),
        detail: fmt(getP99),
      },
      {
        name: 'removing one member leaves exactly the others',
        pass: full.status === 200 && members.size === expected && !members.has(victim),
        detail: `${members.size} members (expected ${expected}), removal ${fmt(removal.ms)}`,
      },
    ],
    figures: {
      members: o.members,
      batches: batchMs.length,
      'PATCH p50': fmt(percentile(batchMs, 0.5)),
      'PATCH p99': fmt(patchP99),
      'first tenth p99': fmt(percentile(first, 0.99)),
      'last tenth p99': fmt(percentile(last, 0.99)),
      'GET excluding members p50': fmt(percentile(getMs, 0.5)),
      'GET excluding members p99': fmt(getP99),
      'remove one member': fmt(removal.ms),
      'GET with all members': fmt(full.ms),
    },
  };
}

export function printResult(r: ScenarioResult, write: (s: string) => void = (s) => process.stdout.write(s)): boolean {
  write(`\n${r.scenario}\n`);
  for (const [k, v] of Object.entries(r.figures)) write(`  ${k}: ${v}\n`);
  for (const c of r.criteria) write(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name} — ${c.detail}\n`);
  return r.criteria.every((c) => c.pass);
}
