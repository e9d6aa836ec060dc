// POST/PUT bodies → canonical resources (RFC 7644 §3.3, §3.5.1): names canonicalised, readOnly ignored, types
// checked, unassigned values dropped (RFC 7643 §2.5), IdP quirks (string booleans, bare manager id) accepted.
import { scimErrors } from '../errors.ts';
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';
import { RESOURCE_LIMITS } from './limits.ts';
import { checkText } from './text.ts';
import type { ScimResource } from './types.ts';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export interface ValidateOptions {
  readonly mode: 'create' | 'replace';
  /** The stored resource (with `id`), for immutability checks on replace. */
  readonly existing?: ScimResource;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function find(list: readonly AttributeDefinition[], key: string): AttributeDefinition | undefined {
  const lower = key.toLowerCase();
  return list.find((d) => d.name.toLowerCase() === lower);
}

/** Entra ID sends booleans as "True"/"False"; RFC 7643 wants JSON booleans. Both are accepted. */
export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

function maxLengthOf(def: AttributeDefinition, path: string): number {
  if (path === 'userName') return RESOURCE_LIMITS.userNameLength;
  return def.type === 'binary' || path === 'photos.value' || path === 'x509Certificates.value'
    ? RESOURCE_LIMITS.largeStringLength
    : RESOURCE_LIMITS.stringLength;
}

/** One value of a (sub-)attribute → its canonical form, or undefined when it is unassigned or readOnly. */
export function coerceValue(def: AttributeDefinition, value: unknown, path: string, dropReadOnly = true): unknown {
  if (value === null || value === undefined) return undefined;
  if (def.mutability === 'readOnly' && dropReadOnly) return undefined; // RFC 7644 §3.5.1: SHALL be ignored.
  switch (def.type) {
    case 'string':
    case 'reference':
    case 'binary': {
      if (typeof value !== 'string') throw scimErrors.invalidValue(`${path} must be a string`);
      checkText(value, path, maxLengthOf(def, path), path === 'userName');
      return value;
    }
    case 'boolean': {
      const b = toBoolean(value);
      if (b === undefined) throw scimErrors.invalidValue(`${path} must be true or false`);
      return b;
    }
    case 'dateTime': {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
        throw scimErrors.invalidValue(`${path} must be an xsd:dateTime`);
      }
      return value;
    }
    case 'integer':
    case 'decimal': {
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        (def.type === 'integer' && !Number.isInteger(value))
      ) {
        throw scimErrors.invalidValue(`${path} must be ${def.type === 'integer' ? 'an integer' : 'a number'}`);
      }
      return value;
    }
    case 'complex':
      return coerceComplex(def, value, path, dropReadOnly);
  }
}

