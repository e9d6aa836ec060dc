// Where a filter's or sortBy's attribute lives: its definition in the schema registry, and its store (a column,
// membership rows, or a path in the `search` document). Names reach SQL only through checkName.
import { scimErrors } from '../../scim/errors.ts';
import type { AttrRef } from '../../scim/path/types.ts';
import type { AttributeDefinition, SchemaRegistry } from '../../scim/schema/types.ts';
import {
  type AttributeSource,
  COLUMN_MAP,
  type MembershipSource,
  type ResourceTypeId,
  type ValueIndex,
} from './column-map.ts';

export interface AttributeScope {
  readonly resourceTypeId: ResourceTypeId;
  readonly registry: SchemaRegistry;
}

export interface FilterSqlContext extends AttributeScope {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * The tenant the query is scoped to (it also says `r.tenant_id = tenantId`). Given, `eq` on an attribute with a
   * value index searches that index for the tenant; without it the filter compiles to the `search` walk alone.
   */
  readonly tenantId?: string | undefined;
}

const NAME = /^[A-Za-z$][A-Za-z0-9_$-]{0,127}$/;
const URN_TEXT = /^urn:[A-Za-z0-9:._-]{1,250}$/;

export function checkName(name: string): string {
  if (!NAME.test(name)) throw scimErrors.invalidFilter('attribute name not allowed in a filter');
  return name;
}

export interface Resolved {
  readonly def: AttributeDefinition; // the attribute, or the sub-attribute when one is named
  readonly top: AttributeDefinition; // the top-level attribute
  readonly extension: string | undefined; // the extension URN the attribute lives under in `search`
}

export function resolve(ctx: AttributeScope, ref: AttrRef): Resolved {
  const found = ctx.registry.resolve(ctx.resourceTypeId, ref);
  if (!found) throw scimErrors.invalidFilter(`${ref.attribute} is not an attribute of ${ctx.resourceTypeId}`);
  // Defence in depth behind checkFilter: a never-returned attribute (password) must not be probed by filters.
  if (found.attribute.returned === 'never' || found.parent?.returned === 'never')
    throw scimErrors.invalidFilter(`${ref.attribute} cannot be used in a filter`);
  const schemas = ctx.registry.schemasOf(ctx.resourceTypeId);
  const extension = found.schema === schemas[0] ? undefined : found.schema;
  if (extension !== undefined && !(schemas.includes(extension) && URN_TEXT.test(extension)))
    throw scimErrors.invalidFilter('schema not allowed in a filter');
  return { def: found.attribute, top: found.parent ?? found.attribute, extension };
}

export function label(top: AttributeDefinition, def: AttributeDefinition): string {
  return top === def ? top.name : `${top.name}.${def.name}`;
}

/** `search` path of an attribute: [extension URN,] top-level name. */
export function keysOf(r: Resolved, top: AttributeDefinition): string[] {
  return [...(r.extension ? [r.extension] : []), checkName(top.name)];
}

/** The column (or constant) that holds `def`, when the column map names one. */
export function columnSource(
  resourceTypeId: ResourceTypeId,
  def: AttributeDefinition,
  r: Resolved,
): AttributeSource | undefined {
  if (r.extension !== undefined) return undefined;
  const key = def === r.top ? r.top.name : `${r.top.name}.${def.name}`;
  const map = COLUMN_MAP[resourceTypeId].attributes;
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** The membership rows that hold the attribute (Group.members, User.groups), when it is one. */
export function membershipOf(resourceTypeId: ResourceTypeId, r: Resolved): MembershipSource | undefined {
  if (r.extension !== undefined) return undefined;
  const map = COLUMN_MAP[resourceTypeId].memberships;
  return Object.hasOwn(map, r.top.name) ? map[r.top.name] : undefined;
}

/** The value index of a sub-attribute (`emails.value`), when the column map names one. */
export function valueIndexOf(resourceTypeId: ResourceTypeId, top: AttributeDefinition, sub: AttributeDefinition) {
  const map = COLUMN_MAP[resourceTypeId].valueIndexes;
  const key = `${top.name}.${sub.name}`;
  return Object.hasOwn(map, key) ? (map[key] as ValueIndex) : undefined;
}
