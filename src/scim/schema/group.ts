// The core Group schema (RFC 7643 §4.2), as data.
import { attr, complex } from './define.ts';
import type { SchemaDefinition } from './types.ts';
import { URN } from './urns.ts';

export const groupSchema: SchemaDefinition = Object.freeze({
  id: URN.group,
  name: 'Group',
  description: 'Group',
  attributes: Object.freeze([
    attr('displayName', 'string', 'A human-readable name for the Group.', { required: true, uniqueness: 'server' }),
    complex(
      'members',
      'A list of members of the Group.',
      [
        attr('value', 'string', 'Identifier of the member of this Group.', {
          caseExact: true,
          mutability: 'immutable',
        }),
        attr('$ref', 'reference', 'The URI corresponding to a SCIM resource that is a member of this Group.', {
          caseExact: true,
          mutability: 'immutable',
          referenceTypes: ['User', 'Group'],
        }),
        attr('display', 'string', 'A human-readable name for the member.', { mutability: 'readOnly' }),
        attr('type', 'string', 'A label indicating the type of resource.', {
          mutability: 'immutable',
          canonicalValues: ['User', 'Group'],
        }),
      ],
      { multiValued: true },
    ),
  ]),
});
