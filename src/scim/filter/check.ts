// The filter AST checked against the schema: names resolved to their canonical spelling (schema URN always set),
// operators and literals matched to attribute types. Attribute paths may appear in errors; literal values never do.
//
// Decisions (RFC 7644 §3.4.2.2 leaves them open):
//  - A complex attribute compared without a sub-attribute compares its `value` sub-attribute when it has one
//    (`emails co "@x"`, `manager eq "id"`), single- or multi-valued; otherwise it only takes `pr`.
//  - `null` literals are refused: RFC 7643 §2.5 makes null "unassigned", so `x eq null` is `not (x pr)` — say that.
//  - Attributes with returned "never" (password) → 403 sensitive: RFC 7644 §3.12 "sensitive" is for sensitive
//    information in a request URI, which a password in a filter is. Security plan B12.
//  - Value paths nest no further (errata 4690) and apply to complex attributes only.
import { scimErrors } from '../errors.ts';
import { attrRef } from '../path/attr-ref.ts';
import type { AttrRef } from '../path/types.ts';
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';
import type { CompareOperator, FilterLiteral, FilterNode } from './ast.ts';
import { parseDateTime } from './date-time.ts';

const SUBSTRING: ReadonlySet<CompareOperator> = new Set<CompareOperator>(['co', 'sw', 'ew']);

function label(attr: AttrRef): string {
  const path = attr.subAttribute === undefined ? attr.attribute : `${attr.attribute}.${attr.subAttribute}`;
  return attr.schema === undefined ? path : `${attr.schema}:${path}`;
}

const invalid = (path: string, what: string) => scimErrors.invalidFilter(`${path}: ${what}`);

/** RFC 7644 §3.4.2.2: which operators apply to which attribute type, and which literal each needs. */
function checkComparison(def: AttributeDefinition, op: CompareOperator, value: FilterLiteral, path: string): void {
  if (value === null) throw invalid(path, 'comparing with null is not supported; use "pr" or "not (… pr)"');
  switch (def.type) {
    case 'boolean':
      // RFC 7644 §3.4.2.2: gt/ge/lt/le on a boolean "SHALL" fail with invalidFilter; so do co/sw/ew.
      if (op !== 'eq' && op !== 'ne') throw invalid(path, 'is a boolean; only eq and ne apply');
      if (typeof value !== 'boolean') throw invalid(path, 'is a boolean; compare with true or false');
      return;
    case 'integer':
    case 'decimal':
      if (SUBSTRING.has(op))
        throw invalid(path, `is ${def.type === 'integer' ? 'an integer' : 'a decimal'}; co, sw and ew do not apply`);
      if (typeof value !== 'number')
        throw invalid(path, `is ${def.type === 'integer' ? 'an integer' : 'a decimal'}; compare with a number`);
      if (def.type === 'integer' && !Number.isInteger(value))
        throw invalid(path, 'is an integer; compare with a whole number');
      return;
    case 'dateTime':
      if (SUBSTRING.has(op)) throw invalid(path, 'is a dateTime; co, sw and ew do not apply');
      if (typeof value !== 'string' || parseDateTime(value) === undefined)
        throw invalid(path, 'is a dateTime; compare with an xsd:dateTime string with a time zone');
      return;
    case 'binary':
      // RFC 7644 §3.4.2.2: gt/ge/lt/le on binary "SHALL" fail with invalidFilter.
      if (op !== 'eq' && op !== 'ne') throw invalid(path, 'is binary; only eq and ne apply');
      if (typeof value !== 'string') throw invalid(path, 'is binary; compare with a base64 "string"');
      return;
    case 'string':
    case 'reference':
      if (typeof value !== 'string') throw invalid(path, `is a ${def.type}; compare with a "string"`);
      return;
    case 'complex':
      throw invalid(path, 'is complex; compare one of its sub-attributes or use "pr"');
  }
}

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
  const path = label(attr);
  let found: { ref: AttrRef; def: AttributeDefinition } | undefined;
  if (scope.parent) {
    const parent = scope.parent;
    if (attr.schema !== undefined || attr.subAttribute !== undefined)
      throw invalid(path, `inside a value filter, name a sub-attribute of ${label(parent.ref)}`);
    const key = attr.attribute.toLowerCase();
    const sub = parent.def.subAttributes?.find((s) => s.name.toLowerCase() === key);
    if (!sub) throw invalid(path, `is not a sub-attribute of ${label(parent.ref)}`);
    found = { ref: attrRef(sub.name), def: sub };
  } else {
    const hit = scope.registry.resolve(scope.resourceTypeId, attr);
    if (!hit) throw invalid(path, `is not an attribute of ${scope.resourceTypeId}`);
    found = hit.parent
      ? { ref: attrRef(hit.parent.name, hit.schema, hit.attribute.name), def: hit.attribute }
      : { ref: attrRef(hit.attribute.name, hit.schema), def: hit.attribute };
  }
  if (found.def.returned === 'never' || (scope.parent && scope.parent.def.returned === 'never'))
    throw scimErrors.sensitive(`${path} is never returned and cannot be used in a filter`);
  return found;
}

function check(node: FilterNode, scope: Scope): FilterNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return Object.freeze({ kind: node.kind, left: check(node.left, scope), right: check(node.right, scope) });
    case 'not':
      return Object.freeze({ kind: 'not', filter: check(node.filter, scope) });
    case 'present': {
      const { ref } = resolve(scope, node.attr);
      return Object.freeze({ kind: 'present', attr: ref, offset: node.offset });
    }
    case 'compare': {
      let { ref, def } = resolve(scope, node.attr);
      const value = ref.subAttribute === undefined && !scope.parent ? implicitValue(def) : undefined;
      if (value) {
        ref = attrRef(ref.attribute, ref.schema, value.name);
        def = value;
      }
      checkComparison(def, node.op, node.value, label(node.attr));
      return Object.freeze({ kind: 'compare', attr: ref, op: node.op, value: node.value, offset: node.offset });
    }
    case 'valuePath': {
      if (scope.parent) throw invalid(label(node.attr), 'value filters cannot be nested');
      const { ref, def } = resolve(scope, node.attr);
      if (ref.subAttribute !== undefined || def.type !== 'complex' || !def.subAttributes?.length)
        throw invalid(label(node.attr), 'is not complex; a value filter does not apply');
      const filter = check(node.filter, { ...scope, parent: { ref, def } });
      return Object.freeze({ kind: 'valuePath', attr: ref, filter, offset: node.offset });
    }
  }
}

/**
 * Resolves and type-checks every attribute of a parsed filter for one resource type; returns a new frozen AST with
 * canonical AttrRefs. Throws invalidFilter (unknown attribute, operator or literal wrong for the type) or
 * sensitive (a returned-never attribute).
 */
export function checkFilter(node: FilterNode, resourceTypeId: string, registry: SchemaRegistry): FilterNode {
  return check(node, { resourceTypeId, registry });
}

/**
 * Checks a value filter relative to a complex attribute (PATCH paths such as `emails[type eq "work"]`): names are
 * sub-attributes of `parentDef`; returns the filter with canonical sub-attribute names.
 */
export function checkValueFilter(
  node: FilterNode,
  parentRef: AttrRef,
  parentDef: AttributeDefinition,
  resourceTypeId: string,
  registry: SchemaRegistry,
): FilterNode {
  return check(node, { resourceTypeId, registry, parent: { ref: parentRef, def: parentDef } });
}
