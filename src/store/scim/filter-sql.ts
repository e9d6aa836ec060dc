// The filter AST compiled to SQL for SQLite and PostgreSQL, and sortBy to an ORDER BY expression.
//
// Safety: values are bound parameters; attribute names come from the schema registry (the canonical definition,
// never the request's spelling), are checked against a strict pattern, and reach SQL only as bound JSON-path
// parameters; column names come from column-map.ts. Request text never becomes SQL text.
//
// Semantics equal src/scim/filter/evaluate.ts (test/contract/filter-differential.test.ts checks it):
//  - a comparison is true when ANY value satisfies it; a missing or null attribute satisfies none, `ne` included;
//  - every JSON comparison is type-strict (a string literal matches only JSON strings, …) and wrapped in
//    coalesce(…, false), so every node is TRUE or FALSE, never NULL, and `not` is plain negation;
//  - caseExact=false compares the folded `search` copy (or folded key column) with a folded literal;
//  - co/sw/ew use instr/substr (SQLite) and strpos/left/right (PostgreSQL), never LIKE: no escaping, no
//    database case-insensitivity, `%` and `_` are ordinary characters;
//  - ordering is by code point: SQLite's BINARY collation, PostgreSQL's "C";
//  - `pr` is "some scalar inside is not null and not empty": json_tree (SQLite) / a jsonpath (PostgreSQL).
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { scimErrors } from '../../scim/errors.ts';
import type { CompareOperator, FilterLiteral, FilterNode } from '../../scim/filter/ast.ts';
import type { AttrRef } from '../../scim/path/types.ts';
import { foldCase } from '../../scim/resource/normalize.ts';
import type { AttributeDefinition, SchemaRegistry } from '../../scim/schema/types.ts';
import { type AttributeSource, COLUMN_MAP, type MembershipSource, type ResourceTypeId } from './column-map.ts';
import { isFolded } from './search-document.ts';

export interface FilterSqlContext {
  readonly resourceTypeId: ResourceTypeId;
  readonly dialect: 'sqlite' | 'postgres';
  readonly registry: SchemaRegistry;
}

type Expr = RawBuilder<unknown>;
type Bool = RawBuilder<SqlBool>;
type Leaf = FilterNode & { kind: 'compare' | 'present' };

const NAME = /^[A-Za-z$][A-Za-z0-9_$-]{0,127}$/;
const URN_TEXT = /^urn:[A-Za-z0-9:._-]{1,250}$/;
const FALSE: Bool = sql<SqlBool>`(1 = 0)`;
const TRUE: Bool = sql<SqlBool>`(1 = 1)`;

const SQL_OPS: Partial<Record<CompareOperator, string>> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

/** A scalar present: not null, not "", not an empty container (RFC 7644 §3.4.2.2 "pr"), at any depth. */
const PG_PRESENT =
  'strict $.**{0 to last} ? ((@.type() == "string" && @ != "") || @.type() == "number" || @.type() == "boolean")';

function checkName(name: string): string {
  if (!NAME.test(name)) throw scimErrors.invalidFilter('attribute name not allowed in a filter');
  return name;
}

interface Resolved {
  readonly def: AttributeDefinition; // the attribute, or the sub-attribute when one is named
  readonly top: AttributeDefinition; // the top-level attribute
  readonly extension: string | undefined; // the extension URN the attribute lives under in `search`
}

function resolve(ctx: FilterSqlContext, ref: AttrRef): Resolved {
  const found = ctx.registry.resolve(ctx.resourceTypeId, ref);
  if (!found) throw scimErrors.invalidFilter(`${ref.attribute} is not an attribute of ${ctx.resourceTypeId}`);
  // Defence in depth behind checkFilter: a never-returned attribute (password) must not be probed by filters.
  if (found.attribute.returned === 'never' || found.parent?.returned === 'never')
    throw scimErrors.invalidFilter(`${ref.attribute} cannot be used in a filter`);
  const schemas = ctx.registry.schemasOf(ctx.resourceTypeId);
  const extension = found.schema === schemas[0] ? undefined : found.schema;
  if (extension !== undefined && !(schemas.includes(extension) && URN_TEXT.test(extension)))
    throw scimErrors.invalidFilter('schema not allowed in a filter');
  return { def: found.attribute, top: found.parent ?? found.attribute, extension };
}

/** The literal as `search` and the key columns store it: folded when caseExact=false, dateTimes as ISO instants. */
function storedLiteral(def: AttributeDefinition, value: string): string {
  if (def.type === 'dateTime') {
    const at = Date.parse(value);
    return Number.isNaN(at) ? value : new Date(at).toISOString();
  }
  return isFolded(def) ? foldCase(value) : value;
}

