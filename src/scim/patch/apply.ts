// PATCH as a pure function (RFC 7644 §3.5.2): resource + operations → next resource + changeset, no I/O.
// Group members never travel through here as data: operations on them become set deltas for the store.
import { ScimError, scimErrors } from '../errors.ts';
import type { FilterNode } from '../filter/ast.ts';
import { checkValueFilter } from '../filter/check.ts';
import { evaluateValueFilter } from '../filter/evaluate.ts';
import { parseFilter } from '../filter/parser.ts';
import { parseAttrRef, parsePatchPath } from '../path/parse.ts';
import type { AttrRef } from '../path/types.ts';
import { coerceAttribute, coerceValue } from '../resource/validate.ts';
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';
import { PATCH_LIMITS, type PatchOperation } from './message.ts';

export type MemberDelta =
  | { readonly kind: 'add'; readonly members: readonly { readonly value: string }[] }
  | { readonly kind: 'remove'; readonly values: readonly string[] }
  | { readonly kind: 'removeAll' }
  | { readonly kind: 'removeWhere'; readonly filter: FilterNode };

export interface PatchChanges {
  /** Top-level attributes whose value changed (extension ones as `urn:…:name`). Names only, never values. */
  readonly changedAttributes: string[];
  /** A new password to hash (write-only; never placed in `next`). */
  readonly password?: string;
  readonly members?: MemberDelta[];
}

export interface PatchContext {
  readonly resourceTypeId: string;
  readonly registry: SchemaRegistry;
  readonly resourceId: string;
}

type Json = Record<string, unknown>;

interface Target {
  readonly schema: string;
  readonly def: AttributeDefinition;
  readonly sub: AttributeDefinition | undefined;
  readonly filter: FilterNode | undefined;
  readonly label: string;
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** Entra clears attributes with "" as well as null (RFC 7643 §2.5: null means unassigned). */
const isClear = (v: unknown) => v === null || v === '' || (Array.isArray(v) && v.length === 0);

class Patcher {
  readonly next: Json;
  readonly members: MemberDelta[] = [];
  password: string | undefined;
  private memberValues = 0;
  private readonly core: string;

  constructor(
    resource: Json,
    private readonly ctx: PatchContext,
  ) {
    this.next = structuredClone(resource);
    this.core = ctx.registry.resourceType(ctx.resourceTypeId)!.schema;
  }

  private container(schema: string, create: boolean): Json | undefined {
    if (schema === this.core) return this.next;
    const existing = this.next[schema];
    if (isObject(existing)) return existing;
    if (!create) return undefined;
    const fresh: Json = {};
    this.next[schema] = fresh;
    return fresh;
  }

  private resolve(
    ref: AttrRef,
    filter: FilterNode | undefined,
    subAttribute: string | undefined,
    label: string,
  ): Target {
    const found = this.ctx.registry.resolve(this.ctx.resourceTypeId, { schema: ref.schema, attribute: ref.attribute });
    if (!found) throw scimErrors.invalidPath(`${label} is not an attribute of ${this.ctx.resourceTypeId}`);
    const def = found.attribute;
    const subName = ref.subAttribute ?? subAttribute;
    let sub: AttributeDefinition | undefined;
    if (subName !== undefined) {
      sub = def.subAttributes?.find((s) => s.name.toLowerCase() === subName.toLowerCase());
      if (!sub) throw scimErrors.invalidPath(`${def.name} has no sub-attribute ${subName}`);
    }
    if (filter && (def.type !== 'complex' || !def.multiValued))
      throw scimErrors.invalidPath(`${def.name} is not multi-valued: no value filter applies`);
    const checked = filter
      ? checkValueFilter(filter, { attribute: def.name }, def, this.ctx.resourceTypeId, this.ctx.registry)
      : undefined;
    return { schema: found.schema, def, sub, filter: checked, label: sub ? `${def.name}.${sub.name}` : def.name };
  }

