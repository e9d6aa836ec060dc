// The filter AST compiled to SQL for SQLite and PostgreSQL. Values are bound parameters; attribute names come
// from the schema (canonical names out of checkFilter), are checked against a strict pattern, and are bound as
// JSON-path parameters too — request text never becomes SQL text. Semantics match src/scim/filter/evaluate.ts.
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { scimErrors } from '../../scim/errors.ts';
import type { CompareOperator, FilterLiteral, FilterNode } from '../../scim/filter/ast.ts';
import type { AttrRef } from '../../scim/path/types.ts';
import { foldCase } from '../../scim/resource/normalize.ts';
import type { AttributeDefinition, SchemaRegistry } from '../../scim/schema/types.ts';

export interface FilterSqlContext {
  readonly resourceTypeId: 'User' | 'Group';
  readonly dialect: 'sqlite' | 'postgres';
  readonly registry: SchemaRegistry;
}

type Expr = RawBuilder<unknown>;
const NAME = /^[A-Za-z$][A-Za-z0-9_$-]{0,127}$/;
const URN_TEXT = /^[A-Za-z0-9:._/-]{1,256}$/;

/** Columns that hold an attribute directly (promoted, indexed); everything else is read from `search`. */
const COLUMNS: Record<'User' | 'Group', Record<string, { column: string; folded: boolean }>> = {
  User: {
    id: { column: 'r.id', folded: false },
    externalId: { column: 'r.external_id', folded: false },
    userName: { column: 'r.user_name_key', folded: true },
    'meta.created': { column: 'r.created_at', folded: false },
    'meta.lastModified': { column: 'r.last_modified', folded: false },
  },
  Group: {
    id: { column: 'r.id', folded: false },
    externalId: { column: 'r.external_id', folded: false },
    displayName: { column: 'r.display_name_key', folded: true },
    'meta.created': { column: 'r.created_at', folded: false },
    'meta.lastModified': { column: 'r.last_modified', folded: false },
  },
};

function checkName(name: string): string {
  if (!NAME.test(name)) throw scimErrors.invalidFilter('attribute name not allowed in a filter');
  return name;
}

interface Resolved {
  readonly ref: AttrRef;
  readonly def: AttributeDefinition; // the attribute, or the sub-attribute when one is named
  readonly top: AttributeDefinition; // the top-level attribute
  readonly extension: string | undefined;
}

function resolve(ctx: FilterSqlContext, ref: AttrRef): Resolved {
  const found = ctx.registry.resolve(ctx.resourceTypeId, ref);
  if (!found) throw scimErrors.invalidFilter(`${ref.attribute} is not an attribute of ${ctx.resourceTypeId}`);
  const core = ctx.registry.resourceType(ctx.resourceTypeId)!.schema;
  const extension = found.schema === core ? undefined : found.schema;
  if (extension !== undefined && !URN_TEXT.test(extension))
    throw scimErrors.invalidFilter('schema not allowed in a filter');
  return { ref, def: found.attribute, top: found.parent ?? found.attribute, extension };
}

/** A literal in the form it is stored in `search` / the promoted column. */
function storedLiteral(def: AttributeDefinition, value: FilterLiteral, folded: boolean): FilterLiteral {
  if (typeof value !== 'string') return value;
  if (def.type === 'dateTime') return new Date(value).toISOString();
  return folded ? foldCase(value) : value;
}

class Compiler {
  constructor(private readonly ctx: FilterSqlContext) {}

  private get pg(): boolean {
    return this.ctx.dialect === 'postgres';
  }

  /** Path parameter for a value inside a JSON document. */
  private path(keys: readonly string[]): unknown {
    return this.pg ? [...keys] : `$${keys.map((k) => `."${k}"`).join('')}`;
  }

  /** Text (or number/boolean as SQLite gives it) of a JSON value at `keys` inside `doc`. */
  private jsonValue(doc: Expr, keys: readonly string[]): Expr {
    return this.pg ? sql`(${doc} #>> ${this.path(keys)}::text[])` : sql`json_extract(${doc}, ${this.path(keys)})`;
  }

  private jsonType(doc: Expr, keys: readonly string[]): Expr {
    return this.pg
      ? sql`jsonb_typeof(${doc} #> ${this.path(keys)}::text[])`
      : sql`json_type(${doc}, ${this.path(keys)})`;
  }

