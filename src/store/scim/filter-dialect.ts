// What the filter and sort compilers write differently for SQLite and PostgreSQL: one object per dialect behind
// one interface (as Kysely does), so filter-sql.ts has a single walk and no dialect branches.
import { type RawBuilder, type SqlBool, sql } from 'kysely';

export type Expr = RawBuilder<unknown>;
export type Bool = RawBuilder<SqlBool>;
type Keys = readonly string[];

export interface FilterDialect {
  /** The JSON value at `keys` inside `doc` as an SQL scalar (text for strings); NULL when absent. */
  jsonValue(doc: Expr, keys: Keys): Expr;
  /** The JSON value at `keys` is a string (an object); NULL when absent. */
  isJsonType(doc: Expr, keys: Keys, type: 'string' | 'object'): Expr;
  /** A scalar present: not null, not "", not an empty container (RFC 7644 §3.4.2.2 "pr"), at any depth. */
  jsonPresent(doc: Expr, keys: Keys): Bool;
  /** The JSON value at `keys` is the boolean `want`; FALSE, never NULL, otherwise. */
  jsonBoolean(doc: Expr, keys: Keys, want: 'true' | 'false'): Bool;
  /** The JSON value at `keys` is a number and `value op literal` holds; FALSE, never NULL, otherwise. */
  jsonNumber(doc: Expr, keys: Keys, op: string, literal: number): Bool;
  contains(x: Expr, v: string): Expr;
  startsWith(x: Expr, v: string): Expr;
  endsWith(x: Expr, v: string): Expr;
  /** `x op v` for an ordering operator, by code point. */
  ordered(x: Expr, op: string, v: string): Expr;
  /** EXISTS over the elements at `keys` of `r.search` that are objects, with `inner` against element `e`. */
  someElement(keys: Keys, inner: (e: Expr) => Bool): Bool;
  /** A text sort key, ordered by code point. */
  sortText(x: Expr): Expr;
  /** A numeric sort key: the JSON number at `keys`; NULL for anything else. */
  sortNumber(doc: Expr, keys: Keys): Expr;
  /** RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary element's key, else its first one's. */
  primaryOrFirst(keys: Keys, keyOf: (e: Expr) => Expr): Expr;
  /** A cursor's text sort key, bound to compare as `sortText` orders. */
  cursorText(value: string): Expr;
}

/** JSON paths are `$."a"."b"` strings (names already checked); ordering is the BINARY collation (UTF-8 bytes). */
export const sqliteFilterDialect: FilterDialect = (() => {
  const path = (keys: Keys): Expr => sql`${`$${keys.map((k) => `."${k}"`).join('')}`}`;
  const jsonType = (doc: Expr, keys: Keys): Expr => sql`json_type(${doc}, ${path(keys)})`;
  const jsonValue = (doc: Expr, keys: Keys): Expr => sql`json_extract(${doc}, ${path(keys)})`;
  return {
    jsonValue,
    isJsonType: (doc, keys, type) => sql`${jsonType(doc, keys)} = ${sql.lit(type === 'string' ? 'text' : 'object')}`,
    jsonPresent: (doc, keys) =>
      sql<SqlBool>`exists (select 1 from json_tree(${doc}, ${path(keys)}) as t where t.type not in ('null', 'object', 'array') and (t.type <> 'text' or t.atom <> ''))`,
    jsonBoolean: (doc, keys, want) => sql<SqlBool>`coalesce(${jsonType(doc, keys)} = ${sql.lit(want)}, false)`,
    jsonNumber: (doc, keys, op, literal) =>
      sql<SqlBool>`coalesce(${jsonType(doc, keys)} in ('integer', 'real') and ${jsonValue(doc, keys)} ${sql.raw(op)} ${literal}, false)`,
    contains: (x, v) => sql`instr(${x}, ${v}) > 0`,
    startsWith: (x, v) => sql`substr(${x}, 1, length(${v})) = ${v}`,
    // substr(x, -0) is the whole string, not "", hence the explicit empty case.
    endsWith: (x, v) => sql`(length(${v}) = 0 or substr(${x}, -length(${v})) = ${v})`,
    ordered: (x, op, v) => sql`${x} ${sql.raw(op)} ${v}`,
    someElement: (keys, inner) =>
      sql<SqlBool>`exists (select 1 from json_each(r.search, ${path(keys)}) as e where e.type = 'object' and ${inner(sql`e.value`)})`,
    sortText: (x) => x,
    sortNumber: jsonValue,
    primaryOrFirst: (keys, keyOf) =>
      sql`(select ${keyOf(sql`e.value`)} from json_each(r.search, ${path(keys)}) as e where e.type = 'object' order by coalesce(json_type(e.value, '$.primary') = 'true', false) desc, e.key limit 1)`,
    cursorText: (value) => sql`${value}`,
  };
})();

