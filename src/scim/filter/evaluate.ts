// The in-memory reference semantics of filters; the SQL compiler must agree with it (differential test).
//  - A comparison is true when ANY value of the attribute satisfies it (RFC 7644 §3.4.2.2, multi-valued);
//    a missing or null attribute satisfies no comparison, `ne` included.
//  - `pr`: at least one value that is not null, not "", not [] and not {}.
//  - caseExact=false strings compare case-folded; ordering is by Unicode code point; dateTimes by instant.
import type { AttrRef } from '../path/types.ts';
import { foldCase } from '../resource/normalize.ts';
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';
import type { CompareOperator, FilterLiteral, FilterNode } from './ast.ts';

type Resource = Readonly<Record<string, unknown>>;

function own(object: unknown, key: string): unknown {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return undefined;
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

/** Every value the reference names in the resource (flattened across multi-valued elements). */
function valuesOf(resource: Resource, attr: AttrRef, coreSchema: string | undefined): unknown[] {
  const container = attr.schema === undefined || attr.schema === coreSchema ? resource : own(resource, attr.schema);
  const top = own(container, attr.attribute);
  const elements = Array.isArray(top) ? top : top === undefined ? [] : [top];
  const values = attr.subAttribute === undefined ? elements : elements.map((e) => own(e, attr.subAttribute!));
  return values.filter((v) => v !== undefined && v !== null);
}

export function codePointCompare(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
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
    if (typeof actual !== 'number') return false;
    const d = actual - expected;
    return ordered(op, d);
  }
  if (typeof actual !== 'string') return false;
  if (def?.type === 'dateTime') {
    const d = Date.parse(actual) - Date.parse(expected);
    return Number.isNaN(d) ? false : ordered(op, d);
  }
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
      return ordered(op, codePointCompare(a, e));
  }
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
  /** Inside a value path: sub-attribute definitions of the parent. */
  readonly subAttributes?: readonly AttributeDefinition[] | undefined;
}

function definition(ctx: Context, attr: AttrRef): AttributeDefinition | undefined {
  if (ctx.subAttributes) return ctx.subAttributes.find((s) => s.name === attr.attribute);
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
      const top = valuesOf(resource, { ...node.attr, subAttribute: undefined }, ctx.coreSchema);
      const elements = top.flatMap((v) => (Array.isArray(v) ? v : [v]));
      const inner: Context = { ...ctx, subAttributes: parent?.subAttributes ?? [] };
      return elements.some((e) => e !== null && typeof e === 'object' && evaluate(node.filter, e as Resource, inner));
    }
  }
}

/** Evaluates a checked filter (canonical names) against a SCIM resource. */
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

/** Evaluates a checked value filter against one element of a multi-valued complex attribute. */
export function evaluateValueFilter(filter: FilterNode, element: unknown, parentDef: AttributeDefinition): boolean {
  if (element === null || typeof element !== 'object') return false;
  return evaluate(filter, element as Resource, {
    registry: undefined,
    resourceTypeId: undefined,
    coreSchema: undefined,
    subAttributes: parentDef.subAttributes ?? [],
  });
}