function coerceComplex(def: AttributeDefinition, value: unknown, path: string, dropReadOnly: boolean): unknown {
  // Entra ID sends the enterprise manager as a bare id string; it means { value: id }.
  if (typeof value === 'string' && find(def.subAttributes ?? [], 'value')) {
    return value === '' ? undefined : coerceComplex(def, { value }, path, dropReadOnly);
  }
  if (!isObject(value)) throw scimErrors.invalidValue(`${path} must be an object`);
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(value)) {
    if (FORBIDDEN.has(key)) throw scimErrors.invalidValue(`${path} uses a reserved name`);
    const subDef = find(def.subAttributes ?? [], key);
    if (!subDef) throw scimErrors.invalidValue(`${path}.${key.slice(0, 64)} is not a sub-attribute of ${def.name}`);
    const coerced = coerceValue(subDef, sub, `${path}.${subDef.name}`, dropReadOnly);
    if (coerced !== undefined) out[subDef.name] = coerced;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** An attribute's value, single or multi-valued, canonicalised; undefined when unassigned. */
export function coerceAttribute(def: AttributeDefinition, value: unknown, path: string, dropReadOnly = true): unknown {
  if (!def.multiValued) return coerceValue(def, value, path, dropReadOnly);
  if (value === null || value === undefined) return undefined;
  if (def.mutability === 'readOnly' && dropReadOnly) return undefined;
  if (!Array.isArray(value)) throw scimErrors.invalidValue(`${path} must be an array`);
  if (value.length > RESOURCE_LIMITS.multiValuedEntries) {
    throw scimErrors.invalidValue(`${path} has more than ${RESOURCE_LIMITS.multiValuedEntries} entries`);
  }
  const items = value.map((v, i) => coerceValue(def, v, `${path}[${i}]`, dropReadOnly)).filter((v) => v !== undefined);
  // RFC 7643 §2.4: the primary attribute value "true" MUST appear no more than once.
  if (items.filter((v) => isObject(v) && v.primary === true).length > 1) {
    throw scimErrors.invalidValue(`${path} has more than one primary value`);
  }
  return items.length === 0 ? undefined : items;
}

/** Canonicalises a POST/PUT body for a resource type; throws ScimError on anything it cannot store. */
export function toStoredResource(
  body: unknown,
  resourceTypeId: string,
  registry: SchemaRegistry,
  options: ValidateOptions,
): ScimResource {
  if (!isObject(body)) throw scimErrors.invalidSyntax('the body must be a JSON object');
  const type = registry.resourceType(resourceTypeId);
  if (!type) throw scimErrors.invalidValue(`unknown resource type ${resourceTypeId}`);
  const core = registry.schema(type.schema)!;
  const extensions = type.schemaExtensions.map((e) => registry.schema(e.schema)!);
  if (body.schemas !== undefined) {
    if (!Array.isArray(body.schemas) || body.schemas.some((s) => typeof s !== 'string')) {
      throw scimErrors.invalidValue('schemas must be an array of URIs');
    }
    if (!body.schemas.some((s) => (s as string).toLowerCase() === type.schema.toLowerCase())) {
      throw scimErrors.invalidValue(`schemas must include ${type.schema}`);
    }
  }
  const out: ScimResource = {};
  const present: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (FORBIDDEN.has(key)) throw scimErrors.invalidValue('the body uses a reserved name');
    if (key === 'schemas') continue;
    const extension = extensions.find((e) => e.id.toLowerCase() === key.toLowerCase());
    if (extension) {
      if (value === null) continue;
      if (!isObject(value)) throw scimErrors.invalidValue(`${extension.id} must be an object`);
      const ext: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(value)) {
        if (FORBIDDEN.has(name)) throw scimErrors.invalidValue('the body uses a reserved name');
        const def = find(extension.attributes, name);
        if (!def) throw scimErrors.invalidValue(`${name.slice(0, 64)} is not an attribute of ${extension.id}`);
        const coerced = coerceAttribute(def, v, def.name);
        if (coerced !== undefined) ext[def.name] = coerced;
      }
      if (Object.keys(ext).length > 0) {
        out[extension.id] = ext;
        present.push(extension.id);
      }
      continue;
    }
    // Extension objects we do not know (an IdP's custom attributes) are not ours to store.
    if (key.toLowerCase().startsWith('urn:') || key.startsWith('http://') || key.startsWith('https://')) continue;
    const found = registry.resolve(resourceTypeId, { attribute: key });
    if (!found) throw scimErrors.invalidValue(`${key.slice(0, 64)} is not an attribute of ${resourceTypeId}`);
    const def = found.attribute;
    const coerced = coerceAttribute(def, value, def.name);
    if (coerced !== undefined) out[def.name] = coerced;
  }
  for (const def of core.attributes) {
    if (def.required && out[def.name] === undefined) throw scimErrors.invalidValue(`${def.name} is required`);
  }
  if (options.mode === 'replace' && options.existing) {
    for (const def of core.attributes) {
      const before = options.existing[def.name];
      if (
        def.mutability === 'immutable' &&
        before !== undefined &&
        JSON.stringify(before) !== JSON.stringify(out[def.name])
      ) {
        throw scimErrors.mutability(`${def.name} is immutable`);
      }
    }
  }
  return { schemas: [type.schema, ...present], ...out };
}
