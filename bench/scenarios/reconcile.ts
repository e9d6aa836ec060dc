// Reconciliation: reads back every user and group of a tenant and compares them with its ledger, exactly.
import type { Client } from './client.ts';
import type { Ledger, TenantHandle } from './ledger.ts';

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
