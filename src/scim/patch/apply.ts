// PATCH as a pure function (RFC 7644 §3.5.2): resource + operations → next resource + changeset, no I/O.
// Group members never travel through here as data: operations on them become set deltas for the store.
import { scimErrors } from '../errors.ts';
import type { FilterNode } from '../filter/ast.ts';
import { evaluateValueFilter } from '../filter/evaluate.ts';
import { RESOURCE_LIMITS } from '../resource/limits.ts';
import { coerceAttribute, coerceValue } from '../resource/validate.ts';
import {
  atOperation,
  type CanonicalOperation,
  jsonEqual,
  type PatchContext,
  type PatchTarget,
  toCanonicalOperations,
} from './dialect.ts';
import { PATCH_LIMITS, type PatchLimits } from './limits.ts';
import type { PatchOperation } from './message.ts';

export type { CanonicalOperation, PatchContext, PatchTarget } from './dialect.ts';

export interface MemberRef {
  readonly value: string;
  readonly type?: string;
  readonly display?: string;
}

/** One change to a group's member set, applied by the store in order. */
export type MemberDelta =
  | { readonly kind: 'add'; readonly members: readonly MemberRef[] }
  | { readonly kind: 'remove'; readonly values: readonly string[] }
  | { readonly kind: 'removeAll' }
  /** A checked filter relative to the member sub-attributes (value, type, display, $ref). */
  | { readonly kind: 'removeWhere'; readonly filter: FilterNode };

export interface PatchChanges {
  /** Canonical paths whose value changed (`name.familyName`, `emails`, `urn:…:User:manager`, `members`). */
  readonly changedAttributes: string[];
  /** A new password for the caller to hash (writeOnly: never placed in `next`). */
  readonly password?: string;
  readonly members?: MemberDelta[];
}

export interface PatchResult {
  readonly next: Record<string, unknown>;
  readonly changes: PatchChanges;
}

/**
 * Attributes kept as rows and changed by deltas, never read whole (architecture: "group members are set deltas").
 * The resource given for these types never carries them, and `next` never does either.
 */
export const SET_DELTA_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({ Group: 'members' });

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const isEmpty = (v: unknown) => v === undefined || (isObject(v) && Object.keys(v).length === 0);

/** A copy of an object with `key` removed (never `delete` on shared data). */
function without(object: Json, key: string): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(object)) if (k !== key) out[k] = v;
  return out;
}

/** `type eq "work"` → { type: "work" }: the element Entra means when it writes `emails[type eq "work"].value`. */
function seedFromFilter(filter: FilterNode): Json | undefined {
  if (filter.kind !== 'compare' || filter.op !== 'eq' || filter.value === null) return undefined;
  if (filter.attr.schema !== undefined || filter.attr.subAttribute !== undefined) return undefined;
  return { [filter.attr.attribute]: filter.value };
}

/** `value eq "a" or value eq "b"` → ["a", "b"]: member filters that are a plain list of ids. */
function memberIds(filter: FilterNode): string[] | undefined {
  if (filter.kind === 'or') {
    const left = memberIds(filter.left);
    const right = memberIds(filter.right);
    return left && right ? [...left, ...right] : undefined;
  }
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.attr.attribute === 'value') {
    return typeof filter.value === 'string' ? [filter.value] : undefined;
  }
  return undefined;
}

/** RFC 7643 §2.4: the primary "true" appears at most once; a value just made primary wins over the others. */
function onePrimary(list: unknown[], touched: readonly number[], label: string): unknown[] {
  const winners = touched.filter((i) => isObject(list[i]) && (list[i] as Json).primary === true);
  if (winners.length > 1) throw scimErrors.invalidValue(`${label}: at most one value may be primary`);
  const winner = winners[0];
  if (winner === undefined) return list;
  return list.map((e, i) => (i !== winner && isObject(e) && e.primary === true ? without(e, 'primary') : e));
}

