// The SCIM engine's error vocabulary (RFC 7644 §3.12): a scimType and a detail. No HTTP status: each surface maps
// scimTypes to its wire once (src/http/scim/errors.ts). Failures that are not about the protocol message itself —
// a missing resource, a stale version, a taken userName, a stale cursor — are the core's DomainError codes.

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  | 'invalidCursor'
  | 'expiredCursor';

export class ScimError extends Error {
  readonly scimType: ScimType;
  readonly detail: string;

  constructor(scimType: ScimType, detail: string) {
    super(detail);
    this.name = 'ScimError';
    this.scimType = scimType;
    this.detail = detail;
  }
}

/** One constructor per scimType the engine raises (uniqueness and the cursor types are raised by the core). */
export const scimErrors = {
  invalidFilter: (detail: string) => new ScimError('invalidFilter', detail),
  tooMany: (detail: string) => new ScimError('tooMany', detail),
  mutability: (detail: string) => new ScimError('mutability', detail),
  invalidSyntax: (detail: string) => new ScimError('invalidSyntax', detail),
  invalidPath: (detail: string) => new ScimError('invalidPath', detail),
  noTarget: (detail: string) => new ScimError('noTarget', detail),
  invalidValue: (detail: string) => new ScimError('invalidValue', detail),
  invalidVers: (detail: string) => new ScimError('invalidVers', detail),
  sensitive: (detail: string) => new ScimError('sensitive', detail),
} as const;
