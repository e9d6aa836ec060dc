// The AST back to filter text: canonical spelling (lower-case operators, JSON literals, parentheses only where
// precedence needs them), so that parseFilter(printFilter(ast)) equals ast up to offsets.
import type { AttrRef } from '../path/types.ts';
import type { FilterLiteral, FilterNode } from './ast.ts';

export function printAttrRef(attr: AttrRef): string {
  const path = attr.subAttribute === undefined ? attr.attribute : `${attr.attribute}.${attr.subAttribute}`;
  return attr.schema === undefined ? path : `${attr.schema}:${path}`;
}

function literal(value: FilterLiteral): string {
  // JSON.stringify prints -0 as "0"; keep the sign so the round trip is exact.
  return typeof value === 'number' && Object.is(value, -0) ? '-0' : JSON.stringify(value);
}

/** Binding strength: or < and < everything else. */
const strength = (node: FilterNode): number => (node.kind === 'or' ? 1 : node.kind === 'and' ? 2 : 3);

function operand(node: FilterNode, min: number): string {
  const text = printFilter(node);
  return strength(node) < min ? `(${text})` : text;
}

export function printFilter(node: FilterNode): string {
  switch (node.kind) {
    case 'compare':
      return `${printAttrRef(node.attr)} ${node.op} ${literal(node.value)}`;
    case 'present':
      return `${printAttrRef(node.attr)} pr`;
    // Both are parsed left-associatively: a right operand of the same kind needs parentheses.
    case 'and':
      return `${operand(node.left, 2)} and ${operand(node.right, 3)}`;
    case 'or':
      return `${operand(node.left, 1)} or ${operand(node.right, 2)}`;
    case 'not':
      return `not (${printFilter(node.filter)})`;
    case 'valuePath':
      return `${printAttrRef(node.attr)}[${printFilter(node.filter)}]`;
  }
}

/** The AST without offsets (and without `undefined` keys), for comparing parses of different texts. */
export function stripOffsets(node: FilterNode): unknown {
  const ref = (attr: AttrRef) => ({
    ...(attr.schema === undefined ? {} : { schema: attr.schema }),
    attribute: attr.attribute,
    ...(attr.subAttribute === undefined ? {} : { subAttribute: attr.subAttribute }),
  });
  switch (node.kind) {
    case 'compare':
      return { kind: 'compare', attr: ref(node.attr), op: node.op, value: node.value };
    case 'present':
      return { kind: 'present', attr: ref(node.attr) };
    case 'and':
    case 'or':
      return { kind: node.kind, left: stripOffsets(node.left), right: stripOffsets(node.right) };
    case 'not':
      return { kind: 'not', filter: stripOffsets(node.filter) };
    case 'valuePath':
      return { kind: 'valuePath', attr: ref(node.attr), filter: stripOffsets(node.filter) };
  }
}
