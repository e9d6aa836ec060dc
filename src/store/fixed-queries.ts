// Hot queries without the query builder: each fixed-shape query is built and compiled once per dialect, and later
// calls only bind their parameters, by name (never by the key order of an object). On SQLite, reads outside a
// transaction go to a separate read connection, straight into a cached prepared statement, synchronously.
import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import { setBounded } from '../lib/bounded-map.ts';
import type { Database } from './schema.ts';
import { nameStatement, noteListInsert } from './statement-names.ts';

/** A read-only connection beside the writer (SQLite WAL: it sees every committed write, never an open one). */
export interface Reader {
  first(sql: string, parameters: readonly unknown[]): unknown;
  all(sql: string, parameters: readonly unknown[]): unknown[];
}

/** The named parameters of one call of a fixed query (an object; a row type is one too). */
export type NamedParameters = object;

/**
 * Placeholders for a fixed query's builder: `p('id')` stands for the parameter named `id` of every call,
 * `p.each('ids')` for each element of the list `ids` (its length is part of the query's key), and
 * `p.fields(row)` for an object whose every key is a parameter of that name (an insert's or update's columns).
 * Typed as the values they stand for, so the builder type-checks as with real values.
 */
export interface Param<P extends NamedParameters> {
  <K extends keyof P & string>(name: K): P[K];
  each<K extends keyof P & string>(name: K): P[K];
  fields<T extends object>(row: T): T;
}

/** What a placeholder compiles to: one bound parameter, found by name (and index, for a list) at each call. */
class Placeholder {
  constructor(
    readonly name: string,
    /** For an element of a list: its index, and the list's length (part of the query's shape). */
    readonly index?: number,
    readonly length?: number,
  ) {}
}

/** A compiled fixed query: its SQL, and where each bound position takes its value from. */
interface Compiled {
  readonly sql: string;
  readonly slots: readonly Placeholder[];
  /** Every parameter name the query uses. */
  readonly names: ReadonlySet<string>;
}

const compiled = new Map<string, Compiled>();

function compile<P extends NamedParameters>(
  key: string,
  build: (p: Param<P>) => Compilable<unknown>,
  parameters: P,
): Compiled {
  const names = new Set<string>();
  const param = ((name: string) => {
    names.add(name);
    return new Placeholder(name);
  }) as Param<P>;
  param.each = (name) => {
    const list = (parameters as Record<string, unknown>)[name];
    if (!Array.isArray(list)) throw new Error(`fixed query ${key}: parameter ${name} is not a list`);
    names.add(name);
    return list.map((_, i) => new Placeholder(name, i, list.length)) as P[typeof name];
  };
  param.fields = <T extends object>(row: T) => {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(row)) out[name] = param(name as keyof P & string);
    return out as T;
  };
  const query = build(param).compile();
  // A value bound directly rather than through a placeholder would be frozen into the cached statement, and every
  // later call would silently reuse it: a bug, found on first use.
  const slots = query.parameters.map((value, i) => {
    if (!(value instanceof Placeholder))
      throw new Error(`fixed query ${key}: bound parameter ${i + 1} is a value, not a named placeholder`);
    return value;
  });
  return { sql: query.sql, slots, names };
}

/**
 * The call's named parameters in the order the compiled statement binds them; any mismatch is a bug. Cheap on
 * the hot path: a name the query does not use shows as one parameter too many (a used one missing is undefined).
 */
function bind(key: string, query: Compiled, named: NamedParameters): unknown[] {
  const parameters = named as Readonly<Record<string, unknown>>;
  let given = 0;
  for (const _ in parameters) given++;
  if (given !== query.names.size) {
    const unused = Object.keys(parameters).find((name) => !query.names.has(name));
    throw new Error(
      unused === undefined
        ? `fixed query ${key}: a named parameter is missing`
        : `fixed query ${key}: parameter ${unused} is not used by the query`,
    );
  }
  const values = new Array<unknown>(query.slots.length);
  for (let i = 0; i < values.length; i++) {
    const slot = query.slots[i] as Placeholder;
    let value = parameters[slot.name];
    if (slot.index !== undefined) {
      if (!Array.isArray(value) || value.length !== slot.length)
        throw new Error(`fixed query ${key}: parameter ${slot.name} must be a list of ${slot.length} values`);
      value = value[slot.index];
    }
    // The builder leaves undefined values out, which would change the statement's shape: never a variant.
    if (value === undefined) throw new Error(`fixed query ${key}: parameter ${slot.name} is undefined`);
    values[i] = value;
  }
  return values;
}

