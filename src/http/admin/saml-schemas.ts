// JSON schemas of the SAML provider routes (ADR 0038).

const mapping = {
  type: 'object',
  additionalProperties: false,
  description:
    'Assertion attribute names (as the IdP sends them). externalId and userName default to the NameID; email is copied onto a just-in-time user but never used to find or link anyone',
  properties: Object.fromEntries(
    ['externalId', 'userName', 'givenName', 'familyName', 'displayName', 'email'].map((k) => [
      k,
      { type: 'string', minLength: 1, maxLength: 512 },
    ]),
  ),
} as const;

const propertiesIn = {
  type: 'object',
  additionalProperties: false,
  required: ['loginEnabled', 'visible', 'autoProvisioningEnabled'],
  properties: {
    metadataUrl: {
      type: 'string',
      maxLength: 2048,
      description: "The IdP's metadata URL, fetched at create and update under the outbound SSRF policy",
    },
    metadataXml: { type: 'string', maxLength: 262144, description: "The IdP's metadata document itself" },
    loginEnabled: { type: 'boolean' },
    visible: { type: 'boolean' },
    autoProvisioningEnabled: { type: 'boolean' },
    nameIdFormat: { type: 'string', maxLength: 200 },
    attributeMapping: mapping,
  },
} as const;

export const samlProviderBody = {
  type: 'object',
  required: ['scheme', 'displayName', 'enabled', 'properties'],
  additionalProperties: false,
  properties: {
    scheme: { type: 'string', minLength: 1, maxLength: 63, description: 'URL-safe name, unique per tenant' },
    displayName: { type: 'string', minLength: 1, maxLength: 200 },
    enabled: { type: 'boolean' },
    type: { type: 'string', enum: ['saml'] },
    properties: propertiesIn,
  },
} as const;

export const samlProviderPatchBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scheme: { type: 'string' },
    displayName: { type: 'string', minLength: 1, maxLength: 200 },
    enabled: { type: 'boolean' },
    type: { type: 'string', enum: ['saml'] },
    properties: { ...propertiesIn, required: [] },
  },
} as const;

export const samlProviderSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    scheme: { type: 'string' },
    displayName: { type: 'string' },
    enabled: { type: 'boolean' },
    type: { type: 'string' },
    serviceProvider: {
      type: 'object',
      description: 'What to paste into the IdP: the SP entity id (audience), the ACS URL and the SP metadata URL',
      properties: { entityId: { type: 'string' }, acsUrl: { type: 'string' }, metadataUrl: { type: 'string' } },
    },
    identityProvider: {
      type: 'object',
      description: "What Roster read from the IdP's metadata",
      properties: {
        entityId: { type: 'string' },
        ssoUrl: { type: 'string' },
        certificates: { type: 'integer', description: 'How many signing certificates are trusted' },
      },
    },
    properties: {
      type: 'object',
      properties: {
        metadataUrl: { type: ['string', 'null'] },
        loginEnabled: { type: 'boolean' },
        visible: { type: 'boolean' },
        autoProvisioningEnabled: { type: 'boolean' },
        nameIdFormat: { type: 'string' },
        attributeMapping: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;
