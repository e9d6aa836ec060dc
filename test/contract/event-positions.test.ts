// Feed positions compare as numbers on PostgreSQL, where they are (xid, seq): transaction ids of different lengths
// (9, 10, 100) must sort numerically in the feed and in retention, never as text ("10" < "9").
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/stores.ts';

const OLD = '2026-01-01T00:00:00.000Z';
const NEW = '2026-03-01T00:00:00.000Z';

describe.runIf(STORE_KINDS.includes('postgres'))('event positions on PostgreSQL', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore('postgres');
    // Rows as transactions 9, 10 and 100 wrote them (committed long ago: below every snapshot's horizon).
    const rows: [string, number, string][] = [
      ['9', 1, OLD],
      ['10', 2, OLD],
      ['100', 3, NEW],
    ];
    for (const [xid, seq, at] of rows) {
      await sql`insert into events (xid, seq, id, tenant_id, type, occurred_at, data)
        values (${xid}::xid8, ${seq}, ${`evt_${seq}`}, 't', 'user.created', ${at}, '{}')`.execute(t.store.db);
    }
  });
  afterAll(() => t?.dispose());

  it('reads the feed in numeric xid order', async () => {
    const page = await t.store.feed.read({ tenantId: undefined, after: undefined, limit: 10, types: undefined });
    expect(page.events.map((e) => e.position)).toEqual([
      { xid: '9', seq: '1' },
      { xid: '10', seq: '2' },
      { xid: '100', seq: '3' },
    ]);
  });

  it('prunes the old events up to the first retained one, in numeric order', async () => {
    expect(await t.store.feed.pruneBefore('2026-02-01T00:00:00.000Z', 500)).toBe(2);
    const left = await sql<{ id: string }>`select id from events order by xid, seq`.execute(t.store.db);
    expect(left.rows.map((r) => r.id)).toEqual(['evt_3']);
    expect(await t.store.feed.pruneMark()).toEqual({ xid: '10', seq: '2' });
  });
});
