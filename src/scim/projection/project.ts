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

/** What to do with one attribute's value: drop it, keep it as it is, or rebuild it. */
type Action = ((value: unknown) => unknown) | 'keep' | 'drop';
const keepValue = (v: unknown) => v;

/**
 * A complex attribute keeping the sub-attributes `keep` selects. The value is returned as it is (no copy) when
 * every key in it is kept, which is the common case: stored resources hold only defined sub-attributes.
 */
function shapeComplex(def: AttributeDefinition, keep: (sub: AttributeDefinition) => boolean): Action {
  const kept = new Set(
    (def.subAttributes ?? []).filter((sub) => sub.returned !== 'never' && keep(sub)).map((sub) => sub.name),
  );
  const one = (v: unknown) => {
    if (!isObject(v)) return v;
    let all = true;
    for (const k in v) {
      if (!kept.has(k)) {
        all = false;
        break;
      }
    }
    if (all) return v;
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) if (kept.has(k)) out[k] = x;
    return out;
  };
  return (value) => (Array.isArray(value) ? value.map(one) : one(value));
}

function attributeAction(def: AttributeDefinition, schema: string, request: ProjectionRequest): Action {
  if (def.returned === 'never') return 'drop';
  if (def.returned === 'always') return 'keep';
  if (request.attributes) {
    const refs = matching(request.attributes, schema, def.name);
    if (refs.length === 0) return 'drop';
    if (refs.some((r) => r.subAttribute === undefined) || def.type !== 'complex') return 'keep';
    const subs = new Set(refs.map((r) => r.subAttribute));
    return shapeComplex(def, (sub) => sub.returned === 'always' || subs.has(sub.name));
  }
  if (def.returned === 'request') return 'drop';
  const excluded = matching(request.excludedAttributes, schema, def.name);
  if (excluded.some((r) => r.subAttribute === undefined)) return 'drop';
  if (def.type !== 'complex') return 'keep';
  const subs = new Set(excluded.map((r) => r.subAttribute));
  return shapeComplex(def, (sub) => sub.returned === 'always' || (sub.returned !== 'request' && !subs.has(sub.name)));
}

function apply(action: Action, value: unknown): unknown {
  return action === 'keep' ? value : action === 'drop' ? undefined : action(value);
}

/**
 * Compiles a projection for one resource type into a function over resources. Each attribute name is resolved
 * against the registry once per compiled projection (a list response reuses it for every resource), not once
 * per resource; values that need no change are shared with the input, not copied.
 */
export function compileProjection(
  resourceTypeId: string,
  registry: SchemaRegistry,
  request: ProjectionRequest = {},
): (resource: Json) => Json {
  const type = registry.resourceType(resourceTypeId);
  if (!type) return keepValue as (r: Json) => Json;
  const extensions = new Set(type.schemaExtensions.map((e) => e.schema));
  const actions = new Map<string, Action>();
  const actionFor = (schema: string, key: string): Action => {
    const cacheKey = `${schema}\u0000${key}`;
    let action = actions.get(cacheKey);
    if (action === undefined) {
      const def = registry.resolve(resourceTypeId, { schema, attribute: key });
      // Names the schema does not define are never returned (they could only come from an older schema).
      action = def && !def.parent ? attributeAction(def.attribute, schema, request) : 'drop';
      actions.set(cacheKey, action);
    }
    return action;
  };
  return (resource) => {
    const out: Json = {};
    for (const key in resource) {
      if (!Object.hasOwn(resource, key)) continue;
      const value = resource[key];
      if (key === 'schemas') {
        out.schemas = value;
        continue;
      }
      if (extensions.has(key) && isObject(value)) {
        const ext: Json = {};
        let any = false;
        for (const name in value) {
          if (!Object.hasOwn(value, name)) continue;
          const shaped = apply(actionFor(key, name), value[name]);
          if (shaped !== undefined) {
            ext[name] = shaped;
            any = true;
          }
        }
        if (any) out[key] = ext;
        continue;
      }
      const shaped = apply(actionFor(type.schema, key), value);
      if (shaped !== undefined) out[key] = shaped;
    }
    return out;
  };
}

export function project(
  resource: Json,
  resourceTypeId: string,
  registry: SchemaRegistry,
  request: ProjectionRequest = {},
): Json {
  return compileProjection(resourceTypeId, registry, request)(resource);
}

const shapeMemo = new WeakMap<SchemaRegistry, Map<string, boolean>>();

/**
 * Whether a stored resource of this type already is its default representation: no attribute is returned only on
 * request, no sub-attribute is withheld, and the only attributes never returned are write-only ones, which the
 * use cases split off before storing (the password; only its hash is kept). When this holds, a request without
 * `attributes` that excludes nothing stored can be answered with the stored data as it is.
 */
export function storedDataIsDefaultShape(resourceTypeId: string, registry: SchemaRegistry): boolean {
  let memo = shapeMemo.get(registry);
  if (!memo) {
    memo = new Map();
    shapeMemo.set(registry, memo);
  }
  const known = memo.get(resourceTypeId);
  if (known !== undefined) return known;
  const type = registry.resourceType(resourceTypeId);
  const schemas = type ? [type.schema, ...type.schemaExtensions.map((e) => e.schema)] : [];
  const plain = (def: AttributeDefinition) => def.returned === 'default' || def.returned === 'always';
  const holds =
    type !== undefined &&
    schemas.every((urn) =>
      (registry.schema(urn)?.attributes ?? []).every(
        (def) =>
          (plain(def) || (def.returned === 'never' && def.mutability === 'writeOnly')) &&
          (def.subAttributes ?? []).every(plain),
      ),
    );
  memo.set(resourceTypeId, holds);
  return holds;
}
