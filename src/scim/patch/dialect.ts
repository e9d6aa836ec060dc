// IdP PATCH dialects (Entra default / aadOptscim062020, Okta) → canonical operations: one resolved target each.
// Everything an IdP may send is made RFC-shaped here, so apply.ts implements RFC 7644 §3.5.2 and nothing else.
import { ScimError, scimErrors } from '../errors.ts';
import type { FilterNode, PatchPath } from '../filter/ast.ts';
import { checkValueFilter } from '../filter/check.ts';
import { parseFilter } from '../filter/parser.ts';
import { parseAttrRef, parsePatchPath } from '../path/parse.ts';
import type { AttrRef } from '../path/types.ts';
import { toBoolean } from '../resource/validate.ts';
import { idAttribute, metaAttribute } from '../schema/common.ts';
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';
import type { PatchOperation, PatchOpName } from './message.ts';

export interface PatchContext {
  readonly resourceTypeId: string;
  readonly registry: SchemaRegistry;
  /** The resource's id: a path-less value may repeat it (Okta group rename). */
  readonly resourceId: string;
}

/** Where an operation lands, resolved against the registry with canonical names. */
export interface PatchTarget {
  /** URN of the schema the attribute belongs to (the core schema for core attributes). */
  readonly schema: string;
  readonly attribute: AttributeDefinition;
  /** `name.givenName`, or `emails[…].value`: the sub-attribute the operation writes. */
  readonly subAttribute?: AttributeDefinition | undefined;
  /** Checked value filter (names canonical, relative to the attribute's sub-attributes). */
  readonly filter?: FilterNode | undefined;
  /** Canonical path for errors and logs; filter literals are never included. */
  readonly label: string;
}

/** RFC-shaped operation: `remove` has no path-less form, clears are removes, booleans are booleans. */
export interface CanonicalOperation {
  readonly index: number;
  readonly op: PatchOpName;
  readonly target: PatchTarget;
  /** undefined for a remove, except a remove of listed values (Entra `Remove members` with a value list). */
  readonly value: unknown;
}

type Json = Record<string, unknown>;

/** Names that would reach Object.prototype if used as keys (security-test-plan M3). */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7643 §2.5: null (and, from Entra, "") means unassigned; [] is an empty multi-valued attribute. */
const isUnassigned = (v: unknown) => v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** Order-insensitive JSON equality (stored values and IdP values rarely share key order). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/** Rethrows a ScimError with the operation index in front (RFC 7644 §3.5.2: the error names the failing op). */
export function atOperation<T>(index: number, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ScimError && !error.detail.startsWith('Operations[')) {
      throw new ScimError(error.scimType, `Operations[${index}]: ${error.detail}`);
    }
    throw error;
  }
}

function checkName(name: string | undefined): void {
  if (name !== undefined && FORBIDDEN.has(name.toLowerCase()))
    throw scimErrors.invalidPath('the path names a reserved property');
}

function parsePath(text: string): PatchPath {
  return parsePatchPath(text, (filter) => parseFilter(filter));
}

/** Resolves a parsed PATCH path for the resource type; unknown names → invalidPath, `schemas` → mutability. */
export function resolveTarget(path: PatchPath, ctx: PatchContext): PatchTarget {
  const { attr } = path;
  checkName(attr.attribute);
  checkName(attr.subAttribute);
  checkName(path.subAttribute);
  const type = ctx.registry.resourceType(ctx.resourceTypeId);
  if (!type) throw scimErrors.invalidPath(`unknown resource type ${ctx.resourceTypeId}`);
  // RFC 7643 §3: `schemas` follows the attributes present; the server maintains it.
  if (attr.schema === undefined && attr.attribute.toLowerCase() === 'schemas')
    throw scimErrors.mutability('schemas is maintained by the server');
  const found = ctx.registry.resolve(ctx.resourceTypeId, { schema: attr.schema, attribute: attr.attribute });
  if (!found) throw scimErrors.invalidPath(`${attr.attribute.slice(0, 64)} is not an attribute of ${type.id}`);
  const def = found.attribute;
  const subName = attr.subAttribute ?? path.subAttribute;
  let sub: AttributeDefinition | undefined;
  if (subName !== undefined) {
    const lower = subName.toLowerCase();
    sub = def.subAttributes?.find((s) => s.name.toLowerCase() === lower);
    if (!sub) throw scimErrors.invalidPath(`${def.name} has no sub-attribute ${subName.slice(0, 64)}`);
  }
  let filter: FilterNode | undefined;
  if (path.valueFilter) {
    if (def.type !== 'complex' || !def.multiValued)
      throw scimErrors.invalidPath(`${def.name} is not a multi-valued complex attribute: no value filter applies`);
    const ref: AttrRef = { schema: found.schema, attribute: def.name };
    try {
      filter = checkValueFilter(path.valueFilter, ref, def, ctx.resourceTypeId, ctx.registry);
    } catch (error) {
      // RFC 7644 §3.12: a PATCH path that cannot be used is invalidPath, its value filter included.
      if (error instanceof ScimError) throw scimErrors.invalidPath(`the value filter of ${def.name}: ${error.detail}`);
      throw error;
    }
  }
  const prefix = found.schema === type.schema ? '' : `${found.schema}:`;
  const label = `${prefix}${def.name}${filter ? '[…]' : ''}${sub ? `.${sub.name}` : ''}`;
  return { schema: found.schema, attribute: def, subAttribute: sub, filter, label };
}