  /**
   * A comparison of `x` with a bound literal, NULL-safe: `(cmp and x is not null)` is FALSE, never NULL, when the
   * attribute is missing, so `not (…)` keeps two-valued logic — and unlike coalesce() it leaves `x = ?` visible to
   * the planner, so lookups on promoted columns use their index.
   */
  private compare(
    x: Expr,
    _def: AttributeDefinition,
    op: CompareOperator,
    literal: FilterLiteral,
    isColumn = false,
  ): RawBuilder<SqlBool> {
    let cmp: Expr;
    if (typeof literal === 'boolean') {
      const b = !this.pg ? sql`${literal ? 1 : 0}` : sql`${literal ? 'true' : 'false'}`;
      cmp = op === 'eq' ? sql`${x} = ${b}` : sql`${x} <> ${b}`;
    } else if (typeof literal === 'number') {
      const n = this.pg ? sql`(case when ${x} ~ '^-?[0-9.eE+-]+$' then (${x})::numeric end)` : x;
      cmp = sql`${n} ${sql.raw(SQL_OPS[op])} ${literal}`;
    } else {
      const v = literal ?? '';
      switch (op) {
        case 'eq':
        case 'ne':
          // Equality needs no collation, and a collation would hide the index from PostgreSQL's planner.
          cmp = sql`${x} ${sql.raw(SQL_OPS[op])} ${v}`;
          break;
        case 'co':
          cmp = this.pg ? sql`strpos(${x}, ${v}) > 0` : sql`instr(${x}, ${v}) > 0`;
          break;
        case 'sw':
          cmp = this.pg ? sql`left(${x}, length(${v})) = ${v}` : sql`substr(${x}, 1, length(${v})) = ${v}`;
          break;
        case 'ew':
          cmp = this.pg
            ? sql`right(${x}, length(${v})) = ${v}`
            : sql`(length(${v}) = 0 or substr(${x}, -length(${v})) = ${v})`;
          break;
        default:
          // Ordering by code point: SQLite's BINARY collation, PostgreSQL's "C".
          cmp = this.pg ? sql`(${x}) collate "C" ${sql.raw(SQL_OPS[op])} ${v}` : sql`${x} ${sql.raw(SQL_OPS[op])} ${v}`;
      }
      // SQLite's json_extract returns numbers as numbers: only a JSON string may compare as text.
      if (!this.pg && !isColumn) cmp = sql`typeof(${x}) = 'text' and ${cmp}`;
    }
    return sql<SqlBool>`(${cmp} and ${x} is not null)`;
  }

  private present(doc: Expr, keys: readonly string[]): RawBuilder<SqlBool> {
    const t = this.jsonType(doc, keys);
    const v = this.jsonValue(doc, keys);
    const arrayLength = this.pg
      ? sql`jsonb_array_length(${doc} #> ${this.path(keys)}::text[])`
      : sql`json_array_length(${doc}, ${this.path(keys)})`;
    const textType = this.pg ? 'string' : 'text';
    return sql<SqlBool>`coalesce((${t} <> 'null' and (${t} <> ${textType} or ${v} <> '') and (${t} <> 'array' or ${arrayLength} > 0)), false)`;
  }

  /** EXISTS over the elements of a multi-valued attribute, with `inner` built against one element `e`. */
  private elements(keys: readonly string[], inner: (element: Expr) => RawBuilder<SqlBool>): RawBuilder<SqlBool> {
    if (this.pg) {
      const arr = sql`r.search #> ${this.path(keys)}::text[]`;
      return sql<SqlBool>`exists (select 1 from jsonb_array_elements(case when jsonb_typeof(${arr}) = 'array' then ${arr} else '[]'::jsonb end) as e(value) where ${inner(sql`e.value`)})`;
    }
    return sql<SqlBool>`exists (select 1 from json_each(r.search, ${this.path(keys)}) as e where e.type = 'object' and ${inner(sql`e.value`)})`;
  }

  /** A leaf (compare or present) evaluated against one element of a multi-valued complex attribute. */
  private elementLeaf(
    node: FilterNode & { kind: 'compare' | 'present' },
    element: Expr,
    parent: AttributeDefinition,
  ): RawBuilder<SqlBool> {
    const sub = parent.subAttributes?.find((s) => s.name === node.attr.attribute);
    if (!sub) throw scimErrors.invalidFilter(`${parent.name} has no sub-attribute ${node.attr.attribute}`);
    const keys = [checkName(sub.name)];
    if (node.kind === 'present') return this.present(element, keys);
    return this.compare(this.jsonValue(element, keys), sub, node.op, storedLiteral(sub, node.value, !sub.caseExact));
  }

