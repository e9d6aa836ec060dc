// Entra ID's initial sync as `npm run bench -- --only sync` drives it (see entraInitialSync).
import { type LoadResult, runTasks } from './load.ts';
import { benchUser } from './seed.ts';

/**
 * Entra ID's initial sync as it sends it: for each user a `userName eq` lookup then a POST; for each group a
 * `displayName eq` lookup (members excluded) then a POST without members; then the members, added by PATCHes of
 * up to 100 values. Every user lands in one group. Reported as one elapsed time and the requests it took.
 */
export async function entraInitialSync(
  origin: string,
  base: string,
  auth: Record<string, string>,
  json: Record<string, string>,
  o: { users: number; groups: number; concurrency: number; log: (s: string) => void },
): Promise<LoadResult[]> {
  const { concurrency, log } = o;
  const userCount = o.users;
  const groupCount = Math.max(1, o.groups);
  log(`  Entra initial sync: ${userCount} users, ${groupCount} groups…`);
  const userIds: string[] = new Array(userCount);
  const groupIds: string[] = new Array(groupCount);
  const lookup = (resource: 'Users' | 'Groups', filter: string, extra = '') => ({
    method: 'GET' as const,
    path: `${base}/${resource}?filter=${encodeURIComponent(filter)}${extra}`,
    headers: auth,
  });
  const phases: { name: string; seconds: number; requests: number; failures: number; latencies: Float64Array }[] = [];
  phases.push({
    name: 'users',
    ...(await runTasks(origin, concurrency, userCount, async (i, send) => {
      const body = benchUser(10_000_000 + i);
      const found = await send(lookup('Users', `userName eq "${body.userName}"`));
      if (found.status !== 200 || !found.body.includes('"totalResults":0')) return false;
      const created = await send({ method: 'POST', path: `${base}/Users`, body: JSON.stringify(body), headers: json });
      if (created.status !== 201) return false;
      userIds[i] = (JSON.parse(created.body) as { id: string }).id;
      return true;
    })),
  });
  phases.push({
    name: 'groups',
    ...(await runTasks(origin, concurrency, groupCount, async (i, send) => {
      const displayName = `Sync Group ${i}`;
      const found = await send(lookup('Groups', `displayName eq "${displayName}"`, '&excludedAttributes=members'));
      if (found.status !== 200 || !found.body.includes('"totalResults":0')) return false;
      const created = await send({
        method: 'POST',
        path: `${base}/Groups`,
        headers: json,
        body: JSON.stringify({
          schemas: [
            'urn:ietf:params:scim:schemas:core:2.0:Group',
            'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
          ],
          displayName,
          externalId: `sync-group-${i}`,
          meta: { resourceType: 'Group' },
        }),
      });
      if (created.status !== 201) return false;
      groupIds[i] = (JSON.parse(created.body) as { id: string }).id;
      return true;
    })),
  });
  // User i belongs to group i mod groupCount; each group's members go in PATCHes of at most 100.
  const batches: { group: string; members: string[] }[] = [];
  for (let g = 0; g < groupCount; g++) {
    const members: string[] = [];
    for (let u = g; u < userCount; u += groupCount) if (userIds[u]) members.push(userIds[u]!);
    for (let k = 0; k < members.length; k += 100)
      batches.push({ group: groupIds[g]!, members: members.slice(k, k + 100) });
  }
  phases.push({
    name: 'members',
    ...(await runTasks(origin, concurrency, batches.length, async (i, send) => {
      const b = batches[i]!;
      const res = await send({
        method: 'PATCH',
        path: `${base}/Groups/${b.group}`,
        headers: json,
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Add', path: 'members', value: b.members.map((value) => ({ $ref: null, value })) }],
        }),
      });
      return res.status === 204;
    })),
  });
  const seconds = phases.reduce((a, p) => a + p.seconds, 0);
  const requests = phases.reduce((a, p) => a + p.requests, 0);
  const failures = phases.reduce((a, p) => a + p.failures, 0);
  for (const p of phases) {
    log(
      `    ${p.name}: ${p.requests} requests in ${p.seconds.toFixed(1)} s (${(p.requests / p.seconds).toFixed(0)} req/s), failures ${p.failures}`,
    );
  }
  log(`  Entra initial sync: ${requests} requests in ${seconds.toFixed(1)} s, failures ${failures}`);
  const all = Float64Array.from(phases.flatMap((p) => [...p.latencies])).sort();
  const at = (q: number) => all[Math.min(all.length - 1, Math.floor(all.length * q))] ?? 0;
  return [
    {
      name: `Entra initial sync (${userCount} users, ${groupCount} groups)`,
      ops: requests,
      seconds,
      opsPerSec: requests / seconds,
      p50ms: at(0.5),
      p99ms: at(0.99),
      errors: failures,
      statuses: {},
    },
  ];
}