function label(top: AttributeDefinition, def: AttributeDefinition): string {
  return top === def ? top.name : `${top.name}.${def.name}`;
}

class Compiler {
  private readonly pg: boolean;

  constructor(private readonly ctx: FilterSqlContext) {
    this.pg = ctx.dialect === 'postgres';
  }

  // ---- JSON access -------------------------------------------------------------------------------------------

  /** The JSON-path parameter: a text[] on PostgreSQL, a `$."a"."b"` string on SQLite (names already checked). */
  private path(keys: readonly string[]): Expr {
    return this.pg ? sql`${[...keys]}::text[]` : sql`${`$${keys.map((k) => `."${k}"`).join('')}`}`;
  }

  /** The JSON value at `keys` inside `doc`: jsonb on PostgreSQL; SQLite uses json_extract/json_type directly. */
  private jsonb(doc: Expr, keys: readonly string[]): Expr {
    return sql`(${doc} #> ${this.path(keys)})`;
  }

  /** SQL scalar of the value (text for strings). */
  private jsonValue(doc: Expr, keys: readonly string[]): Expr {
    return this.pg ? sql`(${doc} #>> ${this.path(keys)})` : sql`json_extract(${doc}, ${this.path(keys)})`;
  }

  /** JSON type of the value, in the dialect's own names. */
  private jsonType(doc: Expr, keys: readonly string[]): Expr {
    return this.pg ? sql`jsonb_typeof(${this.jsonb(doc, keys)})` : sql`json_type(${doc}, ${this.path(keys)})`;
  }

  private isType(doc: Expr, keys: readonly string[], type: 'string' | 'object'): Expr {
    const name = type === 'string' ? (this.pg ? 'string' : 'text') : 'object';
    return sql`${this.jsonType(doc, keys)} = ${sql.lit(name)}`;
  }

  private presentJson(doc: Expr, keys: readonly string[]): Bool {
    if (this.pg)
      return sql<SqlBool>`coalesce(jsonb_path_exists(${this.jsonb(doc, keys)}, ${sql.lit(PG_PRESENT)}), false)`;
    return sql<SqlBool>`exists (select 1 from json_tree(${doc}, ${this.path(keys)}) as t where t.type not in ('null', 'object', 'array') and (t.type <> 'text' or t.atom <> ''))`;
  }

  private compareJson(
    doc: Expr,
    keys: readonly string[],
    def: AttributeDefinition,
    op: CompareOperator,
    literal: FilterLiteral,
  ): Bool {
    if (literal === null) return FALSE;
    if (typeof literal === 'boolean') {
      if (op !== 'eq' && op !== 'ne') return FALSE;
      const want = (op === 'eq') === literal ? 'true' : 'false';
      return this.pg
        ? sql<SqlBool>`coalesce(${this.jsonb(doc, keys)} = ${sql.lit(want)}::jsonb, false)`
        : sql<SqlBool>`coalesce(${this.jsonType(doc, keys)} = ${sql.lit(want)}, false)`;
    }
    if (typeof literal === 'number') {
      const sqlOp = SQL_OPS[op];
      if (!sqlOp) return FALSE;
      return this.pg
        ? sql<SqlBool>`coalesce(case when jsonb_typeof(${this.jsonb(doc, keys)}) = 'number' then ${this.jsonb(doc, keys)}::numeric ${sql.raw(sqlOp)} ${literal} end, false)`
        : sql<SqlBool>`coalesce(${this.jsonType(doc, keys)} in ('integer', 'real') and ${this.jsonValue(doc, keys)} ${sql.raw(sqlOp)} ${literal}, false)`;
    }
    const cmp = this.compareText(this.jsonValue(doc, keys), op, storedLiteral(def, literal));
    return sql<SqlBool>`coalesce(${this.isType(doc, keys, 'string')} and ${cmp}, false)`;
  }

  // ---- text comparison ---------------------------------------------------------------------------------------