class Patcher {
  readonly next: Json;
  readonly members: MemberDelta[] = [];
  password: string | undefined;
  private memberValues = 0;
  private readonly core: string;
  private readonly deltaAttribute: string | undefined;

  constructor(
    resource: Readonly<Json>,
    private readonly ctx: PatchContext,
    private readonly limits: PatchLimits,
  ) {
    this.next = structuredClone(resource) as Json;
    const type = ctx.registry.resourceType(ctx.resourceTypeId);
    if (!type) throw scimErrors.invalidPath(`unknown resource type ${ctx.resourceTypeId}`);
    this.core = type.schema;
    this.deltaAttribute = SET_DELTA_ATTRIBUTES[type.id];
  }

  private box(schema: string): Json | undefined {
    if (schema === this.core) return this.next;
    const ext = Object.hasOwn(this.next, schema) ? this.next[schema] : undefined;
    return isObject(ext) ? ext : undefined;
  }

  private get(t: PatchTarget): unknown {
    const box = this.box(t.schema);
    return box && Object.hasOwn(box, t.attribute.name) ? box[t.attribute.name] : undefined;
  }

  /** Sets (or, with undefined, removes) the attribute; extension objects are created and dropped as needed. */
  private set(t: PatchTarget, value: unknown): void {
    const name = t.attribute.name;
    if (t.schema === this.core) {
      if (value === undefined) delete this.next[name];
      else this.next[name] = value;
      return;
    }
    const ext: Json = { ...(this.box(t.schema) ?? {}) };
    if (value === undefined) delete ext[name];
    else ext[name] = value;
    if (Object.keys(ext).length === 0) delete this.next[t.schema];
    else this.next[t.schema] = ext;
  }

  apply(op: CanonicalOperation): void {
    const t = op.target;
    const def = t.attribute;
    // RFC 7644 §3.5.2: readOnly attributes cannot be modified by PATCH → mutability.
    if (def.mutability === 'readOnly' || t.subAttribute?.mutability === 'readOnly')
      throw scimErrors.mutability(`${t.label} is readOnly`);
    if (t.schema === this.core && def.name === this.deltaAttribute) {
      this.memberOp(op);
      return;
    }
    if (def.mutability === 'writeOnly') {
      this.writeOnly(op);
      return;
    }
    const before = this.get(t);
    if (op.op === 'remove') this.remove(t, op.value);
    else if (!def.multiValued) this.setSingle(t, op.value);
    else this.setMulti(op.op, t, op.value);
    const after = this.get(t);
    // RFC 7644 §3.5.2.2: a required attribute that becomes unassigned → mutability.
    if (def.required && before !== undefined && after === undefined)
      throw scimErrors.mutability(`${def.name} is required and cannot be removed`);
    // RFC 7643 §2.2: an immutable value may be set once, never changed.
    if (
      (def.mutability === 'immutable' || t.subAttribute?.mutability === 'immutable') &&
      before !== undefined &&
      !jsonEqual(before, after)
    ) {
      throw scimErrors.mutability(`${t.label} is immutable`);
    }
    if (Array.isArray(after) && after.length > RESOURCE_LIMITS.multiValuedEntries)
      throw scimErrors.invalidValue(`${def.name} has more than ${RESOURCE_LIMITS.multiValuedEntries} entries`);
  }

  private writeOnly(op: CanonicalOperation): void {
    const t = op.target;
    if (op.op === 'remove' || t.subAttribute || t.filter)
      throw scimErrors.mutability(`${t.label} can only be set, not removed or addressed in parts`);
    const v = coerceValue(t.attribute, op.value, t.label);
    if (typeof v !== 'string' || v.length === 0) throw scimErrors.invalidValue(`${t.label} must be a non-empty string`);
    this.password = v;
  }

