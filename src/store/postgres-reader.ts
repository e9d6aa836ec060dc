// Reads outside a transaction on PostgreSQL, straight on the pool: no query builder, no driver layers, and each
// fixed-shape statement prepared once per connection under a name (the server parses and plans it once, not on
// every request). Statements of varying shape (filters not in the shape cache) go unnamed, so a connection never
// accumulates server-side statements without bound.
import type pg from 'pg';
import type { Reader } from './fixed-queries.ts';

/** The fixed queries are a bounded set known at build time; a name per distinct SQL text, the same on every connection. */
const names = new Map<string, string>();

function statementName(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `roster_r${names.size + 1}`;
    names.set(sql, name);
  }
  return name;
}

export function openPostgresReader(pool: pg.Pool): Reader {
  const named = async (sql: string, parameters: readonly unknown[]) =>
    (await pool.query({ name: statementName(sql), text: sql, values: parameters as unknown[] })).rows;
  return {
    first: async (sql, parameters) => (await named(sql, parameters))[0],
    all: named,
    adHoc: async (sql, parameters) => (await pool.query(sql, parameters as unknown[])).rows,
  };
}