  /** `x op v` for a text `x` and a bound text `v`; NULL only when x is NULL. */
  private compareText(x: Expr, op: CompareOperator, v: string): Expr {
    switch (op) {
      case 'eq':
      case 'ne':
        // Equality needs no collation (deterministic collations compare bytes), and a collation would hide the
        // index from PostgreSQL's planner.
        return sql`${x} ${sql.raw(SQL_OPS[op]!)} ${v}`;
      case 'co':
        return this.pg ? sql`strpos(${x}, ${v}) > 0` : sql`instr(${x}, ${v}) > 0`;
      case 'sw':
        return this.pg ? sql`left(${x}, length(${v})) = ${v}` : sql`substr(${x}, 1, length(${v})) = ${v}`;
      case 'ew':
        // SQLite's substr(x, -0) is the whole string, not "", hence the explicit empty case.
        return this.pg
          ? sql`right(${x}, length(${v})) = ${v}`
          : sql`(length(${v}) = 0 or substr(${x}, -length(${v})) = ${v})`;
      default:
        // Ordering by code point: SQLite's BINARY collation is byte order of UTF-8, as is PostgreSQL's "C".
        return this.pg ? sql`${x} collate "C" ${sql.raw(SQL_OPS[op]!)} ${v}` : sql`${x} ${sql.raw(SQL_OPS[op]!)} ${v}`;
    }
  }

  /** A column (or constant) compared with a literal; columns are text, so only string literals can match. */
  private compareSource(source: AttributeSource, def: AttributeDefinition, node: Leaf, name: string): Bool {
    switch (source.kind) {
      case 'unfilterable':
        throw scimErrors.invalidFilter(`${name} is not filterable`);
      case 'always':
        if (node.kind === 'present') return TRUE;
        throw scimErrors.invalidFilter(`${name} is complex: compare one of its sub-attributes`);
      case 'constant': {
        const x = sql`cast(${source.value} as text)`;
        if (node.kind === 'present') return source.value === '' ? FALSE : TRUE;
        if (typeof node.value !== 'string') return FALSE;
        return sql<SqlBool>`${this.compareText(x, node.op, storedLiteral(def, node.value))}`;
      }
      case 'column': {
        let x: Expr = sql.ref(source.ref);
        if (isFolded(def)) {
          if (source.case === 'exact') throw new Error(`column map: ${name} is caseExact=false but not folded`);
          if (source.case === 'ascii') x = sql`lower(${x})`;
        }
        if (node.kind === 'present') {
          return source.nullable ? sql<SqlBool>`(${x} is not null and ${x} <> '')` : sql<SqlBool>`${x} <> ''`;
        }
        if (typeof node.value !== 'string') return FALSE;
        const cmp = this.compareText(x, node.op, storedLiteral(def, node.value));
        // `cmp and x is not null` is FALSE, never NULL, for a missing value and, unlike coalesce(), leaves
        // `x = ?` visible to the planner so lookups use the (tenant_id, column) index.
        return source.nullable ? sql<SqlBool>`(${cmp} and ${x} is not null)` : sql<SqlBool>`${cmp}`;
      }
    }
  }

  // ---- tree walk ---------------------------------------------------------------------------------------------

  /** and/or/not over `leaf`; value filters cannot nest (checkFilter refuses them too). */
  private logic(node: FilterNode, leaf: (n: Leaf) => Bool): Bool {
    switch (node.kind) {
      case 'and':
        return sql<SqlBool>`(${this.logic(node.left, leaf)} and ${this.logic(node.right, leaf)})`;
      case 'or':
        return sql<SqlBool>`(${this.logic(node.left, leaf)} or ${this.logic(node.right, leaf)})`;
      case 'not':
        return sql<SqlBool>`(not ${this.logic(node.filter, leaf)})`;
      case 'valuePath':
        throw scimErrors.invalidFilter('value filters cannot be nested');
      default:
        return leaf(node);
    }
  }

  compile(node: FilterNode): Bool {
    switch (node.kind) {
      case 'and':
        return sql<SqlBool>`(${this.compile(node.left)} and ${this.compile(node.right)})`;
      case 'or':
        return sql<SqlBool>`(${this.compile(node.left)} or ${this.compile(node.right)})`;
      case 'not':
        return sql<SqlBool>`(not ${this.compile(node.filter)})`;
      case 'valuePath':
        return this.valuePath(node);
      default:
        return this.leaf(node);
    }
  }

