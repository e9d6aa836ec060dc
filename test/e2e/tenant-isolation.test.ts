// Tenant isolation as a differential test (security plan T1–T6): seed tenant B, take a dump of every row that
// belongs to B, run the Entra ID and Okta replays and a seeded random operation stream — salted with B's ids,
// userNames, externalIds and group names — against tenant A, and require B's rows byte-identical afterwards.
// Runs in-process on SQLite and PostgreSQL, and on two Roster processes sharing one PostgreSQL database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedStore } from '../../src/store/open-store.ts';
import { SEED_001_PROVIDER } from '../support/app.ts';
import { dumpGlobal, dumpTenant } from '../support/dump.ts';
import {
  type Client,
  type HttpMethod,
  inProcessTarget,
  makeTenant,
  type Res,
  type SendOptions,
  type Target,
  type TenantHandles,
  twoProcessTarget,
} from '../support/http.ts';
import { entraReplay, oktaReplay } from '../support/replays.ts';
import { CORE_GROUP, entraUser, patch } from '../support/scim.ts';

const SEED = Number(process.env.ISOLATION_SEED ?? 20261123);
const STREAM_OPS = Number(process.env.ISOLATION_OPS ?? 300);
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const B_MARK = 'bee-only-7f3a';
/** Only B's titles carry this; A never sends it, so it must never appear in an answer to A. */
const B_TITLE = 'bee-title-c91e';

/** mulberry32: a small seeded PRNG, so a failing stream can be replayed with ISOLATION_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from nothing');
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}

interface Secrets {
  readonly values: Set<string>;
}

/**
 * A client that fails the test when a response carries one of B's ids or marker strings that the request itself
 * did not send (an echo of the caller's own input is not a leak).
 */
