// The feed's guarantee under load (ADR 0018): concurrent SCIM writers — on SQLite, on PostgreSQL, and on two Roster
// processes sharing one PostgreSQL — plus transactions held open on purpose while later ones commit, raced against
// readers that checkpoint their cursor after every small page. Afterwards what the readers saw is compared with
// what was committed: every committed event exactly once, every acknowledged write's event present, and each
// resource's events in the order its writes committed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import { OPERATOR_TOKEN } from '../support/app.ts';
import {
  type Client,
  inProcessTarget,
  makeTenant,
  pool,
  type Target,
  type TenantHandles,
  twoProcessTarget,
} from '../support/http.ts';
import { CORE_GROUP, entraUser, patch } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

interface Envelope {
  id: string;
  type: string;
  tenantId: string;
  // biome-ignore lint/suspicious/noExplicitAny: event bodies are inspected field by field
  data: any;
}

const TARGETS: readonly string[] = [
  ...STORE_KINDS,
  ...(STORE_KINDS.includes('postgres') ? ['postgres, two processes'] : []),
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A consumer that keeps only its cursor between pages (as if it restarted after each one). */
class Reader {
  cursor: string | undefined;
  readonly seen: Envelope[] = [];
  pages = 0;
  constructor(
    private readonly client: Client,
    private readonly token: string,
    private readonly path: string,
    private readonly limit: number,
  ) {}

  /** One page; answers whether more follow. */
  async page(): Promise<boolean> {
    const q = `limit=${this.limit}${this.cursor ? `&after=${this.cursor}` : ''}`;
    const res = await this.client.send('GET', `${this.path}?${q}`, { token: this.token });
    if (res.status !== 200) throw new Error(`feed: ${res.status} ${res.body}`);
    const body = res.json();
    this.seen.push(...body.data);
    this.cursor = body.nextCursor;
    this.pages++;
    return body.hasMore;
  }
}

describe.each(TARGETS)('the event feed under concurrent writers on %s', (name) => {
  let target: Target;
  let tenant: TenantHandles;

  beforeAll(async () => {
    target =
      name === 'postgres, two processes'
        ? await twoProcessTarget()
        : await inProcessTarget(name as 'sqlite' | 'postgres', 'listen');
    tenant = await makeTenant(target.client, 'Race');
  }, 60_000);
  afterAll(() => target?.dispose());

  it('readers see every committed event once, in commit order per resource, with no gap', async () => {
    const client = target.client;
    const s = (method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
      client.send(method, `${tenant.base}${path}`, { token: tenant.scimToken, ...(body ? { body } : {}) });

    const groups: string[] = [];
    for (let g = 0; g < 4; g++) {
      const res = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: `Race ${g}` });
      expect(res.status, res.body).toBe(201);
      groups.push(res.json().id);
    }

    // What the writers were told was done.
    const acknowledged = {
      created: new Set<string>(),
      versions: new Map<string, string[]>(),
      deleted: new Set<string>(),
    };
    let writing = true;
    const tenantReader = new Reader(client, tenant.adminToken, '/iam/v1/events', 7);
    const operatorReader = new Reader(client, OPERATOR_TOKEN, '/iam/v1/operator/events', 50);
    const readLoop = async (reader: Reader) => {
      while (writing) {
        await reader.page();
        await sleep(2);
      }
    };
    const readers = [readLoop(tenantReader), readLoop(operatorReader)];

    // Transactions that take their event's place and then stay open while later writers commit (a slow request,
    // a paused process): a feed ordered by insertion position alone would let readers step past them.
    const store = await target.openDb();
    const slow: string[] = [];
    const slowWriters = Array.from({ length: 4 }, async (_, i) => {
      await sleep(40 + i * 60);
      const id = `evt_${newId()}`;
      await store.scim.transaction(async (tx) => {
        await tx.events.append([
          {
            id,
            type: 'user.updated',
            tenantId: tenant.tenantId,
            occurredAt: new Date().toISOString(),
            data: { slow: i },
          },
        ]);
        await sleep(name === 'sqlite' ? 30 : 250);
      });
      slow.push(id);
    });

    const userWork = Array.from({ length: 40 }, (_, i) => async () => {
      const created = await s('POST', '/Users', entraUser(`race${i}@race.example`, `race-${i}`));
      expect(created.status, created.body).toBe(201);
      const id = created.json().id as string;
      acknowledged.created.add(id);
      const versions: string[] = [];
      acknowledged.versions.set(id, versions);
      for (let k = 0; k < 3; k++) {
        const res = await s(
          'PATCH',
          `/Users/${id}`,
          patch({ op: 'replace', path: 'displayName', value: `R ${i}.${k}` }),
        );
        expect(res.status, res.body).toBe(200);
        versions.push(res.json().meta.version);
      }
      const off = await s('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'active', value: false }));
      expect(off.status).toBe(200);
      versions.push(off.json().meta.version);
      const group = groups[i % groups.length]!;
      const add = await s('PATCH', `/Groups/${group}`, patch({ op: 'add', path: 'members', value: [{ value: id }] }));
      expect(add.status).toBe(204);
      if (i % 3 === 0) {
        const rm = await s('PATCH', `/Groups/${group}`, patch({ op: 'remove', path: `members[value eq "${id}"]` }));
        expect(rm.status).toBe(204);
      }
      if (i % 4 === 0) {
        expect((await s('DELETE', `/Users/${id}`)).status).toBe(204);
        acknowledged.deleted.add(id);
      }
    });
    // Hot users: many writers PATCH the same rows at once (row locks decide the commit order, ADR 0010).
    const hot: string[] = [];
    for (let h = 0; h < 3; h++) {
      const res = await s('POST', '/Users', entraUser(`hot${h}@race.example`, `hot-${h}`));
      hot.push(res.json().id);
      acknowledged.created.add(res.json().id);
      acknowledged.versions.set(res.json().id, []);
    }
    // Half of them through Bulk: on PostgreSQL a PATCH on its own endpoint writes in one statement on the user read
    // with the token, and a Bulk operation has no such read, so it takes the locked transaction (ADR 0057). Both
    // kinds of writer meet on the same rows, and each must queue on the resource's lock before taking an xid.
    const hotWork = Array.from({ length: 60 }, (_, i) => async () => {
      const id = hot[i % hot.length]!;
      const rename = patch({ op: 'replace', path: 'title', value: `T ${i}` });
      if (i % 2 === 0) {
        const res = await s('PATCH', `/Users/${id}`, rename);
        expect(res.status, res.body).toBe(200);
        acknowledged.versions.get(id)!.push(res.json().meta.version);
        return;
      }
      const bulk = await s('POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [{ method: 'PATCH', path: `/Users/${id}`, data: rename }],
      });
      expect(bulk.status, bulk.body).toBe(200);
      const [op] = bulk.json().Operations;
      expect(op.status, bulk.body).toBe('200');
      acknowledged.versions.get(id)!.push(op.version);
    });
    await Promise.all([
      pool(
        16,
        [...userWork, ...hotWork].sort(() => Math.random() - 0.5),
      ),
      ...slowWriters,
    ]);
    writing = false;
    await Promise.all(readers);

    // Committed: the outbox rows as the database holds them now.
    const committed = await store.db.selectFrom('events').select(['id', 'tenant_id']).execute();
    await store.close();
    const committedHere = new Set(committed.filter((r) => r.tenant_id === tenant.tenantId).map((r) => r.id));

    // Drain: everything committed becomes visible once no older transaction is running.
    const deadline = Date.now() + 15_000;
    for (const reader of [tenantReader, operatorReader]) {
      for (;;) {
        const more = await reader.page();
        const mine = reader.seen.filter((e) => e.tenantId === tenant.tenantId).length;
        if (!more && mine >= committedHere.size) break;
        if (Date.now() > deadline) break;
        if (!more) await sleep(20);
      }
    }

    const mine = (reader: Reader) => reader.seen.filter((e) => e.tenantId === tenant.tenantId);
    for (const reader of [tenantReader, operatorReader]) {
      const ids = mine(reader).map((e) => e.id);
      expect(ids.length - new Set(ids).size, 'duplicates').toBe(0);
      expect(new Set(ids), 'seen = committed').toEqual(committedHere);
    }
    expect(tenantReader.pages).toBeGreaterThan(20);
    // Both feeds give one order.
    expect(mine(operatorReader).map((e) => e.id)).toEqual(mine(tenantReader).map((e) => e.id));
    for (const id of slow) expect(committedHere.has(id)).toBe(true);

    const events = tenantReader.seen;
    // Every acknowledged write has its event.
    const createdIds = new Set(events.filter((e) => e.type === 'user.created').map((e) => e.data.id));
    for (const id of acknowledged.created) expect(createdIds.has(id)).toBe(true);
    const deletedIds = new Set(events.filter((e) => e.type === 'user.deleted').map((e) => e.data.id));
    expect(deletedIds).toEqual(acknowledged.deleted);
    // Per user: created first, versions strictly rising in feed order and covering each acknowledged PATCH, deleted last.
    for (const [id, versions] of acknowledged.versions) {
      const own = events.filter((e) => e.data.id === id);
      expect(own[0]!.type).toBe('user.created');
      const seenVersions = own
        .filter((e) => e.data.scim)
        .map((e) => Number(/"(\d+)"/.exec(e.data.scim.meta.version)![1]));
      expect(seenVersions).toEqual([...seenVersions].sort((x, y) => x - y));
      expect(new Set(seenVersions).size).toBe(seenVersions.length);
      for (const v of versions) expect(seenVersions).toContain(Number(/"(\d+)"/.exec(v)![1]));
      if (acknowledged.deleted.has(id)) expect(own[own.length - 1]!.type).toBe('user.deleted');
    }
    // Per membership: added, then removed, alternating.
    const byPair = new Map<string, string[]>();
    for (const e of events.filter((x) => x.type.startsWith('group.member_'))) {
      const key = `${e.data.groupId}/${e.data.memberId}`;
      byPair.set(key, [...(byPair.get(key) ?? []), e.type]);
    }
    expect(byPair.size).toBe(40);
    for (const [key, types] of byPair) {
      types.forEach((type, i) => {
        expect(type, key).toBe(i % 2 === 0 ? 'group.member_added' : 'group.member_removed');
      });
    }
  }, 120_000);
});
