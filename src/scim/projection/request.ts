// A request's `attributes` / `excludedAttributes` (query or SearchRequest body) → the projection it asks for, and
// what follows from it: whether a computed attribute is read at all, and whether stored data can be sent as it is.
import { scimErrors } from '../errors.ts';
import type { AttrRef } from '../path/types.ts';
import type { SchemaRegistry } from '../schema/types.ts';
import { compileProjection, parseAttributeList, storedDataIsDefaultShape } from './project.ts';

export interface Projection {
  readonly attributes: readonly AttrRef[] | undefined;
  readonly excludedAttributes: readonly AttrRef[] | undefined;
}

/** Both parameters, each a comma-separated list (or, in a SearchRequest body, an array of names). */
export function projectionFrom(
  resourceTypeId: string,
  source: { readonly attributes?: unknown; readonly excludedAttributes?: unknown },
  registry: SchemaRegistry,
): Projection {
  const list = (value: unknown, name: string) => {
    if (value === undefined || value === null || value === '') return undefined;
    const text = Array.isArray(value) ? value.join(',') : value;
    if (typeof text !== 'string')
      throw scimErrors.invalidValue(`${name} must be a comma-separated list of attribute names`);
    return parseAttributeList(text, resourceTypeId, registry);
  };
  return {
    attributes: list(source.attributes, 'attributes'),
    excludedAttributes: list(source.excludedAttributes, 'excludedAttributes'),
  };
}

/** Whether the response will contain `name`, so an expensive computed attribute is read only when needed. */
export function includes(projection: Projection, name: string): boolean {
  const same = (ref: AttrRef) => ref.attribute.toLowerCase() === name.toLowerCase();
  if (projection.attributes) return projection.attributes.some(same);
  return !(projection.excludedAttributes ?? []).some((ref) => same(ref) && ref.subAttribute === undefined);
}

/** The projection as a function over rendered resources, compiled once per request (lists reuse it per item). */
export function shaper(resourceTypeId: string, projection: Projection, registry: SchemaRegistry) {
  return compileProjection(resourceTypeId, registry, {
    ...(projection.attributes ? { attributes: [...projection.attributes] } : {}),
    ...(projection.excludedAttributes ? { excludedAttributes: [...projection.excludedAttributes] } : {}),
  });
}

/**
 * Whether the projection keeps a stored resource as it is: no `attributes`, and nothing excluded but the computed
 * attribute (which the renderer then does not read at all). Entra and Okta send exactly these requests.
 */
export function keepsStoredShape(
  resourceTypeId: string,
  computed: string,
  projection: Projection,
  registry: SchemaRegistry,
): boolean {
  if (projection.attributes || !storedDataIsDefaultShape(resourceTypeId, registry)) return false;
  return (projection.excludedAttributes ?? []).every(
    (ref) => ref.attribute === computed && ref.subAttribute === undefined,
  );
}
