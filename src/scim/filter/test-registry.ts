// Test helper: the real schema registry, with the User schema widened by a few attributes of the types Roster's
// own schemas do not use at the top level (integer, decimal, binary, multi-valued caseExact string), so the
// filter checker and evaluator are tested on every RFC 7643 §2.3 type.
import { attr } from '../schema/define.ts';
import { enterpriseUserSchema } from '../schema/enterprise-user.ts';
import { groupSchema } from '../schema/group.ts';
import { createRegistry, groupResourceType, userResourceType } from '../schema/registry.ts';
import type { AttributeDefinition, SchemaRegistry } from '../schema/types.ts';
import { URN } from '../schema/urns.ts';
import { userSchema } from '../schema/user.ts';

export const USER = URN.user;
export const GROUP = URN.group;
export const ENTERPRISE = URN.enterpriseUser;

const widenedUser = {
  ...userSchema,
  attributes: [
    ...userSchema.attributes,
    attr('loginCount', 'integer', 'test-only integer'),
    attr('score', 'decimal', 'test-only decimal'),
    attr('photo', 'binary', 'test-only binary', { caseExact: true }),
    attr('nickNames', 'string', 'test-only multi-valued caseExact string', { multiValued: true, caseExact: true }),
  ],
};

export const testRegistry: SchemaRegistry = createRegistry({
  schemas: [widenedUser, enterpriseUserSchema, groupSchema],
  resourceTypes: [userResourceType, groupResourceType],
});

/** The definition of a top-level attribute, for evaluateValueFilter tests. */
export function definitionOf(resourceTypeId: string, attribute: string): AttributeDefinition {
  const found = testRegistry.resolve(resourceTypeId, { attribute });
  if (!found) throw new Error(`registry: no ${attribute}`);
  return found.attribute;
}
