// SCIM protocol errors (RFC 7644 §3.12): one constructor per status / scimType, mapped to the wire by the HTTP layer.

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
  readonly status: number;
  readonly scimType: ScimType | undefined;
  readonly detail: string;
  /** Seconds the client should wait (429, 503), sent as Retry-After. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, detail: string, scimType?: ScimType, retryAfterSeconds?: number) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const scimErrors = {
  invalidFilter: (detail: string) => new ScimError(400, detail, 'invalidFilter'),
  tooMany: (detail: string) => new ScimError(400, detail, 'tooMany'),
  uniqueness: (detail: string) => new ScimError(409, detail, 'uniqueness'),
  mutability: (detail: string) => new ScimError(400, detail, 'mutability'),
  invalidSyntax: (detail: string) => new ScimError(400, detail, 'invalidSyntax'),
  invalidPath: (detail: string) => new ScimError(400, detail, 'invalidPath'),
  noTarget: (detail: string) => new ScimError(400, detail, 'noTarget'),
  invalidValue: (detail: string) => new ScimError(400, detail, 'invalidValue'),
  invalidVers: (detail: string) => new ScimError(400, detail, 'invalidVers'),
  sensitive: (detail: string) => new ScimError(403, detail, 'sensitive'),
  // RFC 9865 §3: cursor errors
  invalidCursor: (detail: string) => new ScimError(400, detail, 'invalidCursor'),
  expiredCursor: (detail: string) => new ScimError(400, detail, 'expiredCursor'),
  notFound: (detail: string) => new ScimError(404, detail),
  preconditionFailed: (detail: string) => new ScimError(412, detail),
  payloadTooLarge: (detail: string) => new ScimError(413, detail),
  tooManyRequests: (detail: string, retryAfterSeconds: number) =>
    new ScimError(429, detail, undefined, retryAfterSeconds),
} as const;
