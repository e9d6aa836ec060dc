// The in-memory reference semantics of checked filters; the SQL compiler must agree with it (differential test).
//  - RFC 7644 §3.4.2.2: a comparison on a multi-valued attribute is true when ANY value satisfies it.
//  - A missing or null attribute satisfies no comparison, `ne` included (as SQL's NULL <> x): `ne "x"` means "has
//    a value, and it is not x"; write `not (x eq "y")` to include resources without the attribute.
//  - `pr` (RFC 7644 §3.4.2.2 "non-empty value, or … non-empty node for complex attributes"): at least one value
//    that is not null, "", [] or a complex value without any present sub-attribute.
//  - Strings with caseExact=false compare case-folded (foldCase); ordering is by Unicode code point; dateTimes
//    compare as instants; numbers numerically; booleans by eq/ne only.
import type { AttrRef } from '../path/types.ts';
import { foldCase } from '../resource/normalize.ts';
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';
import type { CompareOperator, FilterLiteral, FilterNode } from './ast.ts';
import { parseDateTime } from './date-time.ts';

type Resource = Readonly<Record<string, unknown>>;

function own(object: unknown, key: string): unknown {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return undefined;
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

/** Every value the reference names in the resource, flattened across multi-valued elements; nulls dropped. */
function valuesOf(resource: Resource, attr: AttrRef, coreSchema: string | undefined): unknown[] {
  // RFC 7643 §3: extension attributes live under their schema URN; core ones at the top level.
  const container = attr.schema === undefined || attr.schema === coreSchema ? resource : own(resource, attr.schema);
  const top = own(container, attr.attribute);
  const elements = Array.isArray(top) ? top : top === undefined ? [] : [top];
  const sub = attr.subAttribute;
  const values = sub === undefined ? elements : elements.map((e) => own(e, sub));
  return values.filter((v) => v !== undefined && v !== null);
}

/** Orders strings by Unicode code point (not UTF-16 unit, not locale). */
export function codePointCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}

function ordered(op: CompareOperator, d: number): boolean {
  switch (op) {
    case 'eq':
      return d === 0;
    case 'ne':
      return d !== 0;
    case 'gt':
      return d > 0;
    case 'ge':
      return d >= 0;
    case 'lt':
      return d < 0;
    case 'le':
      return d <= 0;
    default:
      return false;
  }
}

function compareOne(
  actual: unknown,
  op: CompareOperator,
  expected: FilterLiteral,
  def: AttributeDefinition | undefined,
): boolean {
  if (expected === null) return false;
  if (typeof expected === 'boolean') {
    if (typeof actual !== 'boolean') return false;
    return op === 'eq' ? actual === expected : op === 'ne' ? actual !== expected : false;
  }
  if (typeof expected === 'number') {
    if (typeof actual !== 'number' || !Number.isFinite(actual)) return false;
    return ordered(op, actual === expected ? 0 : actual - expected);
  }
  if (typeof actual !== 'string') return false;
  if (def?.type === 'dateTime') {
    const a = parseDateTime(actual);
    const e = parseDateTime(expected);
    return a === undefined || e === undefined ? false : ordered(op, a - e);
  }
  // RFC 7643 §2.2: caseExact=false → case-insensitive matching, for every operator.
  const fold = def !== undefined && !def.caseExact;
  const a = fold ? foldCase(actual) : actual;
  const e = fold ? foldCase(expected) : expected;
  switch (op) {
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    default:
      return ordered(op, a === e ? 0 : codePointCompare(a, e));
  }
}

function present(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.some(present);
  if (typeof value === 'object') return Object.values(value).some(present);
  return true;
}

interface Context {
  readonly registry: SchemaRegistry | undefined;
  readonly resourceTypeId: string | undefined;
  readonly coreSchema: string | undefined;
  /** Inside a value path: the parent's sub-attribute definitions. */
  readonly subAttributes?: readonly AttributeDefinition[] | undefined;
}

function definition(ctx: Context, attr: AttrRef): AttributeDefinition | undefined {
  if (ctx.subAttributes) {
    const key = attr.attribute.toLowerCase();
    return ctx.subAttributes.find((s) => s.name.toLowerCase() === key);
  }
  return ctx.registry && ctx.resourceTypeId ? ctx.registry.resolve(ctx.resourceTypeId, attr)?.attribute : undefined;
}

function evaluate(node: FilterNode, resource: Resource, ctx: Context): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, resource, ctx) && evaluate(node.right, resource, ctx);
    case 'or':
      return evaluate(node.left, resource, ctx) || evaluate(node.right, resource, ctx);
    case 'not':
      return !evaluate(node.filter, resource, ctx);
    case 'present':
      return valuesOf(resource, node.attr, ctx.coreSchema).some(present);
    case 'compare': {
      const def = definition(ctx, node.attr);
      return valuesOf(resource, node.attr, ctx.coreSchema).some((v) => compareOne(v, node.op, node.value, def));
    }
    case 'valuePath': {
      const parent = definition(ctx, node.attr);
      const elements = valuesOf(resource, { ...node.attr, subAttribute: undefined }, ctx.coreSchema);
      const inner: Context = { ...ctx, subAttributes: parent?.subAttributes ?? [] };
      // One element must satisfy the whole inner filter (RFC 7644 §3.4.2.2 valuePath).
      return elements.some(
        (e) => typeof e === 'object' && !Array.isArray(e) && evaluate(node.filter, e as Resource, inner),
      );
    }
  }
}

/**
 * Evaluates a checked filter (canonical names, see checkFilter) against a SCIM resource in its JSON form, with
 * extension attributes under their schema URN.
 */
export function evaluateFilter(
  node: FilterNode,
  resource: Resource,
  registry: SchemaRegistry,
  resourceTypeId: string,
): boolean {
  return evaluate(node, resource, {
    registry,
    resourceTypeId,
    coreSchema: registry.resourceType(resourceTypeId)?.schema,
  });
}

/** Evaluates a checked value filter (PATCH `emails[type eq "work"]`) against one element of a multi-valued attribute. */
export function evaluateValueFilter(filter: FilterNode, element: unknown, parentDef: AttributeDefinition): boolean {
  if (element === null || typeof element !== 'object' || Array.isArray(element)) return false;
  return evaluate(filter, element as Resource, {
    registry: undefined,
    resourceTypeId: undefined,
    coreSchema: undefined,
    subAttributes: parentDef.subAttributes ?? [],
  });
}
