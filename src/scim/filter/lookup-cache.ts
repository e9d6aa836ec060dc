// The filter IdPs send most, `attr eq "value"` (the lookup before every create), parsed and checked once per shape.
// Checking such a filter depends on the attribute only, not on the value, when the attribute is a string,
// reference or binary (checkComparison asks only that the literal is a string): the checked node is kept per
// (registry, resource type, attribute as written) and each request puts its own value into a copy. Every other
// filter, and a first sight of a shape, goes through parseFilter and checkFilter.
import type { SchemaRegistry } from '../schema/types.ts';
import type { FilterNode } from './ast.ts';
import { checkFilter } from './check.ts';
import { tokenize } from './lexer.ts';
import { FILTER_LIMITS } from './limits.ts';
import { parseFilter } from './parser.ts';

type Compare = FilterNode & { kind: 'compare' };

/** Valid attribute spellings are few, but their case variants are not: a bound, and a fresh start when reached. */
const MAX_SHAPES = 1_000;
const checked = new WeakMap<SchemaRegistry, Map<string, Compare | null>>();

const VALUE_FREE_TYPES: ReadonlySet<string> = new Set(['string', 'reference', 'binary']);

/** parseFilter then checkFilter, the same answer and the same errors, from the shape's checked node when known. */
export function parseCheckedFilter(text: string, resourceTypeId: string, registry: SchemaRegistry): FilterNode {
  if (text.length > FILTER_LIMITS.maxLength) return checkFilter(parseFilter(text), resourceTypeId, registry);
  const tokens = tokenize(text);
  const [attr, op, value, end] = tokens;
  const lookup =
    tokens.length === 4 &&
    attr?.kind === 'word' &&
    op?.kind === 'word' &&
    op.text.toLowerCase() === 'eq' &&
    value?.kind === 'string' &&
    end?.kind === 'end';
  if (!lookup) return checkFilter(parseFilter(text), resourceTypeId, registry);
  let shapes = checked.get(registry);
  if (!shapes) {
    shapes = new Map();
    checked.set(registry, shapes);
  }
  const key = `${resourceTypeId}\u0000${attr.text}`;
  let template = shapes.get(key);
  if (template === undefined) {
    const node = checkFilter(parseFilter(text), resourceTypeId, registry);
    template = null;
    if (node.kind === 'compare') {
      const type = registry.resolve(resourceTypeId, node.attr)?.attribute.type;
      if (type !== undefined && VALUE_FREE_TYPES.has(type)) template = node;
    }
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(key, template);
    return node;
  }
  if (template === null) return checkFilter(parseFilter(text), resourceTypeId, registry);
  return Object.freeze({ ...template, value: value.value, offset: attr.offset });
}