/** The IdP's value made canonical for its target: clears become removes, Entra's strings become RFC values. */
function canonicalise(index: number, op: PatchOpName, target: PatchTarget, value: unknown): CanonicalOperation[] {
  const leaf = target.subAttribute ?? target.attribute;
  const wholeList = target.attribute.multiValued && !target.filter && !target.subAttribute;
  if (op !== 'remove' && isUnassigned(value)) {
    // Adding nothing to a list is nothing; any other unassigned add/replace clears (RFC 7643 §2.5, Entra "").
    if (op === 'add' && wholeList) return [];
    return [{ index, op: 'remove', target, value: undefined }];
  }
  let v = value;
  // Entra default mode: booleans as "True"/"False" (any case).
  if (op !== 'remove' && leaf.type === 'boolean' && !leaf.multiValued && typeof v === 'string') {
    const b = toBoolean(v);
    if (b === undefined) throw scimErrors.invalidValue(`${target.label} must be true or false`);
    v = b;
  }
  // Entra default mode: the enterprise manager as a bare id string means { value: id }.
  if (
    op !== 'remove' &&
    typeof v === 'string' &&
    leaf.type === 'complex' &&
    !leaf.multiValued &&
    !target.subAttribute &&
    leaf.subAttributes?.some((s) => s.name === 'value')
  ) {
    v = { value: v };
  }
  return [{ index, op, target, value: v }];
}

function currentValue(resource: Json, target: PatchTarget, ctx: PatchContext, core: string): unknown {
  const box = target.schema === core ? resource : resource[target.schema];
  if (!isObject(box)) return undefined;
  const value = Object.hasOwn(box, target.attribute.name) ? box[target.attribute.name] : undefined;
  if (value === undefined && target.attribute === idAttribute) return ctx.resourceId;
  if (!target.subAttribute) return value;
  return isObject(value) && Object.hasOwn(value, target.subAttribute.name)
    ? value[target.subAttribute.name]
    : undefined;
}

/** One key of a path-less add/replace value: an attribute name, a dotted or URN-qualified path, or a schema URN. */
function pathlessEntry(
  op: PatchOperation,
  key: string,
  value: unknown,
  resource: Json,
  ctx: PatchContext,
  core: string,
): CanonicalOperation[] {
  checkName(key);
  // The message's own `schemas` (Okta repeats it in a rename): not an attribute, the server maintains it.
  if (key.toLowerCase() === 'schemas') return [];
  const schemaUrn = ctx.registry.schemasOf(ctx.resourceTypeId).find((s) => s.toLowerCase() === key.toLowerCase());
  // `{"urn:…:enterprise:2.0:User": {"department": "…"}}`: each inner key is an attribute of that schema.
  if (schemaUrn !== undefined) return schemaEntries(op, schemaUrn, value === null, value, resource, ctx, core);
  const path = parsePath(key);
  return pathlessTarget(op, resolveTarget(path, ctx), value, resource, ctx, core);
}

/**
 * A set of attributes of one schema (the value of a schema URN key, or of a path naming an extension), one
 * operation per attribute; with `clear`, every writable attribute of the schema is removed instead.
 */
