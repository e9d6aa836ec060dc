// The filter AST compiled to SQL for SQLite and PostgreSQL (their differences: filter-dialect.ts).
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
import { foldCase } from '../../scim/resource/normalize.ts';
import type { AttributeDefinition } from '../../scim/schema/types.ts';
import type { AttributeSource, MembershipSource } from './column-map.ts';
import {
  checkName,
  columnSource,
  type FilterSqlContext,
  keysOf,
  label,
  membershipOf,
  type Resolved,
  resolve,
  valueIndexOf,
} from './filter-attributes.ts';
import { type Bool, type Expr, FILTER_DIALECTS, type FilterDialect } from './filter-dialect.ts';
import { isFolded } from './search-document.ts';

type Leaf = FilterNode & { kind: 'compare' | 'present' };
type ValuePath = FilterNode & { kind: 'valuePath' };

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

/** The literal as `search` and the key columns store it: folded when caseExact=false, dateTimes as ISO instants. */
function storedLiteral(def: AttributeDefinition, value: string): string {
  if (def.type === 'dateTime') {
    const at = Date.parse(value);
    return Number.isNaN(at) ? value : new Date(at).toISOString();
  }
  return isFolded(def) ? foldCase(value) : value;
}

class Compiler {
  private readonly d: FilterDialect;

  constructor(private readonly ctx: FilterSqlContext) {
    this.d = FILTER_DIALECTS[ctx.dialect];
  }

