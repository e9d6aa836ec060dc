// JSON Schemas of the operator and admin API: request validation and the OpenAPI document come from these.

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', description: 'Stable error code, listed in docs/errors.md' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

export const tenantSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, createdAt: timestamp },
} as const;

export const createTenantBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const ADMIN_SCOPE_NAMES = ['read', 'scim-tokens', 'admin'] as const;

export const adminTokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    label: { type: 'string' },
    name: { type: 'string', description: 'The same as label' },
    scopes: { type: 'array', items: { type: 'string', enum: ADMIN_SCOPE_NAMES } },
    createdAt: timestamp,
    expiresAt: nullableTimestamp,
    lastUsedAt: nullableTimestamp,
  },
} as const;

const adminScopesIn = {
  type: 'array',
  minItems: 1,
  maxItems: 3,
  items: { type: 'string', maxLength: 32 },
  description: 'read: GET only; scim-tokens: the SCIM token routes only; admin: everything (default)',
} as const;
const expiresAtIn = { type: ['string', 'null'], maxLength: 64, description: 'Optional RFC 3339 expiry' } as const;

export const createAdminTokenBody = {
  type: 'object',
  additionalProperties: false,
  properties: { label: { type: 'string', maxLength: 200 }, scopes: adminScopesIn, expiresAt: expiresAtIn },
} as const;

/** The tenant's own admin-token route: `name` is the label. */
export const createOwnAdminTokenBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', maxLength: 200 }, scopes: adminScopesIn, expiresAt: expiresAtIn },
} as const;

const ssoPropertiesIn = {
  type: 'object',
  required: [
    'loginEnabled',
    'visible',
    'delegationEnabled',
    'autoProvisioningEnabled',
    'clientId',
    'usePkce',
    'responseType',
    'scope',
  ],
  additionalProperties: false,
  properties: {
    loginEnabled: { type: 'boolean', description: 'Users may sign in through this provider' },
    visible: { type: 'boolean', description: 'Listed on the sign-in page (a hidden provider is reachable by hint)' },
    delegationEnabled: {
      type: 'boolean',
      description: "Apps may obtain the upstream provider's access token for the signed-in user",
    },
    autoProvisioningEnabled: { type: 'boolean', description: 'Create unknown users at their first sign-in (JIT)' },
    clientId: { type: 'string', minLength: 1, maxLength: 256 },
    clientSecret: { type: 'string', maxLength: 1024, description: 'Write-only; encrypted at rest, never returned' },
    usePkce: { type: 'boolean' },
    authority: {
      type: 'string',
      minLength: 1,
      maxLength: 512,
      description: 'https://login.microsoftonline.com/{directory-id}/v2.0 — one directory, never /common',
    },
    issuer: {
      type: 'string',
      minLength: 1,
      maxLength: 512,
      description:
        'Generic OIDC only: the issuer exactly as its discovery document announces it, e.g. https://your-org.okta.com or https://accounts.google.com',
    },
    subjectClaim: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description:
        'Generic OIDC only: the ID token claim matched to SCIM externalId (default "sub"); never an email claim',
    },
    userNameClaim: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description:
        'Generic OIDC only: the claim matched to SCIM userName when no externalId matches (default "preferred_username"); never an email claim',
    },
    hostedDomain: {
      type: ['string', 'null'],
      maxLength: 253,
      description:
        'Generic OIDC only (Google Workspace): the `hd` claim must equal this domain, or with "verified" be one of the tenant\'s verified domains; Google\'s issuer defaults to "verified"',
    },
    responseType: { type: 'string', enum: ['code'] },
    scope: { type: 'string', minLength: 1, maxLength: 512 },
  },
} as const;

const OIDC_ONLY_PROPERTIES = ['issuer', 'subjectClaim', 'userNameClaim', 'hostedDomain'] as const;
const omit = <T extends Record<string, unknown>>(o: T, keys: readonly string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

/** POST /sso/azuread: Entra ID names its authority. */
const azureadPropertiesIn = {
  ...ssoPropertiesIn,
  required: [...ssoPropertiesIn.required, 'authority'],
  properties: omit(ssoPropertiesIn.properties, OIDC_ONLY_PROPERTIES),
} as const;

/** POST /sso/oidc: a generic OpenID Connect provider names its issuer instead. */
const oidcPropertiesIn = {
  ...ssoPropertiesIn,
  required: [...ssoPropertiesIn.required, 'issuer'],
  properties: omit(ssoPropertiesIn.properties, ['authority']),
} as const;

export const ssoProviderBody = {
  type: 'object',
  required: ['scheme', 'displayName', 'enabled', 'type', 'properties'],
  additionalProperties: false,
  properties: {
    scheme: { type: 'string', minLength: 1, maxLength: 63, description: 'URL-safe name, unique per tenant' },
    displayName: { type: 'string', minLength: 1, maxLength: 200 },
    enabled: { type: 'boolean' },
    type: { type: 'string', enum: ['oidc'] },
    properties: ssoPropertiesIn,
  },
} as const;

/** POST /sso/azuread. PUT takes ssoProviderBody: the provider's kind says whether authority or issuer is required. */
export const azureadProviderBody = {
  ...ssoProviderBody,
  properties: { ...ssoProviderBody.properties, properties: azureadPropertiesIn },
} as const;

/** POST /sso/oidc: the azuread body with `properties.issuer` in place of `authority` (ADR 0036). */
export const oidcProviderBody = {
  ...ssoProviderBody,
  properties: { ...ssoProviderBody.properties, properties: oidcPropertiesIn },
} as const;

/** PATCH: a JSON merge patch (RFC 7396) of the provider; scheme cannot change. */
export const ssoProviderPatchBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scheme: { type: 'string' },
    displayName: { type: 'string', minLength: 1, maxLength: 200 },
    enabled: { type: 'boolean' },
    type: { type: 'string', enum: ['oidc'] },
    properties: { ...ssoPropertiesIn, required: [] },
  },
} as const;