  apply(op: PatchOperation): void {
    if (op.path === undefined) {
      // Path-less add/replace: the value's keys are attribute names, dotted paths or URN-qualified paths.
      if (!isObject(op.value))
        throw scimErrors.invalidValue('without a path, the value must be an object of attributes');
      for (const [key, value] of Object.entries(op.value)) this.pathless(op, key, value);
      return;
    }
    const path = parsePatchPath(op.path, (text) => parseFilter(text));
    const target = this.resolve(path.attr, path.valueFilter, path.subAttribute, op.path.slice(0, 80));
    this.applyTo(op.op, target, op.value);
  }

  private pathless(op: PatchOperation, key: string, value: unknown): void {
    if (key === 'schemas' || key.toLowerCase() === 'meta') return;
    // Okta renames a group with a value that repeats its own id: an unchanged readOnly value is no change.
    if (key.toLowerCase() === 'id') {
      if (value === this.ctx.resourceId) return;
      throw scimErrors.mutability('id is readOnly');
    }
    const extension = this.ctx.registry
      .schemasOf(this.ctx.resourceTypeId)
      .find((s) => s.toLowerCase() === key.toLowerCase());
    if (extension && extension !== this.core) {
      if (!isObject(value)) throw scimErrors.invalidValue(`${extension} must be an object`);
      for (const [name, v] of Object.entries(value)) {
        this.applyTo(op.op, this.resolve({ schema: extension, attribute: name }, undefined, undefined, name), v);
      }
      return;
    }
    const ref = parseAttrRef(key);
    this.applyTo(op.op, this.resolve(ref, undefined, undefined, key.slice(0, 80)), value);
  }

  private applyTo(op: 'add' | 'remove' | 'replace', t: Target, value: unknown): void {
    if (t.def.mutability === 'readOnly' || t.sub?.mutability === 'readOnly')
      throw scimErrors.mutability(`${t.label} is readOnly`);
    if (this.ctx.resourceTypeId === 'Group' && t.def.name === 'members') {
      this.memberOp(op, t, value);
      return;
    }
    if (t.def.mutability === 'writeOnly') {
      if (op === 'remove') throw scimErrors.mutability(`${t.label} cannot be removed`);
      const v = coerceValue(t.def, value, t.label);
      if (typeof v !== 'string') throw scimErrors.invalidValue(`${t.label} must be a non-empty string`);
      this.password = v;
      return;
    }
    if (t.def.mutability === 'immutable') {
      const current = this.container(t.schema, false)?.[t.def.name];
      if (current !== undefined && (op !== 'add' || !same(current, value)))
        throw scimErrors.mutability(`${t.label} is immutable`);
    }
    // Entra ID clears with "" as well as null; an empty add to a multi-valued attribute is simply nothing.
    const clears =
      isClear(value) && !(t.def.multiValued && t.filter === undefined && t.sub === undefined && op === 'add');
    if (op === 'remove') this.remove(t, value);
    else if (clears) this.remove(t, undefined);
    else if (!t.def.multiValued) this.setSingle(t, value);
    else this.setMulti(op, t, value);
  }

  private setSingle(t: Target, value: unknown): void {
    const box = this.container(t.schema, true)!;
    if (t.sub) {
      const v = coerceValue(t.sub, value, t.label);
      const current = isObject(box[t.def.name]) ? (box[t.def.name] as Json) : {};
      if (v === undefined) delete current[t.sub.name];
      else current[t.sub.name] = v;
      box[t.def.name] = current;
      return;
    }
    const v = coerceValue(t.def, value, t.label);
    if (v === undefined) {
      delete box[t.def.name];
    } else if (t.def.type === 'complex' && isObject(v) && isObject(box[t.def.name])) {
      // RFC 7644 §3.5.2.1/.3: sub-attributes not named in the value are left unchanged.
      box[t.def.name] = { ...(box[t.def.name] as Json), ...v };
    } else {
      box[t.def.name] = v;
    }
  }

