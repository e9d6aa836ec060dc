// Response shaping (RFC 7644 §3.4.2.5, §3.9): attributes / excludedAttributes × each attribute's `returned`.
import { scimErrors } from '../errors.ts';
import { parseAttrRef } from '../path/parse.ts';
import type { AttrRef } from '../path/types.ts';
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';

export interface ProjectionRequest {
  readonly attributes?: readonly AttrRef[];
  readonly excludedAttributes?: readonly AttrRef[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `attributes=` / `excludedAttributes=` text → canonical references. A malformed name is 400 invalidValue; a
 * well-formed name the resource type does not define is ignored (it selects nothing), as most IdPs expect.
 */
export function parseAttributeList(text: string, resourceTypeId: string, registry: SchemaRegistry): AttrRef[] {
  const out: AttrRef[] = [];
  for (const part of text.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const ref = parseAttrRef(trimmed, scimErrors.invalidValue);
    const found = registry.resolve(resourceTypeId, ref);
    if (!found) continue;
    out.push(
      found.parent
        ? { schema: found.schema, attribute: found.parent.name, subAttribute: found.attribute.name }
        : { schema: found.schema, attribute: found.attribute.name },
    );
  }
  return out;
}

function matching(list: readonly AttrRef[] | undefined, schema: string, name: string): AttrRef[] {
  return (list ?? []).filter((r) => r.schema === schema && r.attribute === name);
}

function shapeComplex(value: unknown, def: AttributeDefinition, keep: (sub: AttributeDefinition) => boolean): unknown {
  const one = (v: unknown) => {
    if (!isObject(v)) return v;
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) {
      const sub = def.subAttributes?.find((s) => s.name === k);
      if (sub && sub.returned !== 'never' && keep(sub)) out[k] = x;
    }
    return out;
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

function projectAttribute(
  def: AttributeDefinition,
  schema: string,
  value: unknown,
  request: ProjectionRequest,
): unknown {
  if (def.returned === 'never') return undefined;
  if (def.returned === 'always') return value;
  if (request.attributes) {
    const refs = matching(request.attributes, schema, def.name);
    if (refs.length === 0) return undefined;
    if (refs.some((r) => r.subAttribute === undefined) || def.type !== 'complex') return value;
    const subs = new Set(refs.map((r) => r.subAttribute));
    return shapeComplex(value, def, (sub) => sub.returned === 'always' || subs.has(sub.name));
  }
  if (def.returned === 'request') return undefined;
  const excluded = matching(request.excludedAttributes, schema, def.name);
  if (excluded.some((r) => r.subAttribute === undefined)) return undefined;
  if (def.type !== 'complex') return value;
  const subs = new Set(excluded.map((r) => r.subAttribute));
  return shapeComplex(
    value,
    def,
    (sub) => sub.returned === 'always' || (sub.returned !== 'request' && !subs.has(sub.name)),
  );
}

export function project(
  resource: Json,
  resourceTypeId: string,
  registry: SchemaRegistry,
  request: ProjectionRequest = {},
): Json {
  const type = registry.resourceType(resourceTypeId);
  if (!type) return resource;
  const out: Json = {};
  const extensions = new Set(type.schemaExtensions.map((e) => e.schema));
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'schemas') {
      out.schemas = value;
      continue;
    }
    if (extensions.has(key) && isObject(value)) {
      const ext: Json = {};
      for (const [name, v] of Object.entries(value)) {
        const def = registry.resolve(resourceTypeId, { schema: key, attribute: name })?.attribute;
        const shaped = def ? projectAttribute(def, key, v, request) : undefined;
        if (shaped !== undefined) ext[name] = shaped;
      }
      if (Object.keys(ext).length > 0) out[key] = ext;
      continue;
    }
    const found = registry.resolve(resourceTypeId, { schema: type.schema, attribute: key });
    if (!found) continue;
    const shaped = projectAttribute(found.attribute, type.schema, value, request);
    if (shaped !== undefined) out[key] = shaped;
  }
  return out;
}
