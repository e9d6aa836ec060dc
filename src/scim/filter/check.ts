// The filter AST checked against the schema: names resolved to their canonical spelling, operators and literals
// matched to attribute types. Attribute names may appear in errors; literal values never do.
import { scimErrors } from '../errors.ts';
import type { AttrRef } from '../path/types.ts';
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';
import type { CompareOperator, FilterLiteral, FilterNode } from './ast.ts';

const ORDERING = new Set<CompareOperator>(['gt', 'ge', 'lt', 'le']);
const SUBSTRING = new Set<CompareOperator>(['co', 'sw', 'ew']);

function name(attr: AttrRef): string {
  return attr.subAttribute === undefined ? attr.attribute : `${attr.attribute}.${attr.subAttribute}`;
}

function isDateTime(value: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value))
  );
}

/** RFC 7644 §3.4.2.2: which operators make sense for which attribute type, and which literal each needs. */
function checkComparison(def: AttributeDefinition, op: CompareOperator, value: FilterLiteral, label: string): void {
  if (def.returned === 'never') throw scimErrors.invalidFilter(`${label} cannot be used in a filter`);
  if (value === null)
    throw scimErrors.invalidFilter(`${label}: compare with null is not supported; use "pr" or "not (… pr)"`);
  switch (def.type) {
    case 'boolean':
      if (op !== 'eq' && op !== 'ne') throw scimErrors.invalidFilter(`${label} is a boolean: only eq and ne apply`);
      if (typeof value !== 'boolean')
        throw scimErrors.invalidFilter(`${label} is a boolean: compare with true or false`);
      return;
    case 'integer':
    case 'decimal':
      if (SUBSTRING.has(op)) throw scimErrors.invalidFilter(`${label} is a number: co, sw and ew do not apply`);
      if (typeof value !== 'number' || (def.type === 'integer' && !Number.isInteger(value))) {
        throw scimErrors.invalidFilter(
          `${label} is ${def.type === 'integer' ? 'an integer' : 'a number'}: compare with a number`,
        );
      }
      return;
    case 'dateTime':
      if (SUBSTRING.has(op)) throw scimErrors.invalidFilter(`${label} is a dateTime: co, sw and ew do not apply`);
      if (typeof value !== 'string' || !isDateTime(value))
        throw scimErrors.invalidFilter(`${label} is a dateTime: compare with an xsd:dateTime string`);
      return;
    case 'binary':
      if (op !== 'eq' && op !== 'ne') throw scimErrors.invalidFilter(`${label} is binary: only eq and ne apply`);
      if (typeof value !== 'string') throw scimErrors.invalidFilter(`${label}: compare with a string`);
      return;
    case 'string':
    case 'reference':
      if (typeof value !== 'string') throw scimErrors.invalidFilter(`${label} is a string: compare with a "string"`);
      return;
    case 'complex':
      throw scimErrors.invalidFilter(`${label} is complex: compare one of its sub-attributes`);
  }
}

/** Complex attributes with a `value` sub-attribute compare on it when named alone (e.g. `emails co "@x"`). */
function implicitValue(def: AttributeDefinition): AttributeDefinition | undefined {
  return def.type === 'complex' ? def.subAttributes?.find((s) => s.name === 'value') : undefined;
}

interface Scope {
  readonly resourceTypeId: string;
  readonly registry: SchemaRegistry;
  /** Inside a value path: the complex attribute whose sub-attributes the names refer to. */
  readonly parent?: { readonly ref: AttrRef; readonly def: AttributeDefinition };
}

function resolve(scope: Scope, attr: AttrRef): { ref: AttrRef; def: AttributeDefinition } {
  const label = name(attr);
  if (scope.parent) {
    if (attr.schema !== undefined || attr.subAttribute !== undefined) {
      throw scimErrors.invalidFilter(
        `${label}: inside a value filter, name a sub-attribute of ${scope.parent.ref.attribute}`,
      );
    }
    const sub = scope.parent.def.subAttributes?.find((s) => s.name.toLowerCase() === attr.attribute.toLowerCase());
    if (!sub) throw scimErrors.invalidFilter(`${scope.parent.ref.attribute} has no sub-attribute ${attr.attribute}`);
    return { ref: { attribute: sub.name }, def: sub };
  }
  const found = scope.registry.resolve(scope.resourceTypeId, attr);
  if (!found) throw scimErrors.invalidFilter(`${label} is not an attribute of ${scope.resourceTypeId}`);
  const ref: AttrRef = found.parent
    ? { schema: found.schema, attribute: found.parent.name, subAttribute: found.attribute.name }
    : { schema: found.schema, attribute: found.attribute.name };
  return { ref, def: found.attribute };
}

function check(node: FilterNode, scope: Scope): FilterNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return Object.freeze({ kind: node.kind, left: check(node.left, scope), right: check(node.right, scope) });
    case 'not':
      return Object.freeze({ kind: 'not', filter: check(node.filter, scope) });
    case 'present': {
      const { ref, def } = resolve(scope, node.attr);
      if (def.returned === 'never') throw scimErrors.invalidFilter(`${name(node.attr)} cannot be used in a filter`);
      return Object.freeze({ kind: 'present', attr: ref, offset: node.offset });
    }
    case 'compare': {
      let { ref, def } = resolve(scope, node.attr);
      const value = implicitValue(def);
      if (value && ref.subAttribute === undefined && !scope.parent) {
        ref = { ...ref, subAttribute: value.name };
        def = value;
      }
      checkComparison(def, node.op, node.value, name(node.attr));
      if (ORDERING.has(node.op) && def.type === 'boolean')
        throw scimErrors.invalidFilter(`${name(node.attr)}: booleans are not ordered`);
      return Object.freeze({ kind: 'compare', attr: ref, op: node.op, value: node.value, offset: node.offset });
    }
    case 'valuePath': {
      if (scope.parent) throw scimErrors.invalidFilter('value filters cannot be nested');
      const { ref, def } = resolve(scope, node.attr);
      if (def.type !== 'complex')
        throw scimErrors.invalidFilter(`${name(node.attr)} is not complex: a value filter does not apply`);
      const filter = check(node.filter, { ...scope, parent: { ref, def } });
      return Object.freeze({ kind: 'valuePath', attr: ref, filter, offset: node.offset });
    }
  }
}

/** Resolves and type-checks every attribute of a parsed filter for one resource type. */
export function checkFilter(node: FilterNode, resourceTypeId: string, registry: SchemaRegistry): FilterNode {
  return check(node, { resourceTypeId, registry });
}

/** Checks a value filter relative to a complex attribute (PATCH paths such as `emails[type eq "work"]`). */
export function checkValueFilter(
  node: FilterNode,
  parentRef: AttrRef,
  parentDef: AttributeDefinition,
  resourceTypeId: string,
  registry: SchemaRegistry,
): FilterNode {
  return check(node, { resourceTypeId, registry, parent: { ref: parentRef, def: parentDef } });
}