  private setSingle(t: PatchTarget, value: unknown): void {
    const current = this.get(t);
    if (t.subAttribute) {
      const v = coerceValue(t.subAttribute, value, t.label);
      if (v === undefined) return;
      this.set(t, { ...(isObject(current) ? current : {}), [t.subAttribute.name]: v });
      return;
    }
    const v = coerceValue(t.attribute, value, t.label);
    if (v === undefined) return; // only readOnly sub-attributes were given: ignored (RFC 7644 §3.5.1)
    // RFC 7644 §3.5.2.1/§3.5.2.3: sub-attributes not named in a complex value are left unchanged.
    this.set(t, t.attribute.type === 'complex' && isObject(v) && isObject(current) ? { ...current, ...v } : v);
  }

  private setMulti(op: 'add' | 'replace', t: PatchTarget, value: unknown): void {
    const current = this.get(t);
    const list: unknown[] = Array.isArray(current) ? [...current] : [];
    if (t.filter) {
      this.setFiltered(op, t, t.filter, list, value);
      return;
    }
    if (t.subAttribute)
      throw scimErrors.invalidPath(
        `${t.label}: name the values with a filter, e.g. ${t.attribute.name}[type eq "work"]`,
      );
    const incoming = (coerceAttribute(t.attribute, Array.isArray(value) ? value : [value], t.label) ?? []) as unknown[];
    const fresh: unknown[] = [];
    // Re-adding an equal value must not duplicate it (idp-behaviour.md; RFC 7644 §3.5.2.1 "add" merges).
    for (const v of incoming)
      if (![...(op === 'add' ? list : []), ...fresh].some((e) => jsonEqual(e, v))) fresh.push(v);
    // RFC 7644 §3.5.2.3: replace without a filter replaces all values; add appends.
    const base = op === 'add' ? list : [];
    const merged = [...base, ...fresh];
    const result = onePrimary(
      merged,
      fresh.map((_, i) => base.length + i),
      t.label,
    );
    this.set(t, result.length === 0 ? undefined : result);
  }

  private setFiltered(op: 'add' | 'replace', t: PatchTarget, filter: FilterNode, list: unknown[], value: unknown) {
    const matches = list.flatMap((e, i) => (evaluateValueFilter(filter, e, t.attribute) ? [i] : []));
    if (matches.length === 0) {
      // Entra writes `emails[type eq "work"].value` (Add or Replace) to users without a work email: the element the
      // filter describes is created. Only for one `eq` and only for add, or replace of a sub-attribute; otherwise
      // RFC 7644 §3.5.2.3: a value filter matching nothing → noTarget.
      const seed = seedFromFilter(filter);
      if (!seed || (op === 'replace' && !t.subAttribute))
        throw scimErrors.noTarget(`no value of ${t.attribute.name} matches the filter`);
      list.push(coerceValue(t.attribute, seed, t.label));
      matches.push(list.length - 1);
    }
    const patch = t.subAttribute
      ? { [t.subAttribute.name]: coerceValue(t.subAttribute, value, t.label) }
      : coerceValue(t.attribute, value, t.label);
    if (!isObject(patch)) throw scimErrors.invalidValue(`${t.label} needs an object of sub-attributes`);
    for (const i of matches) {
      const element = list[i];
      // RFC 7644 §3.5.2.3: the matched complex values take the given sub-attributes; others stay.
      list[i] = { ...(isObject(element) ? element : {}), ...patch };
    }
    const deduped = list.filter((e, i) => !list.slice(0, i).some((x) => jsonEqual(x, e)));
    const touched = matches.map((i) => deduped.findIndex((x) => jsonEqual(x, list[i])));
    this.set(t, onePrimary(deduped, [...new Set(touched)], t.label));
  }