  private elementFilter(node: FilterNode, element: Expr, parent: AttributeDefinition): RawBuilder<SqlBool> {
    switch (node.kind) {
      case 'and':
        return sql<SqlBool>`(${this.elementFilter(node.left, element, parent)} and ${this.elementFilter(node.right, element, parent)})`;
      case 'or':
        return sql<SqlBool>`(${this.elementFilter(node.left, element, parent)} or ${this.elementFilter(node.right, element, parent)})`;
      case 'not':
        return sql<SqlBool>`(not ${this.elementFilter(node.filter, element, parent)})`;
      case 'valuePath':
        throw scimErrors.invalidFilter('value filters cannot be nested');
      default:
        return this.elementLeaf(node, element, parent);
    }
  }

  /** Membership rows stand in for Group.members and User.groups. */
  private membership(
    inner: (m: { id: Expr; type: Expr; display: Expr | undefined }) => RawBuilder<SqlBool>,
  ): RawBuilder<SqlBool> {
    if (this.ctx.resourceTypeId === 'Group') {
      return sql<SqlBool>`exists (select 1 from scim_group_members m where m.tenant_id = r.tenant_id and m.group_id = r.id and ${inner({ id: sql`m.member_id`, type: sql`m.member_type`, display: undefined })})`;
    }
    return sql<SqlBool>`exists (select 1 from scim_group_members m join scim_groups g on g.tenant_id = m.tenant_id and g.id = m.group_id where m.tenant_id = r.tenant_id and m.member_id = r.id and ${inner({ id: sql`m.group_id`, type: sql`'direct'`, display: sql`g.display_name_key` })})`;
  }

  private membershipLeaf(
    node: FilterNode,
    m: { id: Expr; type: Expr; display: Expr | undefined },
    parent: AttributeDefinition,
  ): RawBuilder<SqlBool> {
    switch (node.kind) {
      case 'and':
        return sql<SqlBool>`(${this.membershipLeaf(node.left, m, parent)} and ${this.membershipLeaf(node.right, m, parent)})`;
      case 'or':
        return sql<SqlBool>`(${this.membershipLeaf(node.left, m, parent)} or ${this.membershipLeaf(node.right, m, parent)})`;
      case 'not':
        return sql<SqlBool>`(not ${this.membershipLeaf(node.filter, m, parent)})`;
      case 'valuePath':
        throw scimErrors.invalidFilter('value filters cannot be nested');
      default: {
        const name = node.attr.subAttribute ?? node.attr.attribute;
        const column = name === 'value' ? m.id : name === 'type' ? m.type : name === 'display' ? m.display : undefined;
        const sub = parent.subAttributes?.find((s) => s.name === name);
        if (!column || !sub) throw scimErrors.invalidFilter(`${parent.name}.${name} is not filterable`);
        if (node.kind === 'present') return sql<SqlBool>`${column} is not null`;
        return this.compare(column, sub, node.op, storedLiteral(sub, node.value, !sub.caseExact), true);
      }
    }
  }

  compile(node: FilterNode): RawBuilder<SqlBool> {
    switch (node.kind) {
      case 'and':
        return sql<SqlBool>`(${this.compile(node.left)} and ${this.compile(node.right)})`;
      case 'or':
        return sql<SqlBool>`(${this.compile(node.left)} or ${this.compile(node.right)})`;
      case 'not':
        return sql<SqlBool>`(not ${this.compile(node.filter)})`;
      case 'valuePath': {
        const r = resolve(this.ctx, { schema: node.attr.schema, attribute: node.attr.attribute });
        if (isMembership(this.ctx, r.top)) return this.membership((m) => this.membershipLeaf(node.filter, m, r.top));
        const keys = [...(r.extension ? [r.extension] : []), checkName(r.top.name)];
        if (!r.top.multiValued) {
          // A value filter on a single-valued complex attribute applies to that one object.
          return this.elementFilter(node.filter, sql`r.search`, r.top) as RawBuilder<SqlBool>;
        }
        return this.elements(keys, (e) => this.elementFilter(node.filter, e, r.top));
      }
      case 'compare':
      case 'present':
        return this.leaf(node);
    }
  }