function watching(client: Client, secrets: Secrets): Client {
  return {
    instances: client.instances,
    async send(method: HttpMethod, path: string, options: SendOptions = {}): Promise<Res> {
      const res = await client.send(method, path, options);
      const sent = `${path} ${JSON.stringify(options.body ?? '')}`;
      for (const secret of secrets.values) {
        if (res.body.includes(secret) && !sent.includes(secret)) {
          throw new Error(`${method} ${path} answered with tenant B's "${secret}": ${res.body.slice(0, 300)}`);
        }
      }
      expect(res.status, `${method} ${path}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
      return res;
    },
  };
}

const TARGETS = ['sqlite', 'postgres', 'postgres, two processes'] as const;

describe.each(TARGETS)('tenant isolation on %s', (name) => {
  let target: Target;
  let db: OpenedStore;
  let a: TenantHandles;
  let b: TenantHandles;
  let bSecondToken: { id: string; token: string };
  let bDirectoryId: string;
  let before: Awaited<ReturnType<typeof dumpTenant>>;
  let globalBefore: Record<string, string[]>;
  const secrets: Secrets = { values: new Set() };
  let client: Client;
  const bUsers: { id: string; userName: string; externalId?: string }[] = [];
  const bGroups: { id: string; displayName: string }[] = [];

  const flushLogs = async () => {
    // Reading the provisioning log writes what is buffered; use A's admin, so B's admin token row stays as it is.
    const res = await target.client.send('GET', '/iam/v1/scim/logs?limit=1', { token: a.adminToken, via: 0 });
    expect(res.status).toBe(200);
    if (target.client.instances > 1) {
      await target.client.send('GET', '/iam/v1/scim/logs?limit=1', { token: a.adminToken, via: 1 });
    }
  };

  /**
   * B's rows. A's token at B's URL (A7, below) is a failed authentication at B's URL, which B's admin is shown
   * (docs/scim.md): counted entries that name no token. They are checked here and left out of the dump.
   */
  const dumpB = async () => {
    const attempts = await db.db
      .selectFrom('scim_log')
      .select(['id', 'token_id', 'status', 'summary'])
      .where('tenant_id', '=', b.tenantId)
      .where('operation', '=', 'authenticate')
      .execute();
    for (const e of attempts) {
      expect({ ...e, summary: JSON.parse(e.summary) }).toMatchObject({
        token_id: null,
        status: 401,
        summary: { reason: 'invalid' },
      });
    }
    const dumped = await dumpTenant(db.db, target.kind, b.tenantId);
    const isAttempt = (row: string) => attempts.some((e) => row.includes(e.id));
    const log = dumped.tables.scim_log ?? [];
    return {
      tables: { ...dumped.tables, scim_log: log.filter((row) => !isAttempt(row)) } as Record<string, string[]>,
      rows: dumped.rows - log.filter(isAttempt).length,
    };
  };

  const expectBUnchanged = async () => {
    await flushLogs();
    const after = await dumpB();
    expect(after.rows).toBe(before.rows);
    for (const table of Object.keys(before.tables)) expect(after.tables[table], table).toEqual(before.tables[table]);
    expect(after).toEqual(before);
    expect(await dumpGlobal(db.db, target.kind)).toEqual(globalBefore);
  };

  beforeAll(async () => {
    target = name === 'postgres, two processes' ? await twoProcessTarget() : await inProcessTarget(name, 'inject');
    db = await target.openDb();
    const c = target.client;
    b = await makeTenant(c, 'Tenant B');
    a = await makeTenant(c, 'Tenant A');

    // B: everything an IdP leaves behind (the same replays A will run, so A reuses B's names: T4), ...
    // (The two replays touch disjoint names, so they run side by side.)
    await Promise.all([entraReplay(c, b), oktaReplay(c, b)]);
    // ... a second SCIM connection on a directory connection (SCIM only, ADR 0043), with objects of its own, ...
    const directory = await c.send('POST', '/iam/v1/directories', {
      token: b.adminToken,
      body: { scheme: 'okta', displayName: 'B second IdP', type: 'okta' },
    });
    expect(directory.status).toBe(201);
    bDirectoryId = directory.json().id;
    const second = await c.send('POST', '/iam/v1/scim', {
      token: b.adminToken,
      body: { provider: 'okta', providerDisplayName: 'B Okta' },
    });
    expect(second.status).toBe(201);
    bSecondToken = { id: second.json().id, token: second.json().token };
    const bSend = (method: HttpMethod, path: string, body?: unknown, token = b.scimToken) =>
      c.send(method, `${b.base}${path}`, { token, ...(body !== undefined ? { body } : {}) });
    const marked: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await bSend(
        'POST',
        '/Users',
        entraUser(`${B_MARK}.user${i}@b.example`, `${B_MARK}-ext-${i}`, { title: `${B_TITLE} ${i}` }),
        i % 2 === 0 ? b.scimToken : bSecondToken.token,
      );
      expect(res.status).toBe(201);
      marked.push(res.json().id);
    }
    expect(
      (await bSend('PATCH', `/Users/${marked[0]}`, patch({ op: 'Replace', path: 'active', value: 'False' }))).status,
    ).toBe(200);
    const team = await bSend('POST', '/Groups', {
      schemas: [CORE_GROUP],
      displayName: `${B_MARK} team`,
      externalId: `${B_MARK}-group`,
      members: marked.slice(0, 3).map((value) => ({ value })),
    });
    expect(team.status).toBe(201);
    const outer = await bSend(
      'POST',
      '/Groups',
      {
        schemas: [CORE_GROUP],
        displayName: 'Sales',
        members: [{ value: team.json().id }, { value: marked[4] }],
      },
      bSecondToken.token,
    );
    // B already has "Sales" from the Entra replay: a 409, which is in B's provisioning log too.
    expect(outer.status).toBe(409);
    const nested = await bSend('POST', '/Groups', {
      schemas: [CORE_GROUP],
      displayName: `${B_MARK} outer`,
      members: [{ value: team.json().id }, { value: marked[4] }],
    });
    expect(nested.status).toBe(201);
    // ... an app for sign-in, and its tenant's discovery document (signing keys).
    const app = await c.send('POST', '/iam/v1/clients', {
      token: b.adminToken,
      body: { client_name: 'B app', type: 'confidential', redirect_uris: ['https://app.b.example/cb'] },
    });
    expect(app.status).toBe(201);
    await c.send('GET', `/${b.tenantId}/.well-known/openid-configuration`);

    // What B has, read through B's own token: A must never see any of it.
    let start = 1;
    for (;;) {
      const page = (await bSend('GET', `/Users?startIndex=${start}&count=100`)).json();
      for (const u of page.Resources) bUsers.push({ id: u.id, userName: u.userName, externalId: u.externalId });
      start += page.Resources.length;
      if (page.Resources.length === 0 || start > page.totalResults) break;
    }
    const groups = (await bSend('GET', '/Groups?count=1000&excludedAttributes=members')).json();
    for (const g of groups.Resources) bGroups.push({ id: g.id, displayName: g.displayName });
    expect(bUsers.length).toBeGreaterThan(40);
    expect(bGroups.length).toBeGreaterThanOrEqual(3);
    for (const u of bUsers) secrets.values.add(u.id);
    for (const g of bGroups) secrets.values.add(g.id);
    secrets.values.add(B_TITLE);
    secrets.values.add(b.tenantId);
    secrets.values.add(b.scimTokenId);
    secrets.values.add(bSecondToken.id);
    secrets.values.add(bDirectoryId);
    client = watching(c, secrets);

    await flushLogs();
    before = await dumpB();
    globalBefore = await dumpGlobal(db.db, target.kind);
    // The dump covers every kind of row B owns.
    for (const table of [
      'tenants',
      'admin_tokens',
      'sso_providers',
      'scim_tokens',
      'audit_events',
      'scim_users',
      'scim_groups',
      'scim_group_members',
      'scim_log',
      'oidc_clients',
      'directory_connections',
    ]) {
      expect(before.tables[table]?.length ?? 0, table).toBeGreaterThan(0);
    }
    expect(before.tables.scim_tokens).toHaveLength(2);
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await target?.dispose();
  });

  it('T4/T5: the Entra ID and Okta replays pass on A with B’s names taken, and B stays byte-identical', async () => {
    await Promise.all([entraReplay(client, a), oktaReplay(client, a)]);
    await expectBUnchanged();
  });

  it('T1–T5: a seeded random stream on A, salted with B’s ids, names and externalIds, leaves B byte-identical', async () => {
    const rnd = prng(SEED);
    const at = `seed ${SEED}`;
    const s = (method: HttpMethod, path: string, body?: unknown) =>
      client.send(method, `${a.base}${path}`, { token: a.scimToken, ...(body !== undefined ? { body } : {}) });

    // A's model, read from A itself (the replays ran first).
    const users = new Map<string, { key: string; externalId: string | undefined }>();
    const groups = new Map<string, { key: string; members: Set<string> }>();
    const listUsers = async () => {
      const out = new Map<string, { key: string; externalId: string | undefined }>();
      for (let start = 1; ; ) {
        const page = (await s('GET', `/Users?startIndex=${start}&count=100&attributes=userName,externalId`)).json();
        for (const u of page.Resources) out.set(u.id, { key: u.userName.toLowerCase(), externalId: u.externalId });
        start += page.Resources.length;
        if (page.Resources.length === 0 || start > page.totalResults) return out;
      }
    };
    const listGroups = async () => {
      const out = new Map<string, { key: string; members: Set<string> }>();
      const page = (await s('GET', '/Groups?count=1000')).json();
      for (const g of page.Resources) {
        out.set(g.id, {
          key: g.displayName.toLowerCase(),
          members: new Set((g.members ?? []).map((m: { value: string }) => m.value)),
        });
      }
      return out;
    };
    for (const [id, u] of await listUsers()) users.set(id, u);
    for (const [id, g] of await listGroups()) groups.set(id, g);
    expect(users.size).toBeGreaterThan(30);

    // 404 bodies for ids that exist nowhere: a foreign id must be answered exactly like these.
    const randomId = '0190f0a0-0000-7000-8000-000000000000';
    const baseline = new Map<string, Res>();
    for (const type of ['Users', 'Groups'] as const) {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        baseline.set(`${method} ${type}`, await s(method, `/${type}/${randomId}`, bodyFor(method, type)));
      }
    }
    function bodyFor(method: HttpMethod, type: 'Users' | 'Groups'): unknown {
      if (method === 'PUT')
        return type === 'Users' ? entraUser('put@a.example', 'put') : { schemas: [CORE_GROUP], displayName: 'Put' };
      if (method === 'PATCH') return patch({ op: 'replace', path: 'displayName', value: 'x' });
      return undefined;
    }
    const expectForeign404 = async (method: HttpMethod, type: 'Users' | 'Groups', id: string) => {
      const res = await s(method, `/${type}/${id}`, bodyFor(method, type));
      const ref = baseline.get(`${method} ${type}`) as Res;
      expect(res.status, `${at}: ${method} ${type}/${id}`).toBe(404);
      expect(res.body, `${at}: ${method} ${type}`).toBe(ref.body);
      expect(res.headers['content-type']).toBe(ref.headers['content-type']);
    };
    const idsOf = (res: Res) =>
      res
        .json()
        .Resources.map((r: { id: string }) => r.id)
        .sort();
    const expectIds = (res: Res, expected: Iterable<string>, what: string) => {
      expect(res.status, `${at}: ${what} ${res.body.slice(0, 200)}`).toBe(200);
      expect(idsOf(res), `${at}: ${what}`).toEqual([...expected].sort());
    };

    const bNames = bUsers.map((u) => u.userName);
    const bExternal = bUsers.map((u) => u.externalId).filter((x): x is string => typeof x === 'string');
    const freshNames = Array.from({ length: 25 }, (_, i) => `stream${i}@a.example`);
    const groupNames = [...bGroups.map((g) => g.displayName), 'Stream One', 'Stream Two', 'stream three'];
    const userWithKey = (key: string) => [...users].find(([, u]) => u.key === key)?.[0];
    const groupWithKey = (key: string) => [...groups].find(([, g]) => g.key === key)?.[0];
    const counts: Record<string, number> = {};

    // Two processes cost more per request; half the stream there still covers every kind of operation.
    const steps = target.client.instances > 1 ? Math.ceil(STREAM_OPS / 2) : STREAM_OPS;
    for (let step = 0; step < steps; step++) {
      const roll = rnd.int(100);
      const kind =
        roll < 14
          ? 'createUser'
          : roll < 22
            ? 'putUser'
            : roll < 32
              ? 'patchUser'
              : roll < 38
                ? 'deleteUser'
                : roll < 44
                  ? 'createGroup'
                  : roll < 56
                    ? 'addMembers'
                    : roll < 62
                      ? 'removeMembers'
                      : roll < 64
                        ? 'deleteGroup'
                        : roll < 76
                          ? 'foreignId'
                          : roll < 90
                            ? 'filter'
                            : roll < 94
                              ? 'bulk'
                              : roll < 97
                                ? 'foreignAdmin'
                                : 'listAll';
      counts[kind] = (counts[kind] ?? 0) + 1;
      const where = `${at} step ${step} ${kind}`;
      switch (kind) {
        case 'createUser': {
          const userName = rnd.next() < 0.5 ? rnd.pick(bNames) : rnd.pick(freshNames);
          const externalId = rnd.next() < 0.5 ? rnd.pick(bExternal) : `a-ext-${step}`;
          const res = await s('POST', '/Users', entraUser(userName, externalId));
          if (userWithKey(userName.toLowerCase())) {
            expect(res.status, where).toBe(409);
            expect(res.json().scimType).toBe('uniqueness');
          } else {
            expect(res.status, `${where} ${res.body}`).toBe(201);
            users.set(res.json().id, { key: userName.toLowerCase(), externalId });
          }
          break;
        }
        case 'putUser': {
          const id = rnd.pick([...users.keys()]);
          const userName = rnd.next() < 0.5 ? rnd.pick(bNames) : rnd.pick(freshNames);
          const externalId = rnd.pick(bExternal);
          const res = await s('PUT', `/Users/${id}`, entraUser(userName, externalId));
          const holder = userWithKey(userName.toLowerCase());
          if (holder !== undefined && holder !== id) {
            expect(res.status, where).toBe(409);
          } else {
            expect(res.status, `${where} ${res.body}`).toBe(200);
            users.set(id, { key: userName.toLowerCase(), externalId });
          }
          break;
        }
        case 'patchUser': {
          const id = rnd.pick([...users.keys()]);
          const externalId = rnd.pick(bExternal);
          const res = await s(
            'PATCH',
            `/Users/${id}`,
            patch(
              { op: 'Replace', path: 'externalId', value: externalId },
              { op: 'Replace', path: 'active', value: rnd.next() < 0.5 ? 'False' : 'True' },
              { op: 'Replace', path: 'title', value: `step ${step}` },
            ),
          );
          expect(res.status, `${where} ${res.body}`).toBe(200);
          (users.get(id) as { externalId: string | undefined }).externalId = externalId;
          break;
        }
        case 'deleteUser': {
          if (users.size < 20) break;
          const id = rnd.pick([...users.keys()]);
          expect((await s('DELETE', `/Users/${id}`)).status, where).toBe(204);
          users.delete(id);
          for (const g of groups.values()) g.members.delete(id);
          break;
        }
        case 'createGroup': {
          const displayName = rnd.pick(groupNames);
          const members = [...users.keys()].filter(() => rnd.next() < 0.1).slice(0, 5);
          const res = await s('POST', '/Groups', {
            schemas: [CORE_GROUP],
            displayName,
            members: members.map((value) => ({ value })),
          });
          if (groupWithKey(displayName.toLowerCase())) {
            expect(res.status, where).toBe(409);
          } else {
            expect(res.status, `${where} ${res.body}`).toBe(201);
            groups.set(res.json().id, { key: displayName.toLowerCase(), members: new Set(members) });
          }
          break;
        }
        case 'addMembers': {
          if (groups.size === 0) break;
          const gid = rnd.pick([...groups.keys()]);
          const own = [...users.keys(), ...groups.keys()].filter((x) => x !== gid && rnd.next() < 0.05).slice(0, 6);
          // T2: a foreign member (user or group of B) spoils the whole request.
          const foreign = rnd.next() < 0.4 ? [rnd.pick([...bUsers.map((u) => u.id), ...bGroups.map((g) => g.id)])] : [];
          const value = [...own, ...foreign].map((v) => ({ value: v }));
          if (value.length === 0) break;
          const res = await s('PATCH', `/Groups/${gid}`, patch({ op: 'Add', path: 'members', value }));
          if (foreign.length > 0) {
            expect(res.status, where).toBe(400);
            expect(res.json().scimType).toBe('invalidValue');
          } else {
            expect(res.status, `${where} ${res.body}`).toBe(204);
            for (const m of own) (groups.get(gid) as { members: Set<string> }).members.add(m);
          }
          break;
        }
        case 'removeMembers': {
          if (groups.size === 0) break;
          const gid = rnd.pick([...groups.keys()]);
          const group = groups.get(gid) as { members: Set<string> };
          const doomed = [...group.members].filter(() => rnd.next() < 0.5);
          // Removing a foreign id removes nothing (it is not a member) and touches nothing of B's.
          const values = [...doomed, rnd.pick(bUsers).id].map((value) => ({ value }));
          const res = await s('PATCH', `/Groups/${gid}`, patch({ op: 'Remove', path: 'members', value: values }));
          expect(res.status, `${where} ${res.body}`).toBe(204);
          for (const m of doomed) group.members.delete(m);
          break;
        }
        case 'deleteGroup': {
          if (groups.size < 3) break;
          const gid = rnd.pick([...groups.keys()]);
          expect((await s('DELETE', `/Groups/${gid}`)).status, where).toBe(204);
          groups.delete(gid);
          for (const g of groups.values()) g.members.delete(gid);
          break;
        }
        case 'foreignId': {
          // T1: B's ids under A's token, every method, answered exactly like an id that exists nowhere.
          const method = rnd.pick(['GET', 'PUT', 'PATCH', 'DELETE'] as const);
          if (rnd.next() < 0.6) await expectForeign404(method, 'Users', rnd.pick(bUsers).id);
          else await expectForeign404(method, 'Groups', rnd.pick(bGroups).id);
          break;
        }
        case 'filter': {
          // T3: lookups by B's values find only A's own resources (none, for B's ids).
          const which = rnd.int(6);
          if (which === 0) {
            const userName = rnd.pick(bNames);
            const expected = [...users].filter(([, u]) => u.key === userName.toLowerCase()).map(([id]) => id);
            expectIds(await s('GET', `/Users?filter=${q(`userName eq "${userName}"`)}`), expected, where);
          } else if (which === 1) {
            const ext = rnd.pick(bExternal);
            const expected = [...users].filter(([, u]) => u.externalId === ext).map(([id]) => id);
            expectIds(await s('GET', `/Users?count=1000&filter=${q(`externalId eq "${ext}"`)}`), expected, where);
          } else if (which === 2) {
            const id = rnd.pick([...bUsers.map((u) => u.id), ...bGroups.map((g) => g.id)]);
            expectIds(await s('GET', `/Groups?filter=${q(`members.value eq "${id}"`)}`), [], where);
            expectIds(await s('GET', `/Users?filter=${q(`id eq "${id}"`)}`), [], where);
            expectIds(await s('GET', `/Users?filter=${q(`groups.value eq "${id}"`)}`), [], where);
          } else if (which === 3) {
            const displayName = rnd.pick(bGroups).displayName;
            const expected = [...groups].filter(([, g]) => g.key === displayName.toLowerCase()).map(([id]) => id);
            expectIds(await s('GET', `/Groups?filter=${q(`displayName eq "${displayName}"`)}`), expected, where);
          } else if (which === 4) {
            // Root search over both types with B's name: only A's own.
            const userName = rnd.pick(bNames);
            const res = await client.send('POST', `${a.base}/.search`, {
              token: a.scimToken,
              body: {
                schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
                filter: `userName eq "${userName}" or externalId eq "${rnd.pick(bExternal)}"`,
                count: 1000,
              },
            });
            expect(res.status, where).toBe(200);
            for (const id of idsOf(res)) expect(users.has(id), where).toBe(true);
          } else {
            const gid = rnd.pick(bGroups).id;
            expectIds(
              await s('GET', `/Users?filter=${q(`groups[value eq "${gid}"] or title co "${B_TITLE}"`)}`),
              [],
              where,
            );
          }
          break;
        }
        case 'bulk': {
          // Bulk names B's resources by path; each operation is the 404 a direct request would be.
          const bUser = rnd.pick(bUsers).id;
          const bGroup = rnd.pick(bGroups).id;
          const res = await client.send('POST', `${a.base}/Bulk`, {
            token: a.scimToken,
            body: {
              schemas: [BULK_REQUEST],
              Operations: [
                { method: 'PATCH', path: `/Users/${bUser}`, data: patch({ op: 'replace', path: 'title', value: 'x' }) },
                { method: 'DELETE', path: `/Groups/${bGroup}` },
                { method: 'PUT', path: `/Users/${bUser}`, data: entraUser('bulk@a.example', 'bulk') },
              ],
            },
          });
          expect(res.status, `${where} ${res.body}`).toBe(200);
          expect(
            res.json().Operations.map((o: { status: string }) => o.status),
            where,
          ).toEqual(['404', '404', '404']);
          break;
        }
        case 'foreignAdmin': {
          // A's admin token against B's SCIM tokens and provisioning log (A16 seen from the SCIM side).
          const revoke = await client.send('DELETE', `/iam/v1/scim/${rnd.pick([b.scimTokenId, bSecondToken.id])}`, {
            token: a.adminToken,
          });
          expect(revoke.status, where).toBe(404);
          const logs = await client.send('GET', `/iam/v1/scim/logs?resourceId=${rnd.pick(bUsers).id}`, {
            token: a.adminToken,
          });
          // A's log lists A's own refused attempts on that id, and nothing of B's.
          expect(logs.status, where).toBe(200);
          for (const item of logs.json().items) {
            expect(item.tokenId, where).toBe(a.scimTokenId);
            expect(item.status, where).toBeGreaterThanOrEqual(400);
          }
          // A's token at B's URL, and B's token at A's URL: 401 (A7).
          expect((await client.send('GET', `${b.base}/Users`, { token: a.scimToken })).status).toBe(401);
          break;
        }
        case 'listAll': {
          const listed = await listUsers();
          expect([...listed.keys()].sort(), where).toEqual([...users.keys()].sort());
          break;
        }
      }
    }
    // The model and A agree at the end, and every kind of operation ran.
    expect([...(await listUsers()).keys()].sort(), at).toEqual([...users.keys()].sort());
    const finalGroups = await listGroups();
    expect([...finalGroups.keys()].sort(), at).toEqual([...groups.keys()].sort());
    for (const [id, g] of groups)
      expect([...(finalGroups.get(id)?.members ?? [])].sort(), at).toEqual([...g.members].sort());
    for (const k of ['createUser', 'putUser', 'patchUser', 'addMembers', 'foreignId', 'filter', 'bulk'])
      expect(counts[k] ?? 0, `${at}: ${k} ran`).toBeGreaterThan(0);
    await expectBUnchanged();
  });

  it('T6: two SCIM connections of one tenant share its directory; provenance and the log tell them apart', async () => {
    // docs/scim.md: every connection of a tenant provisions into the tenant's one directory (one userName
    // namespace); each resource records the token and provider that created it; revoking a token leaves what it
    // provisioned. This pins that behaviour (see docs/isolation-and-concurrency.md on T6).
    const c = target.client;
    const t = await makeTenant(c, 'Two connections');
    expect(
      (
        await c.send('POST', '/iam/v1/sso/azuread', {
          token: t.adminToken,
          body: { ...SEED_001_PROVIDER, scheme: 'okta', displayName: 'Okta' },
        })
      ).status,
    ).toBe(201);
    const okta = (
      await c.send('POST', '/iam/v1/scim', {
        token: t.adminToken,
        body: { provider: 'okta', providerDisplayName: 'o' },
      })
    ).json();
    const entraSend = (method: HttpMethod, path: string, body?: unknown) =>
      c.send(method, `${t.base}${path}`, { token: t.scimToken, ...(body !== undefined ? { body } : {}) });
    const oktaSend = (method: HttpMethod, path: string, body?: unknown) =>
      c.send(method, `${t.base}${path}`, { token: okta.token, ...(body !== undefined ? { body } : {}) });

    const byEntra = (await entraSend('POST', '/Users', entraUser('shared@t.example', 'e1'))).json();
    const byOkta = (await oktaSend('POST', '/Users', entraUser('okta.only@t.example', 'o1'))).json();
    const group = (
      await entraSend('POST', '/Groups', {
        schemas: [CORE_GROUP],
        displayName: 'Both',
        members: [{ value: byEntra.id }],
      })
    ).json();
    // Each connection sees and may change the other's objects: one directory per tenant.
    expect((await oktaSend('GET', `/Users/${byEntra.id}`)).json().userName).toBe('shared@t.example');
    expect(idsOfList(await oktaSend('GET', `/Users?filter=${q('userName eq "shared@t.example"')}`))).toEqual([
      byEntra.id,
    ]);
    expect(
      (await oktaSend('PATCH', `/Users/${byEntra.id}`, patch({ op: 'replace', path: 'title', value: 'by okta' })))
        .status,
    ).toBe(200);
    expect(
      (
        await oktaSend(
          'PATCH',
          `/Groups/${group.id}`,
          patch({ op: 'add', path: 'members', value: [{ value: byOkta.id }] }),
        )
      ).status,
    ).toBe(204);
    const dup = await oktaSend('POST', '/Users', entraUser('SHARED@t.example', 'o2'));
    expect(dup.status).toBe(409);
    expect(dup.json().scimType).toBe('uniqueness');

    // Provenance: the creating token and provider stay with the resource, whoever changes it later.
    const rows = await db.db
      .selectFrom('scim_users')
      .select(['id', 'created_by_token', 'provider'])
      .where('tenant_id', '=', t.tenantId)
      .execute();
    expect(rows.find((r) => r.id === byEntra.id)).toMatchObject({ created_by_token: t.scimTokenId, provider: 'entra' });
    expect(rows.find((r) => r.id === byOkta.id)).toMatchObject({ created_by_token: okta.id, provider: 'okta' });
    // The provisioning log names the token of every request (each process flushes its own buffer when read).
    for (let via = 0; via < c.instances; via++) {
      await c.send('GET', '/iam/v1/scim/logs?limit=1', { token: t.adminToken, via });
    }
    const log = (await c.send('GET', `/iam/v1/scim/logs?resourceId=${byEntra.id}`, { token: t.adminToken })).json()
      .items as { tokenId: string }[];
    expect(new Set(log.map((e) => e.tokenId))).toEqual(new Set([t.scimTokenId, okta.id]));

    // Revoking one connection stops it at once and leaves its objects to the other.
    expect((await c.send('DELETE', `/iam/v1/scim/${t.scimTokenId}`, { token: t.adminToken })).status).toBe(204);
    expect((await entraSend('GET', `/Users/${byEntra.id}`)).status).toBe(401);
    const kept = (await oktaSend('GET', `/Groups/${group.id}`)).json();
    expect(kept.members.map((m: { value: string }) => m.value).sort()).toEqual([byEntra.id, byOkta.id].sort());
    await expectBUnchanged();
  });

  it('A16: B’s directory connection is 404 to A by id and by scheme, and its scheme is B’s alone', async () => {
    const asA = (method: HttpMethod, path: string, body?: unknown) =>
      client.send(method, path, { token: a.adminToken, ...(body !== undefined ? { body } : {}) });
    for (const ref of [bDirectoryId, 'okta']) {
      for (const [method, body] of [
        ['GET', undefined],
        ['PATCH', { displayName: 'taken over' }],
        ['DELETE', undefined],
      ] as const) {
        const res = await asA(method, `/iam/v1/directories/${ref}`, body);
        expect(res.status, `${method} ${ref}`).toBe(404);
        expect(res.json().code).toBe('directories.not_found');
      }
    }
    expect((await asA('GET', '/iam/v1/directories')).json().items).toEqual([]);
    // B's scheme names nothing in A: no token of A can be linked to B's connection ...
    const token = await asA('POST', '/iam/v1/scim', { provider: 'okta', providerDisplayName: 'hijack' });
    expect(token.status).toBe(422);
    expect(token.json().code).toBe('scim_token.provider_unknown');
    // ... and A may use the same scheme for a connection of its own.
    const own = await asA('POST', '/iam/v1/directories', { scheme: 'okta', displayName: 'A Okta', type: 'okta' });
    expect(own.status).toBe(201);
    expect(own.json().id).not.toBe(bDirectoryId);
    await expectBUnchanged();
  });
});

function q(filter: string): string {
  return encodeURIComponent(filter);
}

function idsOfList(res: Res): string[] {
  return res.json().Resources.map((r: { id: string }) => r.id);
}
