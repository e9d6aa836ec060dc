// The mirror test's writers: a ledger of every acknowledged SCIM write (what a client was told was done), a client
// that fills it, and a seeded random stream of creates, PATCHes, PUTs, membership changes and DELETEs. Writers
// outlive a killed process: a request that fails on the wire is in flight, not acknowledged, and the writer moves on.
// The random stream is bench/scenarios/stats.ts's seeded generator, so a failing run can be replayed from its seed.
import { rng } from '../../bench/scenarios/stats.ts';
import type { Client, Res, SendOptions } from './http.ts';
import { CORE_GROUP, ENTERPRISE_USER, entraUser, patch } from './scim-payloads.ts';

export interface AckedWrite {
  readonly tenantId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly resource: 'Users' | 'Groups';
  readonly id: string;
  /** meta.version of the answer (users and groups answered with a body). */
  readonly version: string | undefined;
  /** Member ids this write leaves in the group: members of a POST or PUT, values of a PATCH add/replace. */
  readonly members: readonly string[];
}

/** Every acknowledged (2xx) SCIM write, every 5xx, and how many requests failed on the wire. */
export class Ledger {
  readonly writes: AckedWrite[] = [];
  readonly serverErrors: string[] = [];
  transportErrors = 0;
  requests = 0;