  private remove(t: PatchTarget, value: unknown): void {
    const current = this.get(t);
    if (current === undefined) return; // removing what is absent changes nothing
    if (!t.attribute.multiValued) {
      if (!t.subAttribute) {
        this.set(t, undefined);
        return;
      }
      if (!isObject(current)) return;
      const rest = without(current, t.subAttribute.name);
      this.set(t, isEmpty(rest) ? undefined : rest);
      return;
    }
    const list = Array.isArray(current) ? current : [];
    const strip = (e: unknown) => (t.subAttribute && isObject(e) ? without(e, t.subAttribute.name) : undefined);
    let kept: unknown[];
    if (t.filter) {
      const filter = t.filter;
      // RFC 7644 §3.5.2.2: matched values are removed (or lose the named sub-attribute).
      kept = list.map((e) => (evaluateValueFilter(filter, e, t.attribute) ? strip(e) : e));
    } else if (t.subAttribute) {
      kept = list.map(strip);
    } else if (Array.isArray(value) && value.length > 0) {
      // Entra's remove with a value list: only the listed values go (compared by `value` when they have one).
      const key = (v: unknown) => (isObject(v) && Object.hasOwn(v, 'value') ? v.value : v);
      kept = list.filter((e) => !value.some((v) => jsonEqual(key(v), key(e))));
    } else {
      kept = [];
    }
    kept = kept.filter((e) => !isEmpty(e));
    // RFC 7644 §3.5.2.2: no values left → the attribute is unassigned.
    this.set(t, kept.length === 0 ? undefined : kept);
  }

  private countMembers(n: number): void {
    this.memberValues += n;
    if (this.memberValues > this.limits.maxMemberValues)
      throw scimErrors.invalidValue(`at most ${this.limits.maxMemberValues} members may be named in one request`);
  }

  /** Member objects of an add/replace/remove value → refs; writable sub-attributes only, per the schema. */
  private memberRefs(t: PatchTarget, value: unknown): MemberRef[] {
    const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
    this.countMembers(list.length);
    const subs = t.attribute.subAttributes ?? [];
    const typeDef = subs.find((s) => s.name === 'type');
    const displayDef = subs.find((s) => s.name === 'display');
    const seen = new Set<string>();
    const refs: MemberRef[] = [];
    list.forEach((m, i) => {
      const id = isObject(m) ? m.value : undefined;
      if (typeof id !== 'string' || id.length === 0 || id.length > 256)
        throw scimErrors.invalidValue(`members[${i}].value must be a non-empty string id`);
      if (seen.has(id)) return;
      seen.add(id);
      const ref: { value: string; type?: string; display?: string } = { value: id };
      const type = isObject(m) ? m.type : undefined;
      if (typeDef && typeof type === 'string') {
        const canonical = typeDef.canonicalValues?.find((c) => c.toLowerCase() === type.toLowerCase());
        if (typeDef.canonicalValues && !canonical)
          throw scimErrors.invalidValue(`members[${i}].type must be one of ${typeDef.canonicalValues.join(', ')}`);
        ref.type = canonical ?? type;
      }
      // RFC 7644 §3.5.1: readOnly values sent by a client are ignored (the schema says whether `display` is).
      const display = isObject(m) ? m.display : undefined;
      if (displayDef && displayDef.mutability !== 'readOnly' && typeof display === 'string') ref.display = display;
      refs.push(ref);
    });
    return refs;
  }

  private memberOp(op: CanonicalOperation): void {
    const t = op.target;
    if (t.subAttribute) throw scimErrors.invalidPath(`${t.label}: add or remove whole members, by value`);
    if (op.op !== 'remove') {
      if (t.filter) throw scimErrors.invalidPath(`${op.op} members without a value filter in the path`);
      const refs = this.memberRefs(t, op.value);
      if (op.op === 'replace') this.members.push({ kind: 'removeAll' });
      if (refs.length > 0) this.members.push({ kind: 'add', members: refs });
      return;
    }
    if (t.filter) {
      // The common shapes `members[value eq "id"]` (or an `or` of them) are plain deletes by id.
      const ids = memberIds(t.filter);
      if (ids) {
        this.countMembers(ids.length);
        this.members.push({ kind: 'remove', values: [...new Set(ids)] });
      } else {
        this.members.push({ kind: 'removeWhere', filter: t.filter });
      }
      return;
    }
    // Entra: remove with a value list removes only the listed members (the RFC read literally would remove all).
    if (Array.isArray(op.value) && op.value.length > 0) {
      this.members.push({ kind: 'remove', values: this.memberRefs(t, op.value).map((m) => m.value) });
      return;
    }
    // RFC 7644 §3.5.2.2: remove of a multi-valued attribute without a filter removes all values.
    this.members.push({ kind: 'removeAll' });
  }

