// Hot queries without the query builder: each fixed-shape query is built and compiled once per dialect, and later
// calls only bind parameters. On SQLite, reads outside a transaction go to a separate read connection, straight
// into a cached prepared statement, synchronously.
import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** A read-only connection beside the writer (SQLite WAL: it sees every committed write, never an open one). */
export interface Reader {
  first(sql: string, parameters: readonly unknown[]): unknown;
  all(sql: string, parameters: readonly unknown[]): unknown[];
}

const compiledSql = new Map<string, string>();

function sqlFor(dialect: string, key: string, query: Compilable, parameters: readonly unknown[]): string {
  const cacheKey = `${dialect}:${key}`;
  const cached = compiledSql.get(cacheKey);
  if (cached !== undefined) return cached;
  const compiled = query.compile();
  // The caller names the parameters in the order the builder binds them; a mismatch is a bug, found on first use.
  if (compiled.parameters.length !== parameters.length || compiled.parameters.some((p, i) => p !== parameters[i])) {
    throw new Error(`fixed query ${key}: parameters do not match the compiled query`);
  }
  compiledSql.set(cacheKey, compiled.sql);
  return compiled.sql;
}

export interface FixedQueries {
  /** `build` runs only the first time `key` is seen; `parameters` must be the values it binds, in order. */
  first<R>(key: string, build: () => Compilable, parameters: readonly unknown[]): Promise<R | undefined>;
  all<R>(key: string, build: () => Compilable, parameters: readonly unknown[]): Promise<R[]>;
  /** A fixed-shape write: always on the writer (inside the caller's transaction when there is one). */
  write(key: string, build: () => Compilable, parameters: readonly unknown[]): Promise<void>;
  /** As `write`, answering how many rows the statement changed. */
  writeCount(key: string, build: () => Compilable, parameters: readonly unknown[]): Promise<number>;
  /** A query of varying shape (filters): compiled each time, then run like the fixed ones. */
  run<R>(query: Compilable): Promise<R[]>;
}

export function fixedQueries(db: Kysely<Database>, dialect: string, reader: Reader | undefined): FixedQueries {
  const sqlOf = (key: string, build: () => Compilable, parameters: readonly unknown[]) =>
    compiledSql.get(`${dialect}:${key}`) ?? sqlFor(dialect, key, build(), parameters);
  return {
    async first<R>(key: string, build: () => Compilable, parameters: readonly unknown[]) {
      const sql = sqlOf(key, build, parameters);
      if (reader) return reader.first(sql, parameters) as R | undefined;
      const result = await db.executeQuery<R>(CompiledQuery.raw(sql, [...parameters]));
      return result.rows[0];
    },
    async all<R>(key: string, build: () => Compilable, parameters: readonly unknown[]) {
      const sql = sqlOf(key, build, parameters);
      if (reader) return reader.all(sql, parameters) as R[];
      return (await db.executeQuery<R>(CompiledQuery.raw(sql, [...parameters]))).rows as R[];
    },
    async write(key: string, build: () => Compilable, parameters: readonly unknown[]) {
      await db.executeQuery(CompiledQuery.raw(sqlOf(key, build, parameters), [...parameters]));
    },
    async writeCount(key: string, build: () => Compilable, parameters: readonly unknown[]) {
      const result = await db.executeQuery(CompiledQuery.raw(sqlOf(key, build, parameters), [...parameters]));
      return Number(result.numAffectedRows ?? 0);
    },
    async run<R>(query: Compilable) {
      const compiled = query.compile();
      if (reader) return reader.all(compiled.sql, compiled.parameters) as R[];
      return (await db.executeQuery<R>(compiled as CompiledQuery<R>)).rows as R[];
    },
  };
}
