// The AST back to filter text (canonical spelling), e.g. for logs of shape and for round-trip tests.
import type { AttrRef } from '../path/types.ts';
import type { FilterNode } from './ast.ts';

function ref(attr: AttrRef): string {
  const path = attr.subAttribute === undefined ? attr.attribute : `${attr.attribute}.${attr.subAttribute}`;
  return attr.schema === undefined ? path : `${attr.schema}:${path}`;
}

export function printFilter(node: FilterNode): string {
  switch (node.kind) {
    case 'compare':
      return `${ref(node.attr)} ${node.op} ${JSON.stringify(node.value)}`;
    case 'present':
      return `${ref(node.attr)} pr`;
    case 'and':
      return `(${printFilter(node.left)} and ${printFilter(node.right)})`;
    case 'or':
      return `(${printFilter(node.left)} or ${printFilter(node.right)})`;
    case 'not':
      return `not (${printFilter(node.filter)})`;
    case 'valuePath':
      return `${ref(node.attr)}[${printFilter(node.filter)}]`;
  }
}
