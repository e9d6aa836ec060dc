// The Enterprise User extension (RFC 7643 §4.3), as data.
import { attr, complex } from './define.ts';
import type { SchemaDefinition } from './types.ts';
import { URN } from './urns.ts';

export const enterpriseUserSchema: SchemaDefinition = Object.freeze({
  id: URN.enterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: Object.freeze([
    attr('employeeNumber', 'string', 'Numeric or alphanumeric identifier assigned to a person by the organization.'),
    attr('costCenter', 'string', 'Identifies the name of a cost center.'),
    attr('organization', 'string', 'Identifies the name of an organization.'),
    attr('division', 'string', 'Identifies the name of a division.'),
    attr('department', 'string', 'Identifies the name of a department.'),
    complex('manager', "The User's manager.", [
      attr('value', 'string', "The id of the SCIM resource representing the User's manager.", { caseExact: true }),
      attr('$ref', 'reference', "The URI of the SCIM resource representing the User's manager.", {
        caseExact: true,
        referenceTypes: ['User'],
      }),
      attr('displayName', 'string', "The displayName of the User's manager.", { mutability: 'readOnly' }),
    ]),
  ]),
});
