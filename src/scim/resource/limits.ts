// Per-attribute size limits for SCIM resources: each is a 400 invalidValue, checked before anything is stored.

export const RESOURCE_LIMITS = {
  userNameLength: 256,
  stringLength: 1024,
  /** photos.value and x509Certificates.value carry URLs or base64 certificates. */
  largeStringLength: 16 * 1024,
  multiValuedEntries: 50,
} as const;