  /** RFC 7644 §3.4.2.2: inside `attr[filter]` every condition applies to the same element. */
  private valuePath(node: FilterNode & { kind: 'valuePath' }): Bool {
    const r = resolve(this.ctx, { schema: node.attr.schema, attribute: node.attr.attribute });
    const top = r.top;
    if (top.type !== 'complex') throw scimErrors.invalidFilter(`${top.name} is not complex`);
    const membership = this.membershipOf(r);
    if (membership) return this.membership(membership, (m) => this.logic(node.filter, (leaf) => m(leaf, top)));
    const sub = (leaf: Leaf) => {
      const def = top.subAttributes?.find((s) => s.name === leaf.attr.attribute);
      if (!def) throw scimErrors.invalidFilter(`${top.name} has no sub-attribute ${leaf.attr.attribute}`);
      return def;
    };
    if (!top.multiValued) {
      // One object: `name[givenName eq "x"]` is `name.givenName eq "x"` guarded by "name is an object".
      const guard = this.columnSource(top, r) ? TRUE : this.objectGuard(r);
      const inner = this.logic(node.filter, (leaf) =>
        this.leaf({ ...leaf, attr: { schema: node.attr.schema, attribute: top.name, subAttribute: sub(leaf).name } }),
      );
      return sql<SqlBool>`(${guard} and ${inner})`;
    }
    return this.elements(this.keysOf(r, top), (e) =>
      this.logic(node.filter, (leaf) => this.elementLeaf(e, sub(leaf), leaf)),
    );
  }

  private objectGuard(r: Resolved): Bool {
    return sql<SqlBool>`coalesce(${this.isType(sql`r.search`, this.keysOf(r, r.top), 'object')}, false)`;
  }

  private leaf(node: Leaf): Bool {
    const r = resolve(this.ctx, node.attr);
    const name = label(r.top, r.def);
    const membership = this.membershipOf(r);
    if (membership) {
      if (r.def === r.top) {
        if (node.kind === 'present') return this.membership(membership, () => TRUE);
        throw scimErrors.invalidFilter(`${name} is multi-valued: compare one of its sub-attributes`);
      }
      return this.membership(membership, (m) => m({ ...node, attr: { attribute: r.def.name } }, r.top));
    }
    const source = this.columnSource(r.def, r);
    if (source) return this.compareSource(source, r.def, node, name);

    const topKeys = this.keysOf(r, r.top);
    if (r.top.multiValued) {
      if (r.def === r.top) {
        if (node.kind === 'present') return this.presentJson(sql`r.search`, topKeys);
        // No multi-valued attribute of a simple type exists in the schemas; refuse rather than guess.
        throw scimErrors.invalidFilter(`${name} is multi-valued: compare one of its sub-attributes`);
      }
      return this.elements(topKeys, (e) => this.elementLeaf(e, r.def, node));
    }
    const keys = r.def === r.top ? topKeys : [...topKeys, checkName(r.def.name)];
    if (node.kind === 'present') return this.presentJson(sql`r.search`, keys);
    return this.compareJson(sql`r.search`, keys, r.def, node.op, node.value);
  }

  /** A leaf against one element `e` of a multi-valued complex attribute; `sub` is the sub-attribute it names. */
  private elementLeaf(e: Expr, sub: AttributeDefinition, node: Leaf): Bool {
    const keys = [checkName(sub.name)];
    if (node.kind === 'present') return this.presentJson(e, keys);
    return this.compareJson(e, keys, sub, node.op, node.value);
  }

  /** `search` path of an attribute: [extension URN,] top-level name. */
  private keysOf(r: Resolved, top: AttributeDefinition): string[] {
    return [...(r.extension ? [r.extension] : []), checkName(top.name)];
  }

  private columnSource(def: AttributeDefinition, r: Resolved): AttributeSource | undefined {
    if (r.extension !== undefined) return undefined;
    const key = def === r.top ? r.top.name : `${r.top.name}.${def.name}`;
    const map = COLUMN_MAP[this.ctx.resourceTypeId].attributes;
    return Object.hasOwn(map, key) ? map[key] : undefined;
  }

  /** EXISTS over the array elements at `keys` of `search` that are objects, with `inner` against element `e`. */
  private elements(keys: readonly string[], inner: (e: Expr) => Bool): Bool {
    if (this.pg) {
      const arr = this.jsonb(sql`r.search`, keys);
      return sql<SqlBool>`exists (select 1 from jsonb_array_elements(case when jsonb_typeof(${arr}) = 'array' then ${arr} else '[]'::jsonb end) as e(value) where jsonb_typeof(e.value) = 'object' and ${inner(sql`e.value`)})`;
    }
    return sql<SqlBool>`exists (select 1 from json_each(r.search, ${this.path(keys)}) as e where e.type = 'object' and ${inner(sql`e.value`)})`;
  }

  // ---- memberships -------------------------------------------------------------------------------------------

  private membershipOf(r: Resolved): MembershipSource | undefined {
    if (r.extension !== undefined) return undefined;
    const map = COLUMN_MAP[this.ctx.resourceTypeId].memberships;
    return Object.hasOwn(map, r.top.name) ? map[r.top.name] : undefined;
  }