  of(tenantId: string): AckedWrite[] {
    return this.writes.filter((w) => w.tenantId === tenantId);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: SCIM bodies are read field by field
type Json = any;

function membersWritten(method: string, resource: string, body: Json): string[] {
  if (resource !== 'Groups' || body === undefined || typeof body !== 'object') return [];
  const values = (list: unknown) =>
    Array.isArray(list) ? list.map((m: Json) => m?.value).filter((v): v is string => typeof v === 'string') : [];
  if (method === 'POST' || method === 'PUT') return values(body.members);
  if (method !== 'PATCH') return [];
  return (body.Operations ?? []).flatMap((op: Json) => {
    const name = String(op.op).toLowerCase();
    if (name !== 'add' && name !== 'replace') return [];
    if (typeof op.path === 'string') return op.path.toLowerCase() === 'members' ? values(op.value) : [];
    return values(op.value?.members);
  });
}

const WRITE_PATH = /\/(Users|Groups)(?:\/([^/?]+))?(?:\?.*)?$/;

/**
 * A client that records what `inner` acknowledges. `tenants` maps a SCIM token to its tenant (the token decides the
 * tenant, whichever URL form a request uses). A request that throws counts as a transport error and rethrows.
 */
export function recordingClient(inner: Client, ledger: Ledger, tenants: ReadonlyMap<string, string>): Client {
  return {
    instances: inner.instances,
    async send(method, path, options: SendOptions = {}) {
      ledger.requests++;
      let res: Res;
      try {
        res = await inner.send(method, path, options);
      } catch (error) {
        ledger.transportErrors++;
        throw error;
      }
      if (res.status >= 500) ledger.serverErrors.push(`${method} ${path} → ${res.status} ${res.body.slice(0, 300)}`);
      const match = WRITE_PATH.exec(path);
      const tenantId = options.token === undefined ? undefined : tenants.get(options.token);
      if (method !== 'GET' && res.status >= 200 && res.status < 300 && match && tenantId) {
        const resource = match[1] as 'Users' | 'Groups';
        const body: Json = res.body.length > 0 ? res.json() : undefined;
        const id = match[2] ?? body?.id;
        const sent = typeof options.body === 'string' ? JSON.parse(options.body) : options.body;
        ledger.writes.push({
          tenantId,
          method,
          path,
          status: res.status,
          resource,
          id,
          version: body?.meta?.version,
          members: membersWritten(method, resource, sent),
        });
      }
      return res;
    },
  };
}

export interface WriterTenant {
  readonly scimToken: string;
  readonly base: string;
}

/** What the writers of one tenant know exists (they may be wrong: another writer may have deleted it meanwhile). */
interface Known {
  readonly users: Map<string, string>; // id → userName
  readonly groups: Map<string, string>; // id → displayName
  n: number;
}

type Step = { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; body?: unknown; after?: (res: Res) => void };

const TITLES = ['Engineer', 'Manager', 'Director', 'Analyst', ''];

function pick<T>(random: () => number, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(random() * items.length)];
}

function some<T>(random: () => number, items: readonly T[], max: number): T[] {
  const chosen = new Set<T>();
  const n = 1 + Math.floor(random() * max);
  for (let i = 0; i < n && items.length > 0; i++) chosen.add(pick(random, items) as T);
  return [...chosen];
}

/** One random write against what `known` holds (a create when there is nothing to change yet). */
function nextStep(random: () => number, known: Known, prefix: string): Step {
  const users = [...known.users.keys()];
  const groups = [...known.groups.keys()];
  const user = pick(random, users);
  const group = pick(random, groups);
  const r = random();
  const n = known.n++;
  if (r < 0.18 || user === undefined) {
    const userName = `${prefix}u${n}@mirror.example`;
    return {
      method: 'POST',
      path: '/Users',
      body: entraUser(userName, `${prefix}x${n}`, { title: pick(random, TITLES) || undefined }),
      after: (res) => res.status === 201 && known.users.set(res.json().id, userName),
    };
  }
  if (r < 0.24 || group === undefined) {
    const displayName = `${prefix} group ${n}`;
    return {
      method: 'POST',
      path: '/Groups',
      body: {
        schemas: [CORE_GROUP],
        displayName,
        externalId: `${prefix}g${n}`,
        ...(random() < 0.4 ? { members: some(random, users, 3).map((value) => ({ value })) } : {}),
      },
      after: (res) => res.status === 201 && known.groups.set(res.json().id, displayName),
    };
  }
  if (r < 0.42) {
    const ops = [
      { op: 'replace', path: 'displayName', value: `${prefix} Name ${n}` },
      { op: 'replace', path: 'title', value: pick(random, TITLES) },
      { op: 'replace', path: 'name.givenName', value: `Given${n}` },
      { op: 'replace', path: `${ENTERPRISE_USER}:department`, value: `Dept ${n % 7}` },
      { op: 'add', path: 'nickName', value: `nick${n}` },
    ].filter(() => random() < 0.5);
    return {
      method: 'PATCH',
      path: `/Users/${user}`,
      body: patch(...(ops.length > 0 ? ops : [{ op: 'replace', path: 'displayName', value: `N${n}` }])),
    };
  }
  if (r < 0.5) {
    return {
      method: 'PATCH',
      path: `/Users/${user}`,
      body: patch({ op: 'replace', path: 'active', value: random() < 0.5 }),
    };
  }
  if (r < 0.54) {
    const userName = known.users.get(user)!;
    return {
      method: 'PUT',
      path: `/Users/${user}`,
      body: entraUser(userName, `${prefix}put${n}`, { displayName: `${prefix} Put ${n}`, active: random() < 0.8 }),
    };
  }
  if (r < 0.7) {
    const members = some(random, users, 4).map((value) => ({ value }));
    // Now and then a group as a member (nested groups; a cycle, if refused, is simply not acknowledged).
    const nested = pick(
      random,
      groups.filter((g) => g !== group),
    );
    if (nested !== undefined && random() < 0.1) members.push({ value: nested });
    return { method: 'PATCH', path: `/Groups/${group}`, body: patch({ op: 'add', path: 'members', value: members }) };
  }
  if (r < 0.8) {
    const gone = some(random, users, 3);
    const ops =
      random() < 0.5
        ? [{ op: 'remove', path: 'members', value: gone.map((value) => ({ value })) }]
        : gone.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` }));
    return { method: 'PATCH', path: `/Groups/${group}`, body: patch(...ops) };
  }
  if (r < 0.85) {
    const displayName = `${prefix} renamed ${n}`;
    return {
      method: 'PATCH',
      path: `/Groups/${group}`,
      body: patch({ op: 'replace', path: 'displayName', value: displayName }),
      after: (res) => res.status < 300 && known.groups.set(group, displayName),
    };
  }
  if (r < 0.87) {
    return {
      method: 'PUT',
      path: `/Groups/${group}`,
      body: {
        schemas: [CORE_GROUP],
        displayName: known.groups.get(group),
        members: some(random, users, 3).map((value) => ({ value })),
      },
    };
  }
  if (r < 0.96) {
    return { method: 'DELETE', path: `/Users/${user}`, after: (res) => res.status === 204 && known.users.delete(user) };
  }
  return {
    method: 'DELETE',
    path: `/Groups/${group}`,
    after: (res) => res.status === 204 && known.groups.delete(group),
  };
}

export interface WriterStats {
  sent: number;
  byStatus: Record<number, number>;
  failedOnWire: number;
}

/**
 * `writers` concurrent writers into one tenant until `running()` turns false, drawing from one seeded stream.
 * A request that fails on the wire (its process was killed) is dropped, and the writer pauses briefly and goes on.
 */
export async function randomWriters(
  client: Client,
  tenant: WriterTenant,
  options: { writers: number; seed: number; prefix: string; running: () => boolean },
): Promise<WriterStats> {
  const random = rng(options.seed);
  const known: Known = { users: new Map(), groups: new Map(), n: 0 };
  const stats: WriterStats = { sent: 0, byStatus: {}, failedOnWire: 0 };
  const writer = async () => {
    while (options.running()) {
      const step = nextStep(random, known, options.prefix);
      stats.sent++;
      try {
        const res = await client.send(step.method, `${tenant.base}${step.path}`, {
          token: tenant.scimToken,
          ...(step.body !== undefined ? { body: step.body } : {}),
        });
        stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
        step.after?.(res);
      } catch {
        stats.failedOnWire++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: options.writers }, writer));
  return stats;
}
