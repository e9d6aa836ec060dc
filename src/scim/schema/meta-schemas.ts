// The schemas that describe discovery resources themselves (RFC 7643 §5, §6, §7), so /Schemas is complete.
import { attr, complex } from './define.ts';
import type { AttributeDefinition, SchemaDefinition } from './types.ts';
import { URN } from './urns.ts';

const ro = { mutability: 'readOnly' } as const;
const supported = (name: string, description: string, extra: readonly AttributeDefinition[] = []) =>
  complex(
    name,
    description,
    [attr('supported', 'boolean', 'Whether the operation is supported.', { ...ro, required: true }), ...extra],
    {
      ...ro,
      required: true,
    },
  );

const attributeCharacteristics: AttributeDefinition[] = [
  attr('name', 'string', "The attribute's name.", { ...ro, required: true, caseExact: true }),
  attr('type', 'string', "The attribute's data type.", {
    ...ro,
    required: true,
    canonicalValues: ['string', 'complex', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary'],
  }),
  attr('multiValued', 'boolean', 'Whether the attribute is multi-valued.', { ...ro, required: true }),
  attr('description', 'string', 'A human-readable description of the attribute.', ro),
  attr('required', 'boolean', 'Whether the attribute is required.', ro),
  attr('canonicalValues', 'string', 'A collection of canonical values.', { ...ro, multiValued: true, caseExact: true }),
  attr('caseExact', 'boolean', 'Whether a string attribute is case sensitive.', ro),
  attr('mutability', 'string', 'Whether an attribute may be modified.', {
    ...ro,
    canonicalValues: ['readOnly', 'readWrite', 'immutable', 'writeOnly'],
  }),
  attr('returned', 'string', 'When an attribute is returned in a response.', {
    ...ro,
    canonicalValues: ['always', 'never', 'default', 'request'],
  }),
  attr('uniqueness', 'string', 'How the service provider enforces uniqueness.', {
    ...ro,
    canonicalValues: ['none', 'server', 'global'],
  }),
  attr('referenceTypes', 'string', 'The resource types that may be referenced.', {
    ...ro,
    multiValued: true,
    caseExact: true,
  }),
];

export const schemaSchema: SchemaDefinition = Object.freeze({
  id: URN.schema,
  name: 'Schema',
  description: 'Specifies the schema attribute characteristics',
  attributes: Object.freeze([
    attr('id', 'reference', 'The unique URI of the schema.', { ...ro, required: true, caseExact: true }),
    attr('name', 'string', "The schema's human-readable name.", ro),
    attr('description', 'string', "The schema's human-readable description.", ro),
    complex(
      'attributes',
      'The attributes of the schema.',
      [
        ...attributeCharacteristics,
        complex('subAttributes', 'The sub-attributes of a complex attribute.', attributeCharacteristics, {
          ...ro,
          multiValued: true,
        }),
      ],
      { ...ro, multiValued: true, required: true },
    ),
  ]),
});

export const resourceTypeSchema: SchemaDefinition = Object.freeze({
  id: URN.resourceType,
  name: 'ResourceType',
  description: 'Specifies the schema that describes a SCIM resource type',
  attributes: Object.freeze([
    attr('id', 'string', "The resource type's server unique id.", { ...ro, caseExact: true }),
    attr('name', 'string', 'The resource type name.', { ...ro, required: true }),
    attr('description', 'string', "The resource type's human-readable description.", ro),
    attr('endpoint', 'reference', "The resource type's HTTP-addressable endpoint relative to the Base URL.", {
      ...ro,
      required: true,
      referenceTypes: ['uri'],
    }),
    attr('schema', 'reference', "The resource type's primary/base schema URI.", {
      ...ro,
      required: true,
      caseExact: true,
      referenceTypes: ['uri'],
    }),
    complex(
      'schemaExtensions',
      "A list of URIs of the resource type's schema extensions.",
      [
        attr('schema', 'reference', 'The URI of a schema extension.', {
          ...ro,
          required: true,
          caseExact: true,
          referenceTypes: ['uri'],
        }),
        attr('required', 'boolean', 'Whether the extension must be present on a resource of this type.', {
          ...ro,
          required: true,
        }),
      ],
      { ...ro, multiValued: true },
    ),
  ]),
});

export const serviceProviderConfigSchema: SchemaDefinition = Object.freeze({
  id: URN.serviceProviderConfig,
  name: 'Service Provider Configuration',
  description: "Schema for representing the service provider's configuration",
  attributes: Object.freeze([
    attr('documentationUri', 'reference', "An HTTP-addressable URL pointing to the service provider's documentation.", {
      ...ro,
      referenceTypes: ['external'],
    }),
    supported('patch', 'A complex type that specifies PATCH configuration options.'),
    supported('bulk', 'A complex type that specifies bulk configuration options.', [
      attr('maxOperations', 'integer', 'The maximum number of operations.', { ...ro, required: true }),
      attr('maxPayloadSize', 'integer', 'The maximum payload size in bytes.', { ...ro, required: true }),
    ]),
    supported('filter', 'A complex type that specifies FILTER options.', [
      attr('maxResults', 'integer', 'The maximum number of resources returned in a response.', {
        ...ro,
        required: true,
      }),
    ]),
    supported('changePassword', 'A complex type that specifies configuration options related to changing a password.'),
    supported('sort', 'A complex type that specifies sort result options.'),
    supported('etag', 'A complex type that specifies ETag configuration options.'),
    complex(
      'pagination',
      'Pagination methods the service provider supports (RFC 9865).',
      [
        attr('cursor', 'boolean', 'Whether cursor-based pagination is supported.', ro),
        attr('index', 'boolean', 'Whether index-based pagination is supported.', ro),
        attr('defaultPaginationMethod', 'string', 'The method used when the client names none.', {
          ...ro,
          canonicalValues: ['cursor', 'index'],
        }),
        attr('defaultPageSize', 'integer', 'The page size used when the client names none.', ro),
        attr('maxPageSize', 'integer', 'The largest page size honoured.', ro),
        attr('cursorTimeout', 'integer', 'Seconds a cursor stays valid.', ro),
      ],
      ro,
    ),
    complex(
      'authenticationSchemes',
      'A complex type that specifies supported authentication scheme properties.',
      [
        attr('type', 'string', 'The authentication scheme.', {
          ...ro,
          required: true,
          canonicalValues: ['oauth', 'oauth2', 'oauthbearertoken', 'httpbasic', 'httpdigest'],
        }),
        attr('name', 'string', 'The common authentication scheme name.', { ...ro, required: true }),
        attr('description', 'string', 'A description of the authentication scheme.', { ...ro, required: true }),
        attr(
          'specUri',
          'reference',
          "An HTTP-addressable URL pointing to the authentication scheme's specification.",
          ro,
        ),
        attr(
          'documentationUri',
          'reference',
          "An HTTP-addressable URL pointing to the authentication scheme's usage documentation.",
          ro,
        ),
        attr('primary', 'boolean', 'Whether this is the preferred scheme.', ro),
      ],
      { ...ro, multiValued: true, required: true },
    ),
  ]),
});
