// Concurrency (security plan C1–C5) over real sockets: an app listening on 127.0.0.1 on SQLite and on PostgreSQL,
// and two Roster processes sharing one PostgreSQL database (requests alternate between them). Histories of
// membership races are checked by test/support/history.ts; no request may ever answer 5xx. (The IdP replays on
// two processes run in tenant-isolation.test.ts, with tenant B's byte-identity checked around them.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSetHistory, SetHistory, type SetOp } from '../support/history.ts';
import {
  type Client,
  type HttpMethod,
  inProcessTarget,
  makeTenant,
  pool,
  type Res,
  type SendOptions,
  type Target,
  type TenantHandles,
  twoProcessTarget,
} from '../support/http.ts';
import { CORE_GROUP, entraUser, patch } from '../support/scim.ts';

describe('the history checker', () => {
  const t = (invoke: number, complete: number) => ({ invoke, complete });
  const add = (members: string[], i: number, c: number, outcome: 'ok' | 'failed' | 'unknown' = 'ok'): SetOp => ({
    type: 'add',
    members,
    outcome,
    ...t(i, c),
  });
  const remove = (members: string[], i: number, c: number): SetOp => ({
    type: 'remove',
    members,
    outcome: 'ok',
    ...t(i, c),
  });
  const read = (members: string[], i: number, c: number): SetOp => ({
    type: 'read',
    members: new Set(members),
    ...t(i, c),
  });

  it('accepts reads explained by overlapping writes, and a final state some serial order leaves', () => {
    expect(checkSetHistory([add(['a'], 0, 10), read(['a'], 5, 6), read([], 5, 6), read(['a'], 11, 12)])).toEqual([]);
    // Concurrent add and remove: either final state is possible.
    expect(checkSetHistory([add(['a'], 0, 10), remove(['a'], 1, 9), read([], 20, 21)])).toEqual([]);
    expect(checkSetHistory([add(['a'], 0, 10), remove(['a'], 1, 9), read(['a'], 20, 21)])).toEqual([]);
    // A write whose answer was lost may land any time after it was sent.
    expect(checkSetHistory([add(['a'], 0, 1, 'unknown'), read([], 5, 6), read(['a'], 7, 8)])).toEqual([]);
  });

  it('flags lost writes, phantom members, stale reads, refused writes that took effect, and torn batches', () => {
    expect(checkSetHistory([add(['a'], 0, 1), read([], 5, 6)])).toHaveLength(1); // lost add
    expect(checkSetHistory([read(['ghost'], 0, 1)])).toHaveLength(1); // never added
    expect(checkSetHistory([add(['a'], 0, 1), remove(['a'], 2, 3), read(['a'], 4, 5)])).toHaveLength(1); // stale
    expect(checkSetHistory([add(['a'], 0, 1, 'failed'), read(['a'], 4, 5)])).toHaveLength(1); // refused, yet in
    expect(checkSetHistory([add(['a', 'b'], 0, 10), read(['a'], 4, 5)])).toHaveLength(1); // half a PATCH
    expect(checkSetHistory([remove(['a'], 0, 1), read(['a'], 2, 3)], new Set(['a']))).toHaveLength(1);
  });
});

const TARGETS = ['sqlite', 'postgres', 'postgres, two processes'] as const;

