// Attributes every resource has (RFC 7643 §3.1): id, externalId and meta, described under the core schemas.
import { attr, complex } from './define.ts';

export const idAttribute = attr(
  'id',
  'string',
  'A unique identifier for a SCIM resource as defined by the service provider.',
  {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  },
);

export const externalIdAttribute = attr(
  'externalId',
  'string',
  'An identifier for the resource as defined by the provisioning client.',
  {
    caseExact: true,
  },
);

export const metaAttribute = complex(
  'meta',
  'A complex attribute containing resource metadata.',
  [
    attr('resourceType', 'string', 'The name of the resource type of the resource.', {
      caseExact: true,
      mutability: 'readOnly',
    }),
    attr('created', 'dateTime', 'The DateTime that the resource was added to the service provider.', {
      mutability: 'readOnly',
    }),
    attr('lastModified', 'dateTime', 'The most recent DateTime that the details of this resource were updated.', {
      mutability: 'readOnly',
    }),
    attr('location', 'reference', 'The URI of the resource being returned.', {
      caseExact: true,
      mutability: 'readOnly',
      referenceTypes: ['uri'],
    }),
    attr('version', 'string', 'The version of the resource being returned (its ETag).', {
      caseExact: true,
      mutability: 'readOnly',
    }),
  ],
  { mutability: 'readOnly' },
);

export const commonAttributes = [idAttribute, externalIdAttribute, metaAttribute] as const;
