// SCIM request bodies as the IdPs send them, and the message URNs: data only, so the load scenarios (bench/) can
// use them without starting an app.
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function patch(...operations: object[]) {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** The user Entra ID's default mapping creates (MS Learn SCIM tutorial, "Create User" request). */
export function entraUser(userName: string, externalId: string, overrides: Record<string, unknown> = {}) {
  return {
    schemas: [CORE_USER, ENTERPRISE_USER],
    externalId,
    userName,
    active: true,
    displayName: 'Barbara Jensen',
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Barbara Jensen', familyName: 'Jensen', givenName: 'Barbara' },
    roles: [],
    [ENTERPRISE_USER]: { department: null },
    ...overrides,
  };
}

/** The user Okta's SCIM 2.0 SPEC tests create (with a password, as Okta sends one). */
export function oktaUser(userName: string) {
  return {
    schemas: [CORE_USER],
    userName,
    name: { givenName: 'Ann', familyName: 'Okta' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Ann Okta',
    locale: 'en-US',
    externalId: `00u${userName.length}abc`,
    groups: [],
    password: 'Sup3r-Secret-Passw0rd!',
    active: true,
  };
}
