// Security plan §4.5 L3: one large group built by member PATCHes in batches; batch cost must not grow with the group.
import { CORE_GROUP, PATCH_OP } from '../../test/support/scim-payloads.ts';
import type { Client, Target } from './client.ts';
import { Ledger, provisionTenant, type TenantHandle } from './ledger.ts';
import { fmt, type ScenarioResult } from './report.ts';
import { percentile } from './stats.ts';
import { seedTenant } from './traffic.ts';

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
    // Entra's request exactly: no query string, so the answer is 204 with no body (docs/adr/0022-group-patch-204.md).
    const reply = await client.request('PATCH', `${tenant.base}/Groups/${groupId}`, {
      token,
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value }] },
    });
    if (reply.status !== 204) failures++;
    batchMs.push(reply.ms);
  }
  const getMs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const reply = await client.request('GET', `${tenant.base}/Groups/${groupId}?excludedAttributes=members`, { token });
    if (reply.status !== 200) failures++;
    getMs.push(reply.ms);
  }
  const victim = userIds[Math.floor(o.members / 2)]!;
  const removal = await client.request('PATCH', `${tenant.base}/Groups/${groupId}`, {
    token,
    body: { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${victim}"]` }] },
  });
  if (removal.status !== 204) failures++;
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
