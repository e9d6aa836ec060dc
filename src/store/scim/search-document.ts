// The `search` copy of a resource: caseExact=false strings case-folded and dateTimes normalised in JavaScript, so
// the SQL filter compares plain values and SQLite and PostgreSQL agree byte for byte.
import type { ResourceData } from '../../core/scim/records.ts';
import { foldCase } from '../../scim/resource/normalize.ts';
import type { AttributeDefinition, SchemaRegistry } from '../../scim/schema/types.ts';

function normalise(def: AttributeDefinition | undefined, value: unknown): unknown {
  if (value === null || value === undefined || !def) return value;
  if (Array.isArray(value)) return value.map((v) => normaliseOne(def, v));
  return normaliseOne(def, value);
}

function normaliseOne(def: AttributeDefinition, value: unknown): unknown {
  if (def.type === 'complex' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = normalise(
        def.subAttributes?.find((s) => s.name === k),
        v,
      );
    return out;
  }
  if (typeof value !== 'string') return value;
  if (def.type === 'dateTime') {
    const at = Date.parse(value);
    return Number.isNaN(at) ? value : new Date(at).toISOString();
  }
  return (def.type === 'string' || def.type === 'reference') && !def.caseExact ? foldCase(value) : value;
}

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
    if (extension && value !== null && typeof value === 'object') {
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