const PG_PRESENT =
  'strict $.**{0 to last} ? ((@.type() == "string" && @ != "") || @.type() == "number" || @.type() == "boolean")';

/** JSON paths are text[] parameters over jsonb; ordering is the "C" collation (code points). */
export const postgresFilterDialect: FilterDialect = (() => {
  const path = (keys: Keys): Expr => sql`${[...keys]}::text[]`;
  const jsonb = (doc: Expr, keys: Keys): Expr => sql`(${doc} #> ${path(keys)})`;
  const jsonType = (doc: Expr, keys: Keys): Expr => sql`jsonb_typeof(${jsonb(doc, keys)})`;
  /** The array at `keys` of `r.search`, or an empty one when it is anything else. */
  const array = (keys: Keys): Expr => {
    const arr = jsonb(sql`r.search`, keys);
    return sql`case when jsonb_typeof(${arr}) = 'array' then ${arr} else '[]'::jsonb end`;
  };
  return {
    jsonValue: (doc, keys) => sql`(${doc} #>> ${path(keys)})`,
    isJsonType: (doc, keys, type) => sql`${jsonType(doc, keys)} = ${sql.lit(type)}`,
    jsonPresent: (doc, keys) =>
      sql<SqlBool>`coalesce(jsonb_path_exists(${jsonb(doc, keys)}, ${sql.lit(PG_PRESENT)}), false)`,
    jsonBoolean: (doc, keys, want) => sql<SqlBool>`coalesce(${jsonb(doc, keys)} = ${sql.lit(want)}::jsonb, false)`,
    jsonNumber: (doc, keys, op, literal) =>
      sql<SqlBool>`coalesce(case when jsonb_typeof(${jsonb(doc, keys)}) = 'number' then ${jsonb(doc, keys)}::numeric ${sql.raw(op)} ${literal} end, false)`,
    contains: (x, v) => sql`strpos(${x}, ${v}) > 0`,
    startsWith: (x, v) => sql`left(${x}, length(${v})) = ${v}`,
    endsWith: (x, v) => sql`right(${x}, length(${v})) = ${v}`,
    ordered: (x, op, v) => sql`${x} collate "C" ${sql.raw(op)} ${v}`,
    someElement: (keys, inner) =>
      sql<SqlBool>`exists (select 1 from jsonb_array_elements(${array(keys)}) as e(value) where jsonb_typeof(e.value) = 'object' and ${inner(sql`e.value`)})`,
    sortText: (x) => sql`(${x}) collate "C"`,
    sortNumber: (doc, keys) =>
      sql`case when jsonb_typeof(${jsonb(doc, keys)}) = 'number' then ${jsonb(doc, keys)}::numeric end`,
    primaryOrFirst: (keys, keyOf) =>
      sql`(select ${keyOf(sql`e.value`)} from jsonb_array_elements(${array(keys)}) with ordinality as e(value, n) where jsonb_typeof(e.value) = 'object' order by coalesce((e.value -> 'primary') = 'true'::jsonb, false) desc, e.n limit 1)`,
    cursorText: (value) => sql`${value} collate "C"`,
  };
})();

export const FILTER_DIALECTS = { sqlite: sqliteFilterDialect, postgres: postgresFilterDialect } as const;