  private setMulti(op: 'add' | 'replace', t: Target, value: unknown): void {
    const box = this.container(t.schema, true)!;
    const list: unknown[] = Array.isArray(box[t.def.name]) ? [...(box[t.def.name] as unknown[])] : [];
    if (t.filter) {
      const matches = list.map((e, i) => (evaluateValueFilter(t.filter!, e, t.def) ? i : -1)).filter((i) => i >= 0);
      if (matches.length === 0) {
        // Entra ID adds a work email with `emails[type eq "work"].value`: create the element the filter describes.
        const seed = elementFromFilter(t.filter);
        if (!seed) throw scimErrors.noTarget(`no value of ${t.def.name} matches the filter`);
        list.push(seed);
        matches.push(list.length - 1);
      }
      for (const i of matches) {
        const element = isObject(list[i]) ? { ...(list[i] as Json) } : {};
        if (t.sub) {
          const v = coerceValue(t.sub, value, t.label);
          if (v === undefined) delete element[t.sub.name];
          else element[t.sub.name] = v;
          list[i] = element;
        } else {
          const v = coerceValue(t.def, value, t.label);
          if (!isObject(v)) throw scimErrors.invalidValue(`${t.label} needs an object value`);
          list[i] = op === 'add' ? { ...element, ...v } : v;
        }
      }
      box[t.def.name] = normalisePrimary(list, matches);
      return;
    }
    if (t.sub)
      throw scimErrors.invalidPath(
        `${t.label}: name the values with a filter, e.g. ${t.def.name}[type eq "work"].${t.sub.name}`,
      );
    const incoming =
      (coerceAttribute(t.def, Array.isArray(value) ? value : [value], t.label) as unknown[] | undefined) ?? [];
    if (op === 'replace') {
      box[t.def.name] = incoming;
    } else {
      // Re-adding an equal value must not duplicate it.
      const added = incoming.filter((v) => !list.some((e) => same(e, v)));
      const start = list.length;
      list.push(...added);
      box[t.def.name] = normalisePrimary(
        list,
        added.map((_, i) => start + i),
      );
    }
    if ((box[t.def.name] as unknown[]).length === 0) delete box[t.def.name];
  }

  private remove(t: Target, value: unknown): void {
    const box = this.container(t.schema, false);
    if (!box || box[t.def.name] === undefined) return;
    if (!t.def.multiValued) {
      if (t.sub && isObject(box[t.def.name])) {
        const current = { ...(box[t.def.name] as Json) };
        delete current[t.sub.name];
        if (Object.keys(current).length === 0) delete box[t.def.name];
        else box[t.def.name] = current;
      } else {
        delete box[t.def.name];
      }
      return;
    }
    const list = Array.isArray(box[t.def.name]) ? (box[t.def.name] as unknown[]) : [];
    let kept: unknown[];
    if (t.filter) {
      kept = list.flatMap((e) => {
        if (!evaluateValueFilter(t.filter!, e, t.def)) return [e];
        if (!t.sub || !isObject(e)) return [];
        const copy = { ...e };
        delete copy[t.sub.name];
        return [copy];
      });
    } else if (Array.isArray(value) && value.length > 0) {
      // Entra-style remove with a value list: only the listed values go.
      kept = list.filter(
        (e) => !value.some((v) => same(isObject(v) && 'value' in v ? v.value : v, isObject(e) ? e.value : e)),
      );
    } else {
      kept = [];
    }
    if (kept.length === 0) delete box[t.def.name];
    else box[t.def.name] = kept;
  }

  private memberOp(op: 'add' | 'remove' | 'replace', t: Target, value: unknown): void {
    if (t.sub) throw scimErrors.invalidPath('members sub-attributes cannot be patched; add or remove members by value');
    const values = (v: unknown): string[] => {
      const list = v === null || v === undefined ? [] : Array.isArray(v) ? v : [v];
      this.memberValues += list.length;
      if (this.memberValues > PATCH_LIMITS.maxMemberValues) {
        throw scimErrors.invalidValue(`at most ${PATCH_LIMITS.maxMemberValues} members may be named in one request`);
      }
      return list.map((m, i) => {
        const id = isObject(m) ? m.value : m;
        if (typeof id !== 'string' || id.length === 0 || id.length > 256)
          throw scimErrors.invalidValue(`members[${i}].value must be a non-empty string id`);
        return id;
      });
    };
    if (op === 'add') {
      if (t.filter) throw scimErrors.invalidPath('add members without a filter in the path');
      this.members.push({ kind: 'add', members: values(value).map((v) => ({ value: v })) });
      return;
    }
    if (op === 'replace') {
      if (t.filter) throw scimErrors.invalidPath('replace members without a filter in the path');
      this.members.push({ kind: 'removeAll' }, { kind: 'add', members: values(value).map((v) => ({ value: v })) });
      return;
    }
    if (t.filter) {
      const f = t.filter;
      // The common shape `members[value eq "id"]` is a plain delete by id.
      if (f.kind === 'compare' && f.op === 'eq' && f.attr.attribute === 'value' && typeof f.value === 'string') {
        this.members.push({ kind: 'remove', values: [f.value] });
      } else {
        this.members.push({ kind: 'removeWhere', filter: f });
      }
      return;
    }
    // Entra: remove with a value list removes only the listed members (RFC read literally would remove all).
    if (Array.isArray(value) && value.length > 0) this.members.push({ kind: 'remove', values: values(value) });
    else this.members.push({ kind: 'removeAll' });
  }

