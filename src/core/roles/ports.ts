// What roles need from the store. Every call names its tenant; effective-role reads cost the user's groups.

export interface RoleRecord {
  readonly tenantId: string;
  readonly key: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface RoleMappingRecord {
  readonly tenantId: string;
  readonly id: string;
  readonly groupId: string;
  readonly role: string;
  readonly createdAt: string;
}

/** Where a role is used: what a deletion would silently take away (so it is refused, ADR 0032). */
export interface RoleUses {
  readonly users: number;
  readonly mappings: readonly string[];
  readonly tenantDefault: boolean;
  readonly scimTokens: readonly string[];
}

export interface RoleRepository {
  /** Throws DomainError `role.key_taken` when the key exists in the tenant. */
  insert(role: RoleRecord): Promise<void>;
  get(tenantId: string, key: string): Promise<RoleRecord | undefined>;
  list(tenantId: string): Promise<readonly RoleRecord[]>;
  delete(tenantId: string, key: string): Promise<boolean>;
  uses(tenantId: string, key: string): Promise<RoleUses>;
  /** False when the (group, role) pair is already mapped. */
  insertMapping(mapping: RoleMappingRecord): Promise<boolean>;
  getMapping(tenantId: string, id: string): Promise<RoleMappingRecord | undefined>;
  listMappings(tenantId: string): Promise<readonly RoleMappingRecord[]>;
  deleteMapping(tenantId: string, id: string): Promise<boolean>;
  /** Replaces a user's direct roles with `roles`. */
  setDirectRoles(tenantId: string, userId: string, roles: readonly string[], at: string): Promise<void>;
  /**
   * Direct roles ∪ roles mapped to any group each user is in, nested groups included (a recursive query that
   * walks up from the user's own memberships: its cost follows the user's groups, not the tenant). Sorted keys.
   */
  effectiveRoles(tenantId: string, userIds: readonly string[]): Promise<ReadonlyMap<string, readonly string[]>>;
  /** Users in the group or in any group nested in it, at any depth. */
  usersUnder(tenantId: string, groupId: string): Promise<readonly string[]>;
  /** Whether the group or any group it is nested in (at any depth) is mapped to a role. */
  groupCarriesRoles(tenantId: string, groupId: string): Promise<boolean>;
  defaultRole(tenantId: string): Promise<string | null>;
  /**
   * Gives a just-created user `role`, or (null) the tenant's default role if one is set, in one statement (no read
   * before the write: a SCIM create pays one round trip for it). Answers the roles given.
   */
  assignDefault(tenantId: string, userId: string, role: string | null, at: string): Promise<readonly string[]>;
  setDefaultRole(tenantId: string, role: string | null): Promise<void>;
}