  // ---- comparisons -------------------------------------------------------------------------------------------

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
      return this.d.jsonBoolean(doc, keys, (op === 'eq') === literal ? 'true' : 'false');
    }
    if (typeof literal === 'number') {
      const sqlOp = SQL_OPS[op];
      if (!sqlOp) return FALSE;
      return this.d.jsonNumber(doc, keys, sqlOp, literal);
    }
    const cmp = this.compareText(this.d.jsonValue(doc, keys), op, storedLiteral(def, literal));
    return sql<SqlBool>`coalesce(${this.d.isJsonType(doc, keys, 'string')} and ${cmp}, false)`;
  }

  /** `x op v` for a text `x` and a bound text `v`; NULL only when x is NULL. */
  private compareText(x: Expr, op: CompareOperator, v: string): Expr {
    switch (op) {
      case 'eq':
      case 'ne':
        // Equality needs no collation (deterministic collations compare bytes), and a collation would hide the
        // index from PostgreSQL's planner.
        return sql`${x} ${sql.raw(SQL_OPS[op]!)} ${v}`;
      case 'co':
        return this.d.contains(x, v);
      case 'sw':
        return this.d.startsWith(x, v);
      case 'ew':
        return this.d.endsWith(x, v);
      default:
        return this.d.ordered(x, SQL_OPS[op]!, v);
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

  /** The one and/or/not walk; `leaf` compiles everything else (value paths included). */
  private walk(node: FilterNode, leaf: (n: Leaf | ValuePath) => Bool): Bool {
    switch (node.kind) {
      case 'and':
        return sql<SqlBool>`(${this.walk(node.left, leaf)} and ${this.walk(node.right, leaf)})`;
      case 'or':
        return sql<SqlBool>`(${this.walk(node.left, leaf)} or ${this.walk(node.right, leaf)})`;
      case 'not':
        return sql<SqlBool>`(not ${this.walk(node.filter, leaf)})`;
      default:
        return leaf(node);
    }
  }

  compile(node: FilterNode): Bool {
    return this.walk(node, (n) => (n.kind === 'valuePath' ? this.valuePath(n) : this.leaf(n)));
  }

  /** Inside a value filter: `leaf` for each comparison; value filters cannot nest (checkFilter refuses them too). */
  private inner(node: FilterNode, leaf: (n: Leaf) => Bool): Bool {
    return this.walk(node, (n) => {
      if (n.kind === 'valuePath') throw scimErrors.invalidFilter('value filters cannot be nested');
      return leaf(n);
    });
  }

  /** RFC 7644 §3.4.2.2: inside `attr[filter]` every condition applies to the same element. */
  private valuePath(node: ValuePath): Bool {
    const r = resolve(this.ctx, { schema: node.attr.schema, attribute: node.attr.attribute });
    const top = r.top;
    if (top.type !== 'complex') throw scimErrors.invalidFilter(`${top.name} is not complex`);
    const membership = this.membershipAt(r);
    if (membership) return this.membership(membership, (m) => this.inner(node.filter, (leaf) => m(leaf, top)));
    const sub = (leaf: Leaf) => {
      const def = top.subAttributes?.find((s) => s.name === leaf.attr.attribute);
      if (!def) throw scimErrors.invalidFilter(`${top.name} has no sub-attribute ${leaf.attr.attribute}`);
      return def;
    };
    if (!top.multiValued) {
      // One object: `name[givenName eq "x"]` is `name.givenName eq "x"` guarded by "name is an object".
      const guard = this.column(top, r) ? TRUE : this.objectGuard(r);
      const inner = this.inner(node.filter, (leaf) =>
        this.leaf({ ...leaf, attr: { schema: node.attr.schema, attribute: top.name, subAttribute: sub(leaf).name } }),
      );
      return sql<SqlBool>`(${guard} and ${inner})`;
    }
    const walk = this.d.someElement(keysOf(r, top), (e) =>
      this.inner(node.filter, (leaf) => this.elementLeaf(e, sub(leaf), leaf)),
    );
    // `emails[type eq "work"].value eq "x"` (Entra ID): the index finds the few users with the value, and the walk,
    // which still decides, runs on those rows only. Any element matching the filter has the value, so the `and`
    // changes no answer.
    const indexed = this.indexedConjunct(r, node.filter);
    return indexed ? sql<SqlBool>`(${indexed} and ${walk})` : walk;
  }

  /** A value-index lookup for one `sub eq "text"` that the value filter's top-level `and`s require, if any. */
  private indexedConjunct(r: Resolved, node: FilterNode): Bool | undefined {
    if (node.kind === 'and') return this.indexedConjunct(r, node.left) ?? this.indexedConjunct(r, node.right);
    if (node.kind !== 'compare') return undefined;
    const sub = r.top.subAttributes?.find((s) => s.name === node.attr.attribute);
    return sub && this.indexedEq(r, sub, node);
  }

  /**
   * `sub eq "text"` on an attribute with a value index (ADR 0023), for the context's tenant: the resource's id among
   * the index rows holding the stored literal. Exactly the walk's answer: the rows hold each string value of the
   * object elements, stored (folded) as `search` stores it. IN over a non-null list is TRUE or FALSE, never NULL.
   */
  private indexedEq(r: Resolved, sub: AttributeDefinition, node: Leaf): Bool | undefined {
    const tenantId = this.ctx.tenantId;
    if (tenantId === undefined || r.extension !== undefined) return undefined;
    if (node.kind !== 'compare' || node.op !== 'eq' || typeof node.value !== 'string') return undefined;
    const index = valueIndexOf(this.ctx.resourceTypeId, r.top, sub);
    if (!index) return undefined;
    const key = storedLiteral(sub, node.value);
    return sql<SqlBool>`r.id in (select vi.${sql.ref(index.resourceColumn)} from ${sql.table(index.table)} vi where vi.tenant_id = ${tenantId} and vi.value_key = ${key})`;
  }

  private objectGuard(r: Resolved): Bool {
    return sql<SqlBool>`coalesce(${this.d.isJsonType(sql`r.search`, keysOf(r, r.top), 'object')}, false)`;
  }

  private leaf(node: Leaf): Bool {
    const r = resolve(this.ctx, node.attr);
    const name = label(r.top, r.def);
    const membership = this.membershipAt(r);
    if (membership) {
      if (r.def === r.top) {
        if (node.kind === 'present') return this.membership(membership, () => TRUE);
        throw scimErrors.invalidFilter(`${name} is multi-valued: compare one of its sub-attributes`);
      }
      return this.membership(membership, (m) => m({ ...node, attr: { attribute: r.def.name } }, r.top));
    }
    const source = this.column(r.def, r);
    if (source) return this.compareSource(source, r.def, node, name);

    const topKeys = keysOf(r, r.top);
    if (r.top.multiValued) {
      if (r.def === r.top) {
        if (node.kind === 'present') return this.d.jsonPresent(sql`r.search`, topKeys);
        // No multi-valued attribute of a simple type exists in the schemas; refuse rather than guess.
        throw scimErrors.invalidFilter(`${name} is multi-valued: compare one of its sub-attributes`);
      }
      return this.indexedEq(r, r.def, node) ?? this.d.someElement(topKeys, (e) => this.elementLeaf(e, r.def, node));
    }
    const keys = r.def === r.top ? topKeys : [...topKeys, checkName(r.def.name)];
    if (node.kind === 'present') return this.d.jsonPresent(sql`r.search`, keys);
    return this.compareJson(sql`r.search`, keys, r.def, node.op, node.value);
  }

  private column(def: AttributeDefinition, r: Resolved): AttributeSource | undefined {
    return columnSource(this.ctx.resourceTypeId, def, r);
  }

  /** A leaf against one element `e` of a multi-valued complex attribute; `sub` is the sub-attribute it names. */
  private elementLeaf(e: Expr, sub: AttributeDefinition, node: Leaf): Bool {
    const keys = [checkName(sub.name)];
    if (node.kind === 'present') return this.d.jsonPresent(e, keys);
    return this.compareJson(e, keys, sub, node.op, node.value);
  }

  // ---- memberships -------------------------------------------------------------------------------------------

  private membershipAt(r: Resolved): MembershipSource | undefined {
    return membershipOf(this.ctx.resourceTypeId, r);
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
}

/** A checked filter (canonical names, see checkFilter) → a boolean SQL expression over `<resource table> as r`. */
export function compileFilter(node: FilterNode, ctx: FilterSqlContext): RawBuilder<SqlBool> {
  return new Compiler(ctx).compile(node);
}