  private leaf(node: FilterNode & { kind: 'compare' | 'present' }): RawBuilder<SqlBool> {
    const r = resolve(this.ctx, node.attr);
    if (isMembership(this.ctx, r.top)) return this.membership((m) => this.membershipLeaf(node, m, r.top));
    const key =
      node.attr.subAttribute === undefined ? node.attr.attribute : `${node.attr.attribute}.${node.attr.subAttribute}`;
    const column = r.extension === undefined ? COLUMNS[this.ctx.resourceTypeId][key] : undefined;
    if (column) {
      const x = sql.ref(column.column) as Expr;
      if (node.kind === 'present') return sql<SqlBool>`coalesce((${x} is not null and ${x} <> ''), false)`;
      return this.compare(x, r.def, node.op, storedLiteral(r.def, node.value, column.folded), true);
    }
    const topKeys = [...(r.extension ? [r.extension] : []), checkName(r.top.name)];
    if (r.top.multiValued) {
      if (node.attr.subAttribute === undefined) {
        if (node.kind === 'present') return this.present(sql`r.search`, topKeys);
        throw scimErrors.invalidFilter(`${r.top.name} is multi-valued: compare one of its sub-attributes`);
      }
      const sub = r.def;
      return this.elements(topKeys, (e) =>
        node.kind === 'present'
          ? this.present(e, [checkName(sub.name)])
          : this.compare(
              this.jsonValue(e, [checkName(sub.name)]),
              sub,
              node.op,
              storedLiteral(sub, node.value, !sub.caseExact),
            ),
      );
    }
    const keys = node.attr.subAttribute === undefined ? topKeys : [...topKeys, checkName(r.def.name)];
    if (node.kind === 'present') return this.present(sql`r.search`, keys);
    return this.compare(
      this.jsonValue(sql`r.search`, keys),
      r.def,
      node.op,
      storedLiteral(r.def, node.value, !r.def.caseExact),
    );
  }

  sort(ref: AttrRef): Expr {
    const r = resolve(this.ctx, ref);
    if (isMembership(this.ctx, r.top)) throw scimErrors.invalidValue(`sortBy cannot name ${r.top.name}`);
    const key = ref.subAttribute === undefined ? ref.attribute : `${ref.attribute}.${ref.subAttribute}`;
    const column = r.extension === undefined ? COLUMNS[this.ctx.resourceTypeId][key] : undefined;
    const collate = (x: Expr) => (this.pg ? sql`(${x}) collate "C"` : x);
    if (column) return collate(sql.ref(column.column) as Expr);
    const topKeys = [...(r.extension ? [r.extension] : []), checkName(r.top.name)];
    if (r.top.multiValued) {
      // RFC 7644 §3.4.2.3: multi-valued attributes sort by their primary value, else the first.
      const sub = ref.subAttribute === undefined ? 'value' : checkName(r.def.name);
      if (this.pg) {
        const arr = sql`r.search #> ${this.path(topKeys)}::text[]`;
        return collate(
          sql`(select e.value #>> ${[sub]}::text[] from jsonb_array_elements(case when jsonb_typeof(${arr}) = 'array' then ${arr} else '[]'::jsonb end) with ordinality as e(value, n) order by (e.value ->> 'primary') = 'true' desc, n limit 1)`,
        );
      }
      return sql`(select json_extract(e.value, ${`$."${sub}"`}) from json_each(r.search, ${this.path(topKeys)}) as e order by json_extract(e.value, '$.primary') = 1 desc, e.key limit 1)`;
    }
    const keys = ref.subAttribute === undefined ? topKeys : [...topKeys, checkName(r.def.name)];
    return collate(this.jsonValue(sql`r.search`, keys));
  }
}

const SQL_OPS: Record<CompareOperator, string> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
  co: '',
  sw: '',
  ew: '',
};

function isMembership(ctx: FilterSqlContext, top: AttributeDefinition): boolean {
  return (
    (ctx.resourceTypeId === 'Group' && top.name === 'members') ||
    (ctx.resourceTypeId === 'User' && top.name === 'groups')
  );
}

export function compileFilter(node: FilterNode, ctx: FilterSqlContext): RawBuilder<SqlBool> {
  return new Compiler(ctx).compile(node);
}

export function compileSort(ref: AttrRef, ctx: FilterSqlContext): RawBuilder<unknown> {
  return new Compiler(ctx).sort(ref);
}