export const ssoProviderSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: {
      type: 'string',
      enum: ['azuread', 'oidc'],
      description: 'Which rules apply: Entra ID (tid/oid) or a generic OpenID Connect issuer (iss/sub)',
    },
    scheme: { type: 'string' },
    displayName: { type: 'string' },
    enabled: { type: 'boolean' },
    type: { type: 'string' },
    redirectUri: {
      type: 'string',
      description:
        "The redirect URI to register in the provider's app registration (Entra ID: Authentication → Web → Redirect URIs); built from ROSTER_PUBLIC_URL",
    },
    properties: {
      type: 'object',
      properties: {
        loginEnabled: { type: 'boolean' },
        visible: { type: 'boolean' },
        delegationEnabled: { type: 'boolean' },
        autoProvisioningEnabled: { type: 'boolean' },
        clientId: { type: 'string' },
        clientSecretSet: { type: 'boolean' },
        usePkce: { type: 'boolean' },
        authority: { type: 'string', description: 'Entra ID providers' },
        issuer: { type: 'string', description: 'Generic OIDC providers' },
        subjectClaim: { type: 'string', description: 'Generic OIDC providers' },
        userNameClaim: { type: 'string', description: 'Generic OIDC providers' },
        hostedDomain: { type: ['string', 'null'], description: 'Generic OIDC providers' },
        responseType: { type: 'string' },
        scope: { type: 'string' },
      },
    },
    warnings: { type: 'array', items: { type: 'string' } },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

export const createScimTokenBody = {
  type: 'object',
  required: ['provider', 'providerDisplayName'],
  additionalProperties: false,
  properties: {
    provider: {
      type: 'string',
      minLength: 1,
      maxLength: 63,
      description: 'The scheme of an SSO provider (any kind) or of a directory connection',
    },
    providerDisplayName: { type: 'string', minLength: 1, maxLength: 200 },
    expiresAt: { type: ['string', 'null'], description: 'Optional RFC 3339 expiry; none by default' },
    defaultRole: {
      type: ['string', 'null'],
      maxLength: 64,
      description: "A role key: given to users this token creates instead of the tenant's default role",
    },
  },
} as const;

export const scimTokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    provider: { type: 'string' },
    providerDisplayName: { type: 'string' },
    createdAt: timestamp,
    expiresAt: nullableTimestamp,
    expiresSoon: { type: 'boolean', description: 'True when the token expires within 30 days (or has expired)' },
    lastUsedAt: nullableTimestamp,
    defaultRole: { type: ['string', 'null'] },
  },
} as const;

export const auditEventSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: timestamp,
    actor: { type: 'string' },
    action: { type: 'string' },
    target: { type: ['string', 'null'] },
    data: { type: 'object', additionalProperties: true },
  },
} as const;

export function listOf(item: object) {
  return { type: 'object', properties: { items: { type: 'array', items: item } } } as const;
}

export const idParam = (name: string) =>
  ({
    type: 'object',
    required: [name],
    properties: { [name]: { type: 'string', minLength: 1, maxLength: 128 } },
  }) as const;

export const scimLogSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: timestamp,
    tokenId: { type: ['string', 'null'] },
    method: { type: 'string' },
    path: { type: 'string' },
    operation: { type: 'string' },
    resourceType: { type: ['string', 'null'] },
    resourceId: { type: ['string', 'null'] },
    status: { type: 'integer' },
    scimType: { type: ['string', 'null'] },
    durationMs: { type: 'integer' },
    summary: { type: 'object', additionalProperties: true },
    explanation: {
      type: ['string', 'null'],
      description: 'A failed request in plain words for an IT admin (null for successes)',
    },
  },
} as const;

/** Directory connections (ADR 0043). */
export const DIRECTORY_TYPE_NAMES = ['okta', 'entra', 'generic'] as const;

export const createDirectoryBody = {
  type: 'object',
  required: ['scheme', 'displayName', 'type'],
  additionalProperties: false,
  properties: {
    scheme: {
      type: 'string',
      minLength: 1,
      maxLength: 63,
      description: 'Unique in the tenant across SSO providers and directory connections; what SCIM tokens name',
    },
    displayName: { type: 'string', minLength: 1, maxLength: 200 },
    type: {
      type: 'string',
      enum: DIRECTORY_TYPE_NAMES,
      description: 'The identity provider that provisions through it (informational)',
    },
  },
} as const;

export const patchDirectoryBody = {
  type: 'object',
  required: ['displayName'],
  additionalProperties: false,
  properties: { displayName: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const directorySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    scheme: { type: 'string' },
    displayName: { type: 'string' },
    type: { type: 'string', enum: DIRECTORY_TYPE_NAMES },
    scimBaseUrl: { type: 'string', description: "The Tenant URL / SCIM base URL to enter in the IdP's SCIM app" },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;
