// The `search` copy of a resource: caseExact=false strings case-folded and dateTimes normalised in JavaScript, so
// the SQL filter compares plain values and SQLite and PostgreSQL agree byte for byte.
import type { ResourceData } from '../../core/scim/records.ts';
import { foldCase } from '../../scim/resource/normalize.ts';
import type { AttributeDefinition, SchemaRegistry } from '../../scim/schema/types.ts';

/**
 * Whether string values of the attribute are stored (and compared) case-folded. Every text type but dateTime,
 * which is normalised to an instant instead — the same rule evaluateFilter applies in memory.
 */
export function isFolded(def: AttributeDefinition): boolean {
  return !def.caseExact && (def.type === 'string' || def.type === 'reference' || def.type === 'binary');
}

function normalise(def: AttributeDefinition | undefined, value: unknown): unknown {
  if (value === null || value === undefined || !def) return value;
  if (Array.isArray(value)) return value.map((v) => normaliseOne(def, v));
  return normaliseOne(def, value);
}

function normaliseOne(def: AttributeDefinition, value: unknown): unknown {
  if (def.type === 'complex' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = normalise(
        def.subAttributes?.find((s) => s.name === k),
        v,
      );
    }
    return out;
  }
  if (typeof value !== 'string') return value;
  if (def.type === 'dateTime') {
    const at = Date.parse(value);
    return Number.isNaN(at) ? value : new Date(at).toISOString();
  }
  return isFolded(def) ? foldCase(value) : value;
}

/**
 * The document stored in the `search` column: `data`'s shape (core attributes at the top, extension attributes
 * under their URN, multi-valued as arrays) with values normalised for comparison. Pure.
 */
export function toSearchDocument(
  resource: ResourceData,
  resourceTypeId: string,
  registry: SchemaRegistry,
): ResourceData {
  const type = registry.resourceType(resourceTypeId);
  const out: ResourceData = {};
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'schemas') continue;
    const extension = type?.schemaExtensions.find((e) => e.schema === key);
    if (extension && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const ext: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(value)) {
        ext[name] = normalise(registry.resolve(resourceTypeId, { schema: key, attribute: name })?.attribute, v);
      }
      out[key] = ext;
      continue;
    }
    out[key] = normalise(registry.resolve(resourceTypeId, { attribute: key })?.attribute, value);
  }
  return out;
}