function schemaEntries(
  op: PatchOperation,
  schemaUrn: string,
  clear: boolean,
  value: unknown,
  resource: Json,
  ctx: PatchContext,
  core: string,
): CanonicalOperation[] {
  if (clear) {
    const attributes = ctx.registry.schema(schemaUrn)?.attributes ?? [];
    return attributes
      .filter((def) => def.mutability !== 'readOnly' && def.mutability !== 'writeOnly')
      .map((def) => ({
        index: op.index,
        op: 'remove' as const,
        target: resolveTarget({ attr: { schema: schemaUrn, attribute: def.name } }, ctx),
        value: undefined,
      }));
  }
  if (!isObject(value)) throw scimErrors.invalidValue(`${schemaUrn} must be an object`);
  return Object.entries(value).flatMap(([key, v]) => {
    checkName(key);
    const ref = parseAttrRef(key);
    if (ref.schema !== undefined) throw scimErrors.invalidPath(`${key.slice(0, 64)} inside ${schemaUrn}`);
    return pathlessTarget(op, resolveTarget({ attr: { ...ref, schema: schemaUrn } }, ctx), v, resource, ctx, core);
  });
}

/** The extension schema a PATCH path names as a whole (`urn:…:enterprise:2.0:User`), if it names one. */
function extensionNamed(path: string, ctx: PatchContext, core: string): string | undefined {
  if (path.slice(0, 4).toLowerCase() !== 'urn:') return undefined;
  const lower = path.toLowerCase();
  return ctx.registry.schemasOf(ctx.resourceTypeId).find((s) => s !== core && s.toLowerCase() === lower);
}

/**
 * RFC 7644 §3.5.2: a path naming an extension schema targets the extension as a complex attribute. `add` merges the
 * given attributes into it; `replace` replaces the attributes given and leaves the others (§3.5.2.3, complex
 * replace); `remove` deletes the whole extension, and with it its URN from `schemas` (§3.5.2.2). Each attribute is
 * then one operation, so the schema's readOnly, immutable and required rules apply as to any other path.
 */
function extensionOperations(
  op: PatchOperation,
  schemaUrn: string,
  resource: Json,
  ctx: PatchContext,
  core: string,
): CanonicalOperation[] {
  if (op.op === 'remove') {
    // A remove that carries attributes would delete more than it names: the attribute belongs in the path.
    if (!(op.value === undefined || isUnassigned(op.value)))
      throw scimErrors.invalidValue(`remove of ${schemaUrn} takes no value; name an attribute in the path`);
    return schemaEntries(op, schemaUrn, true, undefined, resource, ctx, core);
  }
  // RFC 7643 §2.5 (and Entra's ""): an unassigned extension clears it, as it clears any attribute.
  return schemaEntries(op, schemaUrn, isUnassigned(op.value), op.value, resource, ctx, core);
}

function pathlessTarget(
  op: PatchOperation,
  target: PatchTarget,
  value: unknown,
  resource: Json,
  ctx: PatchContext,
  core: string,
): CanonicalOperation[] {
  const readOnly = target.attribute.mutability === 'readOnly' || target.subAttribute?.mutability === 'readOnly';
  // Okta renames a group with a value that repeats its own id (and maybe schemas and meta): an unchanged or
  // unassigned readOnly value is not a change, and `meta` is the server's own bookkeeping (RFC 7643 §3.1) that
  // clients echo stale. Any other readOnly value reaches apply, which answers mutability.
  if (readOnly && !target.filter) {
    if (target.attribute === metaAttribute || isUnassigned(value)) return [];
    if (jsonEqual(currentValue(resource, target, ctx, core), value)) return [];
  }
  return canonicalise(op.index, op.op, target, value);
}

/** Shape-checked operations → canonical operations (errors name `Operations[i]`). Pure: reads `resource` only. */
export function toCanonicalOperations(
  resource: Readonly<Json>,
  operations: readonly PatchOperation[],
  ctx: PatchContext,
): CanonicalOperation[] {
  const type = ctx.registry.resourceType(ctx.resourceTypeId);
  if (!type) throw scimErrors.invalidPath(`unknown resource type ${ctx.resourceTypeId}`);
  return operations.flatMap((op) =>
    atOperation(op.index, () => {
      if (op.path !== undefined) {
        const extension = extensionNamed(op.path, ctx, type.schema);
        if (extension !== undefined) return extensionOperations(op, extension, resource as Json, ctx, type.schema);
        return canonicalise(op.index, op.op, resolveTarget(parsePath(op.path), ctx), op.value);
      }
      // RFC 7644 §3.5.2.1/§3.5.2.3: without a path, the value is a set of attributes of the resource.
      if (op.op === 'remove') throw scimErrors.noTarget('remove needs a path');
      if (!isObject(op.value)) throw scimErrors.invalidValue(`${op.op} without a path needs an object of attributes`);
      return Object.entries(op.value).flatMap(([key, value]) =>
        pathlessEntry(op, key, value, resource as Json, ctx, type.schema),
      );
    }),
  );
}
