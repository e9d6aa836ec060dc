// A SCIM resource as plain JSON: core attributes at the top, extension attributes under their schema URN.
export type ScimResource = Record<string, unknown>;
