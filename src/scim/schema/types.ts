// The SCIM schema as data (RFC 7643 §7): every engine module reads attribute rules from these objects.

export type AttributeType =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'binary'
  | 'reference'
  | 'complex';

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDefinition {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDefinition[];
}

export interface SchemaDefinition {
  readonly id: string; // URN
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDefinition[];
}

export interface SchemaExtensionRef {
  readonly schema: string;
  readonly required: boolean;
}

export interface ResourceTypeDefinition {
  readonly id: string; // 'User' | 'Group'
  readonly name: string;
  readonly endpoint: string; // '/Users'
  readonly description: string;
  readonly schema: string; // core schema URN
  readonly schemaExtensions: readonly SchemaExtensionRef[];
}

/** A resolved attribute: where it lives (schema URN) plus its definition and, for sub-attributes, its parent. */
export interface ResolvedAttribute {
  readonly schema: string;
  readonly attribute: AttributeDefinition;
  readonly parent?: AttributeDefinition;
}

/**
 * Lookup over the schemas and resource types. Attribute names are case-insensitive (RFC 7643 §2.1);
 * resolution returns the canonical definition so callers can rewrite names to their canonical spelling.
 */
export interface SchemaRegistry {
  readonly schemas: readonly SchemaDefinition[];
  readonly resourceTypes: readonly ResourceTypeDefinition[];
  resourceType(id: string): ResourceTypeDefinition | undefined;
  schema(urn: string): SchemaDefinition | undefined;
  /** All schema URNs of a resource type: its core schema first, then its extensions. */
  schemasOf(resourceTypeId: string): readonly string[];
  /**
   * Resolves `attribute` (and optionally `subAttribute`) of a resource type. `schema`, when given, is the URN
   * the name was qualified with; without it the core schema is searched first, then the extensions.
   * Returns undefined for names the resource type does not define.
   */
  resolve(
    resourceTypeId: string,
    ref: {
      readonly schema?: string | undefined;
      readonly attribute: string;
      readonly subAttribute?: string | undefined;
    },
  ): ResolvedAttribute | undefined;
}
