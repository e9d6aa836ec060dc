// The schema registry: case-insensitive attribute resolution over resource types and their extensions.
import { commonAttributes } from './common.ts';
import { enterpriseUserSchema } from './enterprise-user.ts';
import { groupSchema } from './group.ts';
import { resourceTypeSchema, schemaSchema, serviceProviderConfigSchema } from './meta-schemas.ts';
import type {
  AttributeDefinition,
  ResolvedAttribute,
  ResourceTypeDefinition,
  SchemaDefinition,
  SchemaRegistry,
} from './types.ts';
import { URN } from './urns.ts';
import { userSchema } from './user.ts';

function byName(list: readonly AttributeDefinition[], name: string): AttributeDefinition | undefined {
  const lower = name.toLowerCase();
  // A plain loop over own data: names like "__proto__" or "constructor" simply find nothing.
  for (const def of list) if (def.name.toLowerCase() === lower) return def;
  return undefined;
}

export function createRegistry(input: {
  schemas: readonly SchemaDefinition[];
  resourceTypes: readonly ResourceTypeDefinition[];
}): SchemaRegistry {
  const schemas = new Map(input.schemas.map((s) => [s.id.toLowerCase(), s]));
  const types = new Map(input.resourceTypes.map((t) => [t.id, t]));
  const schemasOf = (typeId: string) => {
    const type = types.get(typeId);
    return type ? [type.schema, ...type.schemaExtensions.map((e) => e.schema)] : [];
  };
  const resolveIn = (schemaId: string, isCore: boolean, attribute: string): AttributeDefinition | undefined => {
    const schema = schemas.get(schemaId.toLowerCase());
    if (!schema) return undefined;
    return byName(schema.attributes, attribute) ?? (isCore ? byName(commonAttributes, attribute) : undefined);
  };

  const memo = new Map<string, ResolvedAttribute | undefined>();
  return {
    schemas: input.schemas,
    resourceTypes: input.resourceTypes,
    resourceType: (id) => types.get(id),
    schema: (urn) => schemas.get(urn.toLowerCase()),
    schemasOf,
    resolve(typeId, ref) {
      // Projection resolves every attribute of every resource it renders: the answers are memoised (the registry
      // is immutable; the key space is bounded by the schema, unknown names included, so it is capped).
      const key =
        `${typeId}\u0000${ref.schema ?? ''}\u0000${ref.attribute}\u0000${ref.subAttribute ?? ''}`.toLowerCase();
      if (memo.has(key)) return memo.get(key);
      const found = resolveUncached(typeId, ref);
      if (memo.size < 10_000) memo.set(key, found);
      return found;
    },
  };

  function resolveUncached(
    typeId: string,
    ref: Parameters<SchemaRegistry['resolve']>[1],
  ): ResolvedAttribute | undefined {
    const type = types.get(typeId);
    if (!type) return undefined;
    const candidates =
      ref.schema !== undefined
        ? schemasOf(typeId).filter((s) => s.toLowerCase() === ref.schema!.toLowerCase())
        : schemasOf(typeId);
    for (const schemaId of candidates) {
      const def = resolveIn(schemaId, schemaId === type.schema, ref.attribute);
      if (!def) continue;
      if (ref.subAttribute === undefined) return { schema: schemaId, attribute: def } satisfies ResolvedAttribute;
      const sub = def.subAttributes ? byName(def.subAttributes, ref.subAttribute) : undefined;
      return sub ? { schema: schemaId, attribute: sub, parent: def } : undefined;
    }
    return undefined;
  }
}

export const userResourceType: ResourceTypeDefinition = Object.freeze({
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: URN.user,
  schemaExtensions: Object.freeze([{ schema: URN.enterpriseUser, required: false }]),
});

export const groupResourceType: ResourceTypeDefinition = Object.freeze({
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: URN.group,
  schemaExtensions: Object.freeze([]),
});

export const scimRegistry: SchemaRegistry = createRegistry({
  schemas: [
    userSchema,
    enterpriseUserSchema,
    groupSchema,
    serviceProviderConfigSchema,
    resourceTypeSchema,
    schemaSchema,
  ],
  resourceTypes: [userResourceType, groupResourceType],
});