  finish(before: Readonly<Json>): PatchChanges {
    const type = this.ctx.registry.resourceType(this.ctx.resourceTypeId)!;
    // RFC 7643 §3: `schemas` lists the core schema and the extensions present.
    const present = type.schemaExtensions.map((e) => e.schema).filter((s) => isObject(this.next[s]));
    this.next.schemas = [type.schema, ...present];
    const changed: string[] = [];
    const extensions = type.schemaExtensions.map((e) => e.schema);
    const diff = (schema: string, a: unknown, b: unknown) => {
      const prefix = schema === type.schema ? '' : `${schema}:`;
      const keys = new Set([...Object.keys(isObject(a) ? a : {}), ...Object.keys(isObject(b) ? b : {})]);
      for (const key of keys) {
        if (key === 'schemas' || (schema === type.schema && extensions.includes(key))) continue;
        const x = isObject(a) ? a[key] : undefined;
        const y = isObject(b) ? b[key] : undefined;
        if (jsonEqual(x, y)) continue;
        const def = this.ctx.registry.resolve(type.id, { schema, attribute: key })?.attribute;
        if (def && def.type === 'complex' && !def.multiValued && (isObject(x) || isObject(y))) {
          const subs = new Set([...Object.keys(isObject(x) ? x : {}), ...Object.keys(isObject(y) ? y : {})]);
          for (const s of subs) {
            if (!jsonEqual(isObject(x) ? x[s] : undefined, isObject(y) ? y[s] : undefined))
              changed.push(`${prefix}${key}.${s}`);
          }
        } else {
          changed.push(`${prefix}${key}`);
        }
      }
    };
    diff(type.schema, before, this.next);
    for (const ext of type.schemaExtensions) diff(ext.schema, before[ext.schema], this.next[ext.schema]);
    if (this.password !== undefined) changed.push('password');
    if (this.members.length > 0 && this.deltaAttribute) changed.push(this.deltaAttribute);
    return {
      changedAttributes: changed,
      ...(this.password !== undefined ? { password: this.password } : {}),
      ...(this.members.length > 0 ? { members: this.members } : {}),
    };
  }
}

/**
 * Canonical operations → next resource + changeset. All or nothing (RFC 7644 §3.5.2): the first failing operation
 * throws a ScimError naming `Operations[i]`; `resource` is never mutated.
 */
export function applyOperations(
  resource: Readonly<Record<string, unknown>>,
  operations: readonly CanonicalOperation[],
  ctx: PatchContext,
  limits: PatchLimits = PATCH_LIMITS,
): PatchResult {
  const patcher = new Patcher(resource, ctx, limits);
  for (const op of operations) atOperation(op.index, () => patcher.apply(op));
  const changes = patcher.finish(resource);
  return { next: patcher.next, changes };
}

/** Shape-checked operations (from parsePatchRequest) in any IdP dialect → next resource + changeset. */
export function applyPatch(
  resource: Readonly<Record<string, unknown>>,
  operations: readonly PatchOperation[],
  ctx: PatchContext,
  limits: PatchLimits = PATCH_LIMITS,
): PatchResult {
  return applyOperations(resource, toCanonicalOperations(resource, operations, ctx), ctx, limits);
}