export interface FixedQueries {
  /**
   * `build` runs only the first time `key` is seen, with placeholders for the named `parameters`; every call binds
   * its own `parameters` by name. The key must name the shape: the same key always builds the same statement.
   */
  first<R, P extends NamedParameters>(
    key: string,
    build: (p: Param<P>) => Compilable<R>,
    parameters: P,
    /**
     * `planEach`: PostgreSQL plans the statement for each call's values, never once for all (ADR 0062): for a
     * statement whose good plan depends on them, such as a selection over an array of ids within a large group.
     */
    options?: { planEach?: boolean },
  ): Promise<R | undefined>;
  /** As `first`, answering every row. */
  all<R, P extends NamedParameters>(key: string, build: (p: Param<P>) => Compilable<R>, parameters: P): Promise<R[]>;
  /** A fixed-shape write: always on the writer (inside the caller's transaction when there is one). */
  write<P extends NamedParameters>(key: string, build: (p: Param<P>) => Compilable, parameters: P): Promise<void>;
  /** As `write`, answering how many rows the statement changed. */
  writeCount<P extends NamedParameters>(
    key: string,
    build: (p: Param<P>) => Compilable,
    parameters: P,
  ): Promise<number>;
  /**
   * A statement over a list — rows to insert, ids to match — whose SQL text depends only on the list's length, which
   * `key` must name. `build` (with this call's real values) runs only on the key's first call; later calls bind
   * `values`, the flat list of bound values in statement order, which that first compile checks. Always on the
   * writer. Cheaper than `p.each` placeholders for lists of hundreds: no slot per value is kept.
   */
  list<R>(key: string, build: () => Compilable<R>, values: readonly unknown[]): Promise<R[]>;
  /** A query of varying shape (filters): compiled each time, then run like the fixed ones. */
  run<R>(query: Compilable): Promise<R[]>;
  /** SQL compiled by the caller whose text belongs to a bounded set (a cached filter shape): prepared like `all`. */
  prepared<R>(sql: string, parameters: readonly unknown[]): Promise<R[]>;
}

/** The SQL texts of `list` statements, per dialect and key; bounded, as list lengths vary (1–500 each). */
const listTexts = new Map<string, string>();
const LIST_TEXTS_KEPT = 512;

function listText(cacheKey: string, build: () => Compilable<unknown>, values: readonly unknown[]): string {
  const text = listTexts.get(cacheKey);
  if (text !== undefined) return text;
  const query = build().compile();
  if (query.parameters.length !== values.length || query.parameters.some((v, i) => v !== values[i]))
    throw new Error(`list query ${cacheKey}: the values given are not the values the statement binds, in order`);
  setBounded(listTexts, cacheKey, query.sql, LIST_TEXTS_KEPT);
  return query.sql;
}

export function fixedQueries(db: Kysely<Database>, dialect: string, reader: Reader | undefined): FixedQueries {
  /** The compiled statement (built on first use, per dialect) and this call's values in binding order. */
  const prepare = <P extends NamedParameters>(
    key: string,
    build: (p: Param<P>) => Compilable<unknown>,
    parameters: P,
    named = true,
  ) => {
    const cacheKey = `${dialect}:${key}`;
    let query = compiled.get(cacheKey);
    if (query === undefined) {
      query = compile(key, build, parameters);
      compiled.set(cacheKey, query);
      // A fixed shape: PostgreSQL may keep it prepared on each connection (ADR 0061).
      if (dialect === 'postgres' && named) nameStatement(query.sql);
    }
    return { sql: query.sql, values: bind(key, query, parameters) };
  };
  return {
    async first<R, P extends NamedParameters>(
      key: string,
      build: (p: Param<P>) => Compilable<R>,
      parameters: P,
      options?: { planEach?: boolean },
    ) {
      const { sql, values } = prepare(key, build, parameters, options?.planEach !== true);
      if (reader) return reader.first(sql, values) as R | undefined;
      return (await db.executeQuery<R>(CompiledQuery.raw(sql, values))).rows[0];
    },
    async all<R, P extends NamedParameters>(key: string, build: (p: Param<P>) => Compilable<R>, parameters: P) {
      const { sql, values } = prepare(key, build, parameters);
      if (reader) return reader.all(sql, values) as R[];
      return (await db.executeQuery<R>(CompiledQuery.raw(sql, values))).rows as R[];
    },
    async write(key, build, parameters) {
      const { sql, values } = prepare(key, build, parameters);
      await db.executeQuery(CompiledQuery.raw(sql, values));
    },
    async writeCount(key, build, parameters) {
      const { sql, values } = prepare(key, build, parameters);
      const result = await db.executeQuery(CompiledQuery.raw(sql, values));
      return Number(result.numAffectedRows ?? 0);
    },
    async prepared<R>(sql: string, parameters: readonly unknown[]) {
      if (reader) return reader.all(sql, parameters) as R[];
      if (dialect === 'postgres') nameStatement(sql);
      return (await db.executeQuery<R>(CompiledQuery.raw(sql, [...parameters]))).rows as R[];
    },
    async list<R>(key: string, build: () => Compilable<R>, values: readonly unknown[]) {
      const text = listText(`${dialect}:${key}`, build, values);
      if (dialect === 'postgres') noteListInsert(text);
      return (await db.executeQuery<R>(CompiledQuery.raw(text, values as unknown[]))).rows as R[];
    },
    async run<R>(query: Compilable) {
      const compiledQuery = query.compile();
      if (reader) return reader.all(compiledQuery.sql, compiledQuery.parameters) as R[];
      return (await db.executeQuery<R>(compiledQuery as CompiledQuery<R>)).rows as R[];
    },
  };
}