describe.each(TARGETS)('concurrency on %s', (name) => {
  let target: Target;
  let client: Client;
  let tenant: TenantHandles;
  const fivexx: string[] = [];

  beforeAll(async () => {
    target = name === 'postgres, two processes' ? await twoProcessTarget() : await inProcessTarget(name, 'listen');
    // Every answer is checked for 5xx, whatever the test expects of it.
    client = {
      instances: target.client.instances,
      async send(method: HttpMethod, path: string, options?: SendOptions): Promise<Res> {
        const res = await target.client.send(method, path, options);
        if (res.status >= 500) fivexx.push(`${method} ${path} → ${res.status} ${res.body.slice(0, 200)}`);
        return res;
      },
    };
    tenant = await makeTenant(client, 'Concurrency');
  }, 60_000);

  afterAll(async () => {
    const processes = (target as { processes?: { output(): string }[] } | undefined)?.processes ?? [];
    await target?.dispose();
    expect(fivexx).toEqual([]);
    // Neither process logged an error (pino level 50+), e.g. an unhandled exception answered as a 500.
    for (const p of processes) expect(p.output()).not.toMatch(/"level":(50|60)/);
  });

  const s = (method: HttpMethod, path: string, body?: unknown, headers?: Record<string, string>, via?: number) =>
    client.send(method, `${tenant.base}${path}`, {
      token: tenant.scimToken,
      ...(body !== undefined ? { body } : {}),
      ...(headers ? { headers } : {}),
      ...(via !== undefined ? { via } : {}),
    });
  const createUsers = async (prefix: string, n: number): Promise<string[]> =>
    pool(
      16,
      Array.from({ length: n }, (_, i) => async () => {
        const res = await s('POST', '/Users', entraUser(`${prefix}${i}@conc.example`, `${prefix}${i}`));
        expect(res.status, res.body).toBe(201);
        return res.json().id as string;
      }),
    );

  it('C1: 50 parallel creates of one userName in case and width variants give one 201 and 49 × 409 uniqueness', async () => {
    const base = 'race.user@c1.example';
    const variant = (i: number) =>
      i % 7 === 3
        ? base.replace('race', 'ｒａｃｅ') // fullwidth folds to the same key
        : [...base].map((ch, j) => ((i >> (j % 8)) & 1 ? ch.toUpperCase() : ch)).join('');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => s('POST', '/Users', entraUser(variant(i), `c1-${i}`))),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(49).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.json().scimType).toBe('uniqueness');
    const winner = results.find((r) => r.status === 201)?.json();
    const found = (await s('GET', `/Users?filter=${encodeURIComponent(`userName eq "${base.toUpperCase()}"`)}`)).json();
    expect(found.Resources.map((u: { id: string }) => u.id)).toEqual([winner.id]);

    // The same for group displayName.
    const groups = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: i % 2 ? 'Race Team' : 'RACE team' }),
      ),
    );
    expect(groups.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(409)]);
  });

  it('C2: racing membership PATCHes and reads form a history one serial order explains', async () => {
    const ids = await createUsers('c2-', 80);
    const exclusive = ids.slice(0, 60);
    const shared = ids.slice(60, 70);
    const initial = new Set(shared.slice(0, 5));
    const group = await s('POST', '/Groups', {
      schemas: [CORE_GROUP],
      displayName: 'C2 race',
      members: [...initial].map((value) => ({ value })),
    });
    expect(group.status).toBe(201);
    const url = `/Groups/${group.json().id}`;
    const history = new SetHistory();
    // A group PATCH naming no attributes succeeds with 204 (RFC 7644 §3.5.2, docs/adr/0022-group-patch-204.md).
    const outcome = (res: Res) => (res.status === 204 ? 'ok' : res.status >= 500 ? 'unknown' : 'failed');
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const statuses: number[] = [];
    const readStatuses: number[] = [];
    const record = (res: Res) => {
      statuses.push(res.status);
      return outcome(res);
    };

    const adders = Array.from({ length: 10 }, (_, w) => async () => {
      for (let k = 0; k < 3; k++) {
        const batch = exclusive.slice(w * 6 + k * 2, w * 6 + k * 2 + 2);
        await history.write(
          'add',
          batch,
          async () =>
            record(
              await s('PATCH', url, patch({ op: 'Add', path: 'members', value: batch.map((value) => ({ value })) })),
            ),
          `adder${w}.${k}`,
        );
      }
    });
    const togglers = Array.from({ length: 10 }, (_, w) => async () => {
      for (let k = 0; k < 6; k++) {
        const picked = shared.filter(() => rnd() < 0.2);
        const members = picked.length > 0 ? picked : [shared[Math.floor(rnd() * shared.length)] as string];
        if (rnd() < 0.5) {
          await history.write(
            'add',
            members,
            async () =>
              record(
                await s(
                  'PATCH',
                  url,
                  patch({ op: 'add', path: 'members', value: members.map((value) => ({ value })) }),
                ),
              ),
            `toggler${w}.${k}`,
          );
        } else {
          // Both removal shapes: Entra's value list, and Okta's value filter (one member).
          const body =
            members.length === 1
              ? patch({ op: 'remove', path: `members[value eq "${members[0]}"]` })
              : patch({ op: 'Remove', path: 'members', value: members.map((value) => ({ value })) });
          await history.write('remove', members, async () => record(await s('PATCH', url, body)), `toggler${w}.${k}`);
        }
      }
    });
    const readers = Array.from({ length: 4 }, (_, w) => async () => {
      for (let k = 0; k < 10; k++) {
        await history.read(async () => {
          const res = await s('GET', url);
          readStatuses.push(res.status);
          if (res.status !== 200) return undefined;
          return new Set((res.json().members ?? []).map((m: { value: string }) => m.value as string));
        }, `reader${w}.${k}`);
      }
    });
    await Promise.all([...adders, ...togglers, ...readers].map((run) => run()));
    // The final state, read after everything completed, through each instance.
    for (let via = 0; via < client.instances; via++) {
      await history.read(async () => {
        const res = await s('GET', url, undefined, undefined, via);
        return new Set((res.json().members ?? []).map((m: { value: string }) => m.value as string));
      }, `final via ${via}`);
    }
    expect(statuses.filter((x) => x !== 204)).toEqual([]);
    expect(readStatuses.filter((x) => x !== 200)).toEqual([]);
    expect(checkSetHistory(history.ops, initial)).toEqual([]);
    // Every acknowledged add of a member no one removes is in the final set.
    const final = history.ops.at(-1) as { members: ReadonlySet<string> };
    for (const m of exclusive) expect(final.members.has(m)).toBe(true);
    // The group-side view and the user-side view agree (members.value / groups.value filters).
    const filtered = await s(
      'GET',
      `/Users?count=1000&filter=${encodeURIComponent(`groups.value eq "${group.json().id}"`)}`,
    );
    expect(new Set(filtered.json().Resources.map((u: { id: string }) => u.id))).toEqual(final.members);
  });

  it('C2: adding a member while it is deleted never leaves a membership of a deleted user or group', async () => {
    const users = await createUsers('c2d-', 40);
    const nested = await pool(
      8,
      Array.from({ length: 10 }, (_, i) => async () => {
        const res = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: `c2d nested ${i}` });
        expect(res.status).toBe(201);
        return res.json().id as string;
      }),
    );
    const group = (await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'C2 deletes' })).json();
    const url = `/Groups/${group.id}`;
    const outcomes = await pool(
      24,
      [...users.map((id) => ['Users', id] as const), ...nested.map((id) => ['Groups', id] as const)].flatMap(
        ([type, id]) => [
          () => s('PATCH', url, patch({ op: 'Add', path: 'members', value: [{ value: id }] })),
          () => s('DELETE', `/${type}/${id}`),
        ],
      ),
    );
    for (const [i, res] of outcomes.entries()) {
      if (i % 2 === 1) expect(res.status, res.body).toBe(204);
      // The add either ran first (204; the delete then took the membership with it) or found no such member.
      else expect([204, 400], res.body).toContain(res.status);
    }
    for (let via = 0; via < client.instances; via++) {
      const after = (await s('GET', url, undefined, undefined, via)).json();
      expect(after.members ?? []).toEqual([]);
    }
    const gone = users[0] as string;
    expect(
      (await s('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${gone}"`)}`)).json().totalResults,
    ).toBe(0);
  });

  it('C2: groups added to each other at the same moment both succeed (no deadlock, no 5xx)', async () => {
    const ids = await pool(
      8,
      Array.from({ length: 16 }, (_, i) => async () => {
        const res = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: `c2 mutual ${i}` });
        expect(res.status).toBe(201);
        return res.json().id as string;
      }),
    );
    const add = (group: string, member: string) =>
      s('PATCH', `/Groups/${group}`, patch({ op: 'Add', path: 'members', value: [{ value: member }] }));
    const pairs = Array.from({ length: 8 }, (_, i) => [ids[2 * i] as string, ids[2 * i + 1] as string] as const);
    const results = await Promise.all(pairs.flatMap(([x, y]) => [add(x, y), add(y, x)]));
    // A group PATCH naming no attributes answers 204 (RFC 7644 §3.5.2, docs/adr/0022-group-patch-204.md).
    expect(results.map((r) => r.status)).toEqual(Array(16).fill(204));
  });

  it('C3: PATCH and PUT racing DELETE on one user, 200 times: never resurrected, PATCH 200 or 404, never 5xx', async () => {
    const ids = await createUsers('c3-', 200);
    const results = await pool(
      16,
      ids.map((id, i) => async () => {
        const timed = async (run: () => Promise<Res>) => {
          const invoke = performance.now();
          const res = await run();
          return { res, invoke, complete: performance.now() };
        };
        const [p1, del, p2] = await Promise.all([
          timed(() => s('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'displayName', value: `late ${i}` }))),
          timed(() => s('DELETE', `/Users/${id}`)),
          timed(() =>
            i % 2
              ? s('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'active', value: 'False' }))
              : s('PUT', `/Users/${id}`, entraUser(`c3-${i}@conc.example`, `c3-put-${i}`)),
          ),
        ]);
        return { id, p1, del, p2 };
      }),
    );
    for (const { p1, del, p2 } of results) {
      expect(del.res.status, del.res.body).toBe(204);
      for (const p of [p1, p2]) {
        expect([200, 404], p.res.body).toContain(p.res.status);
        // Applied only if it could have been ordered before the delete.
        if (p.res.status === 200) expect(p.invoke).toBeLessThan(del.complete);
      }
    }
    // A resurrected user would be listed; a sample is also read by id, through each instance.
    const sample = ids.filter((_, i) => i % 10 === 0);
    const after = await Promise.all(sample.map((id, i) => s('GET', `/Users/${id}`, undefined, undefined, i)));
    expect(after.map((r) => r.status)).toEqual(Array(sample.length).fill(404));
    const left = await s('GET', `/Users?count=0&filter=${encodeURIComponent('userName sw "c3-"')}`);
    expect(left.json().totalResults).toBe(0);
  });

  it('C4: a token revoked while 100+ requests use it: every request sent after the revoke returned is 401', async () => {
    const t = await makeTenant(client, 'Revoke race');
    const send = (method: HttpMethod, path: string, body?: unknown) =>
      client.send(method, `${t.base}${path}`, { token: t.scimToken, ...(body !== undefined ? { body } : {}) });
    interface Timed {
      kind: 'read' | 'create';
      name: string;
      status: number;
      invoke: number;
      complete: number;
    }
    const log: Timed[] = [];
    let revokeInvoke = Number.POSITIVE_INFINITY;
    let revokeComplete = Number.POSITIVE_INFINITY;
    let revoked: Promise<void> | undefined;
    let sent = 0;
    const sentAfterRevoke = () => log.filter((r) => r.invoke > revokeComplete).length;
    const worker = async (w: number) => {
      for (let k = 0; sent < 100 || sentAfterRevoke() < 20; k++) {
        if (sent > 400) break;
        sent++;
        const kind = k % 2 ? 'create' : 'read';
        const name = `c4-${w}-${k}@conc.example`;
        const invoke = performance.now();
        const res =
          kind === 'create' ? await send('POST', '/Users', entraUser(name, name)) : await send('GET', '/Users?count=1');
        log.push({ kind, name, status: res.status, invoke, complete: performance.now() });
        if (log.length === 40 && !revoked) {
          revoked = (async () => {
            revokeInvoke = performance.now();
            const r = await client.send('DELETE', `/iam/v1/scim/${t.scimTokenId}`, { token: t.adminToken, via: 0 });
            revokeComplete = performance.now();
            expect(r.status).toBe(204);
          })();
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
    await revoked;
    expect(log.length).toBeGreaterThanOrEqual(100);
    for (const r of log) {
      expect([200, 201, 401], `${r.kind} ${r.status}`).toContain(r.status);
      if (r.invoke > revokeComplete) expect(r.status, 'sent after the revoke returned').toBe(401);
      if (r.complete < revokeInvoke) expect(r.status, 'answered before the revoke was sent').not.toBe(401);
    }
    expect(log.filter((r) => r.complete < revokeInvoke).length).toBeGreaterThan(0);
    expect(sentAfterRevoke()).toBeGreaterThanOrEqual(20);
    // No partial state: a create answered 201 exists, one answered 401 wrote nothing.
    const fresh = (
      await client.send('POST', '/iam/v1/scim', {
        token: t.adminToken,
        body: { provider: 'entra', providerDisplayName: 'next' },
      })
    ).json();
    const listed = await client.send('GET', `${t.base}/Users?count=1000`, { token: fresh.token });
    const names = new Set(listed.json().Resources.map((u: { userName: string }) => u.userName));
    const creates = log.filter((r) => r.kind === 'create');
    expect(names).toEqual(new Set(creates.filter((r) => r.status === 201).map((r) => r.name)));
  });

  it('C5: concurrent writes with one If-Match: exactly one wins, the rest are 412, the resource shows the winner', async () => {
    const config = (await s('GET', '/ServiceProviderConfig')).json();
    expect(config.etag.supported).toBe(true);
    const user = (await s('POST', '/Users', entraUser('c5@conc.example', 'c5'))).json();
    const etag = user.meta.version as string;
    const puts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s('PUT', `/Users/${user.id}`, entraUser('c5@conc.example', 'c5', { title: `writer ${i}` }), {
          'if-match': etag,
        }),
      ),
    );
    expect(puts.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(412)]);
    const winner = puts.find((r) => r.status === 200)?.json();
    const now = (await s('GET', `/Users/${user.id}`)).json();
    expect(now.title).toBe(winner.title);
    expect(now.meta.version).not.toBe(etag);

    const group = (await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'C5' })).json();
    const patches = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s('PATCH', `/Groups/${group.id}`, patch({ op: 'replace', path: 'displayName', value: `C5 writer ${i}` }), {
          'if-match': group.meta.version,
        }),
      ),
    );
    expect(patches.map((r) => r.status).sort()).toEqual([204, ...Array(19).fill(412)]);
    const stale = await s('DELETE', `/Groups/${group.id}`, undefined, { 'if-match': group.meta.version });
    expect(stale.status).toBe(412);
    // The one 204 names the writer that won (writer i sent `C5 writer i`) and carries the version now stored.
    const winning = patches.findIndex((r) => r.status === 204);
    const stored = (await s('GET', `/Groups/${group.id}`)).json();
    expect(stored.displayName).toBe(`C5 writer ${winning}`);
    expect(stored.meta.version).toBe(patches[winning]?.headers.etag);
  });
});