  finish(before: Json): PatchChanges {
    const type = this.ctx.registry.resourceType(this.ctx.resourceTypeId)!;
    const present: string[] = [];
    for (const ext of type.schemaExtensions) {
      const box = this.next[ext.schema];
      if (isObject(box) && Object.keys(box).length > 0) present.push(ext.schema);
      else delete this.next[ext.schema];
    }
    this.next.schemas = [type.schema, ...present];
    for (const def of this.ctx.registry.schema(type.schema)!.attributes) {
      if (def.required && (this.next[def.name] === undefined || this.next[def.name] === ''))
        throw scimErrors.invalidValue(`${def.name} is required`);
    }
    const changed: string[] = [];
    const keys = new Set([...Object.keys(before), ...Object.keys(this.next)]);
    for (const key of keys) {
      if (key === 'schemas' || same(before[key], this.next[key])) continue;
      const box = this.next[key] ?? before[key];
      if (type.schemaExtensions.some((e) => e.schema === key) && isObject(box)) {
        const inner = new Set([
          ...Object.keys(isObject(before[key]) ? before[key] : {}),
          ...Object.keys(isObject(this.next[key]) ? this.next[key] : {}),
        ]);
        for (const name of inner) {
          if (!same((before[key] as Json | undefined)?.[name], (this.next[key] as Json | undefined)?.[name]))
            changed.push(`${key}:${name}`);
        }
      } else {
        changed.push(key);
      }
    }
    if (this.members.length > 0) changed.push('members');
    return {
      changedAttributes: changed,
      ...(this.password !== undefined ? { password: this.password } : {}),
      ...(this.members.length > 0 ? { members: this.members } : {}),
    };
  }
}

/** `type eq "work"` (or several such joined by `and`) → { type: "work" }; anything else cannot seed an element. */
function elementFromFilter(filter: FilterNode): Json | undefined {
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.value !== null)
    return { [filter.attr.attribute]: filter.value };
  if (filter.kind === 'and') {
    const left = elementFromFilter(filter.left);
    const right = elementFromFilter(filter.right);
    return left && right ? { ...left, ...right } : undefined;
  }
  return undefined;
}

/** RFC 7643 §2.4: at most one primary; a value just set primary wins over the others. */
function normalisePrimary(list: unknown[], touched: readonly number[]): unknown[] {
  const winner = touched.find((i) => isObject(list[i]) && (list[i] as Json).primary === true);
  if (winner === undefined) return list;
  return list.map((e, i) => {
    if (i === winner || !isObject(e) || e.primary !== true) return e;
    const { primary: _primary, ...rest } = e;
    return rest;
  });
}

export function applyPatch(
  resource: Json,
  operations: readonly PatchOperation[],
  ctx: PatchContext,
): { next: Json; changes: PatchChanges } {
  const patcher = new Patcher(resource, ctx);
  for (const op of operations) {
    try {
      patcher.apply(op);
    } catch (error) {
      if (error instanceof ScimError) {
        // RFC 7644 §3.5.2: the whole PATCH fails; the detail names the operation.
        throw new ScimError(error.status, `Operations[${op.index}]: ${error.detail}`, error.scimType);
      }
      throw error;
    }
  }
  const changes = patcher.finish(resource);
  return { next: patcher.next, changes };
}