  /**
   * EXISTS over this resource's membership rows in its own tenant; `inner` gets a function compiling a leaf (its
   * attr naming a sub-attribute) against one row.
   */
  private membership(
    source: MembershipSource,
    inner: (leafOnRow: (leaf: Leaf, parent: AttributeDefinition) => Bool) => Bool,
  ): Bool {
    const onRow = (leaf: Leaf, parent: AttributeDefinition): Bool => {
      const name = leaf.attr.subAttribute ?? leaf.attr.attribute;
      const sub = parent.subAttributes?.find((s) => s.name === name);
      const column = Object.hasOwn(source.subAttributes, name) ? source.subAttributes[name] : undefined;
      if (!sub || !column) throw scimErrors.invalidFilter(`${parent.name}.${name} is not filterable`);
      return this.compareSource(column, sub, leaf, `${parent.name}.${name}`);
    };
    const where = inner(onRow);
    if (source.side === 'group') {
      return sql<SqlBool>`exists (select 1 from scim_group_members m where m.tenant_id = r.tenant_id and m.group_id = r.id and ${where})`;
    }
    // The join never drops a row (members reference their group); it supplies groups.display.
    return sql<SqlBool>`exists (select 1 from scim_group_members m join scim_groups g on g.tenant_id = m.tenant_id and g.id = m.group_id where m.tenant_id = r.tenant_id and m.member_id = r.id and ${where})`;
  }

  // ---- sortBy ------------------------------------------------------------------------------------------------

  sort(ref: AttrRef): Expr {
    const r = resolve(this.ctx, ref);
    const name = label(r.top, r.def);
    if (this.membershipOf(r)) throw scimErrors.invalidValue(`sortBy cannot name ${name}`);
    const text = (x: Expr) => (this.pg ? sql`(${x}) collate "C"` : x);
    const source = this.columnSource(r.def, r);
    if (source) {
      switch (source.kind) {
        case 'column':
          return text(
            source.case === 'ascii' && isFolded(r.def) ? sql`lower(${sql.ref(source.ref)})` : sql.ref(source.ref),
          );
        case 'constant':
          return sql`cast(${source.value} as text)`;
        default:
          throw scimErrors.invalidValue(`sortBy cannot name ${name}`);
      }
    }
    const topKeys = this.keysOf(r, r.top);
    let def = r.def;
    if (def.type === 'complex') {
      // A complex attribute sorts by its `value` (RFC 7644 §3.4.2.3 "primary value … or else the first value").
      const value = def.subAttributes?.find((s) => s.name === 'value');
      if (!value || !def.multiValued) throw scimErrors.invalidValue(`sortBy ${name}: name a sub-attribute`);
      def = value;
    }
    const scalar = (doc: Expr, keys: readonly string[]): Expr => {
      if (def.type !== 'integer' && def.type !== 'decimal') return text(this.jsonValue(doc, keys));
      if (!this.pg) return this.jsonValue(doc, keys);
      return sql`case when jsonb_typeof(${this.jsonb(doc, keys)}) = 'number' then ${this.jsonb(doc, keys)}::numeric end`;
    };
    if (!r.top.multiValued) {
      return scalar(sql`r.search`, def === r.top ? topKeys : [...topKeys, checkName(def.name)]);
    }
    // RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary value, else the first one.
    const sub = [checkName(def.name)];
    if (this.pg) {
      const arr = this.jsonb(sql`r.search`, topKeys);
      return sql`(select ${scalar(sql`e.value`, sub)} from jsonb_array_elements(case when jsonb_typeof(${arr}) = 'array' then ${arr} else '[]'::jsonb end) with ordinality as e(value, n) where jsonb_typeof(e.value) = 'object' order by coalesce((e.value -> 'primary') = 'true'::jsonb, false) desc, e.n limit 1)`;
    }
    return sql`(select ${scalar(sql`e.value`, sub)} from json_each(r.search, ${this.path(topKeys)}) as e where e.type = 'object' order by coalesce(json_type(e.value, '$.primary') = 'true', false) desc, e.key limit 1)`;
  }
}

/** A checked filter (canonical names, see checkFilter) → a boolean SQL expression over `<resource table> as r`. */
export function compileFilter(node: FilterNode, ctx: FilterSqlContext): RawBuilder<SqlBool> {
  return new Compiler(ctx).compile(node);
}

/** A checked sortBy attribute → an ORDER BY expression over `<resource table> as r` (NULL when it has no value). */
export function compileSort(ref: AttrRef, ctx: FilterSqlContext): RawBuilder<unknown> {
  return new Compiler(ctx).sort(ref);
}
