import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedQueries, type Reader } from './fixed-queries.ts';
import { migrate } from './open-store.ts';
import type { Database } from './schema.ts';
import { openSqlite } from './sqlite.ts';

describe('fixed queries bind parameters by name', () => {
  let db: Kysely<Database>;
  beforeAll(async () => {
    db = openSqlite(':memory:').db;
    await migrate(db, 'sqlite');
  });
  afterAll(() => db.destroy());

  /** A reader that answers nothing and records what it was asked, to see the values in binding order. */
  const recorder = () => {
    const calls: { sql: string; parameters: readonly unknown[] }[] = [];
    const reader: Reader = {
      first(sql, parameters) {
        calls.push({ sql, parameters });
        return undefined;
      },
      all(sql, parameters) {
        calls.push({ sql, parameters });
        return [];
      },
    };
    return { calls, reader };
  };
  let n = 0;
  const unique = (name: string) => `test.${name}.${n++}`;

  it('in the order the statement binds them, whatever the key order of the call', async () => {
    const { calls, reader } = recorder();
    const q = fixedQueries(db, 'sqlite', reader);
    const key = unique('order');
    const build = (p: (name: 'name' | 'id') => string) =>
      db.selectFrom('tenants').selectAll().where('id', '=', p('id')).where('name', '=', p('name'));
    await q.first(key, build, { id: 't1', name: 'Acme' });
    await q.first(key, build, { name: 'Contoso', id: 't2' });
    expect(calls.map((c) => c.parameters)).toEqual([
      ['t1', 'Acme'],
      ['t2', 'Contoso'],
    ]);
    expect(calls[0]?.sql).toBe(calls[1]?.sql);
  });

  it('binds one name in several places, list elements with each(), and row columns with fields()', async () => {
    const q = fixedQueries(db, 'sqlite', undefined);
    const insert = unique('insert');
    for (const row of [
      { id: 'a', name: 'Alpha', created_at: '2026-01-01T00:00:00Z' },
      // Another key order for the same columns: bound by name, so still the right columns.
      { created_at: '2026-01-02T00:00:00Z', name: 'Beta', id: 'b' },
    ]) {
      await q.write(insert, (p) => db.insertInto('tenants').values(p.fields(row)), row);
    }
    const rename = unique('rename');
    const renamed = await q.writeCount(
      rename,
      (p) =>
        db
          .updateTable('tenants')
          .set({ name: p('name') })
          .where('id', '=', p('id'))
          .where('name', '!=', p('name')),
      { name: 'Beta 2', id: 'b' },
    );
    expect(renamed).toBe(1);
    const list = unique('list.2');
    const rows = await q.all(
      list,
      (p) =>
        db.selectFrom('tenants').select(['id', 'name', 'created_at']).where('id', 'in', p.each('ids')).orderBy('id'),
      { ids: ['b', 'a'] },
    );
    expect(rows).toEqual([
      { id: 'a', name: 'Alpha', created_at: '2026-01-01T00:00:00Z' },
      { id: 'b', name: 'Beta 2', created_at: '2026-01-02T00:00:00Z' },
    ]);
  });

  it('refuses a value bound without a placeholder: it would be frozen into the cached statement', async () => {
    const q = fixedQueries(db, 'sqlite', undefined);
    await expect(
      q.first(unique('frozen'), () => db.selectFrom('tenants').selectAll().where('id', '=', 'a'), {}),
    ).rejects.toThrow('bound parameter 1 is a value, not a named placeholder');
  });

  it('refuses a call whose parameters do not match the statement', async () => {
    const q = fixedQueries(db, 'sqlite', undefined);
    const byId = unique('byId');
    const build = (p: (name: 'id') => string) => db.selectFrom('tenants').selectAll().where('id', '=', p('id'));
    expect(await q.first(byId, build, { id: 'a' })).toMatchObject({ id: 'a' });
    await expect(q.first(byId, build, {} as { id: string })).rejects.toThrow('a named parameter is missing');
    await expect(q.first(byId, build, { id: 'a', tenantId: 'x' } as { id: string })).rejects.toThrow(
      'parameter tenantId is not used by the query',
    );
    await expect(q.first(byId, build, { id: undefined } as unknown as { id: string })).rejects.toThrow(
      'parameter id is undefined',
    );
    const list = unique('list');
    const byIds = (p: { each(name: 'ids'): string[] }) =>
      db.selectFrom('tenants').select('id').where('id', 'in', p.each('ids'));
    expect(await q.all(list, byIds, { ids: ['a', 'b'] })).toHaveLength(2);
    await expect(q.all(list, byIds, { ids: ['a'] })).rejects.toThrow('parameter ids must be a list of 2 values');
  });

  it('list: a statement over a list, compiled on its first call and bound with each later call’s values', async () => {
    const q = fixedQueries(db, 'sqlite', undefined);
    const key = unique('listInsert.2');
    const insert = (rows: { id: string; name: string; created_at: string }[]) => () =>
      db.insertInto('tenants').values(rows).returning('id');
    const flat = (rows: { id: string; name: string; created_at: string }[]) =>
      rows.flatMap((r) => [r.id, r.name, r.created_at]);
    const first = [
      { id: 'l1', name: 'One', created_at: '2026-01-03T00:00:00Z' },
      { id: 'l2', name: 'Two', created_at: '2026-01-03T00:00:00Z' },
    ];
    expect(await q.list(key, insert(first), flat(first))).toEqual([{ id: 'l1' }, { id: 'l2' }]);
    // The later call's build is never run: its values alone reach the statement.
    const second = [
      { id: 'l3', name: 'Three', created_at: '2026-01-04T00:00:00Z' },
      { id: 'l4', name: 'Four', created_at: '2026-01-04T00:00:00Z' },
    ];
    const unused = () => {
      throw new Error('built again');
    };
    expect(await q.list(key, unused, flat(second))).toEqual([{ id: 'l3' }, { id: 'l4' }]);
    const stored = await db
      .selectFrom('tenants')
      .select(['id', 'name'])
      .where('id', 'like', 'l%')
      .orderBy('id')
      .execute();
    expect(stored).toEqual([
      { id: 'l1', name: 'One' },
      { id: 'l2', name: 'Two' },
      { id: 'l3', name: 'Three' },
      { id: 'l4', name: 'Four' },
    ]);
  });

  it('list: refuses, on the first call, values that are not those the statement binds in order', async () => {
    const q = fixedQueries(db, 'sqlite', undefined);
    const build = () => db.selectFrom('tenants').select('id').where('name', '=', 'One').where('id', 'in', ['l1', 'l2']);
    await expect(q.list(unique('listOrder'), build, ['l1', 'l2', 'One'])).rejects.toThrow(
      'the values given are not the values the statement binds, in order',
    );
    await expect(q.list(unique('listShort'), build, ['One', 'l1'])).rejects.toThrow('in order');
    expect(await q.list(unique('listRight'), build, ['One', 'l1', 'l2'])).toEqual([{ id: 'l1' }]);
  });
});
