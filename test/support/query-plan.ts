// The plan a store would run a statement with, as text: SQLite's EXPLAIN QUERY PLAN details or PostgreSQL's EXPLAIN
// lines. Asked inside a transaction that is always rolled back, so a DELETE or UPDATE is planned, never applied.
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';

export async function queryPlan(
  db: Kysely<Database>,
  kind: string,
  statement: { readonly sql: string; readonly parameters: readonly unknown[] },
): Promise<string> {
  const words = kind === 'postgres' ? 'explain' : 'explain query plan';
  return db
    .transaction()
    .execute(async (trx) => {
      const r = await trx.executeQuery(CompiledQuery.raw(`${words} ${statement.sql}`, [...statement.parameters]));
      throw Object.assign(new Error('rollback'), {
        plan: (r.rows as Record<string, string>[]).map((row) => row.detail ?? row['QUERY PLAN']).join('\n'),
      });
    })
    .catch((e: { plan?: string }) => {
      if (e.plan === undefined) throw e;
      return e.plan;
    });
}
