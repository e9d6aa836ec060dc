// Every failure on the SCIM surface as an RFC 7644 §3.12 error: one mapping from the engine's scimTypes, the core's
// codes and this surface's own failures to a status, sent as application/scim+json with the status as a string.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorCode } from '../../core/errors.ts';
import { ScimError, type ScimType } from '../../scim/errors.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** An error as this surface sends it. */
export interface ScimWireError {
  readonly status: number;
  readonly scimType?: ScimType | undefined;
  readonly detail: string;
  /** Seconds the client should wait (429, 503), sent as Retry-After. */
  readonly retryAfterSeconds?: number | undefined;
}

/** Failures only the HTTP surface knows: transport, limits, routing. */
export type ScimSurfaceCode =
  | 'request.too_large'
  | 'request.unsupported_media_type'
  | 'request.rate_limited'
  | 'route.not_found'
  | 'method.not_allowed';

export const SURFACE_STATUS: Record<ScimSurfaceCode, number> = {
  'request.too_large': 413,
  'request.unsupported_media_type': 415,
  'request.rate_limited': 429,
  'route.not_found': 404,
  'method.not_allowed': 405,
};

export class ScimSurfaceError extends Error {
  readonly code: ScimSurfaceCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ScimSurfaceCode, detail: string, retryAfterSeconds?: number) {
    super(detail);
    this.name = 'ScimSurfaceError';
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function surfaceWire(code: ScimSurfaceCode, detail: string, retryAfterSeconds?: number): ScimWireError {
  return { status: SURFACE_STATUS[code], detail, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}

/** RFC 7644 §3.12, Table 9: the status each scimType is sent with. */
export const SCIM_TYPE_STATUS: Record<ScimType, number> = {
  invalidFilter: 400,
  tooMany: 400,
  uniqueness: 409,
  mutability: 400,
  invalidSyntax: 400,
  invalidPath: 400,
  noTarget: 400,
  invalidValue: 400,
  invalidVers: 400,
  sensitive: 403,
  // RFC 9865 §3.2
  invalidCursor: 400,
  expiredCursor: 400,
};

const UNAVAILABLE: ScimWireError = { status: 503, detail: 'the service is temporarily unavailable; retry later' };
const INTERNAL: ScimWireError = {
  status: 500,
  detail: 'an unexpected error occurred; it was logged with the request id',
};
const TOO_LARGE = 'the request body is larger than the server accepts';
const MEDIA_TYPE = 'send the body as application/scim+json or application/json in UTF-8';

const typed = (scimType: ScimType, detail: string): ScimWireError => ({
  status: SCIM_TYPE_STATUS[scimType],
  scimType,
  detail,
});

/**
 * The core's codes on this surface: exhaustive, so a new code fails to compile until it is placed. `undefined`
 * for codes this surface never produces (another API's resources): reaching one here is a bug, answered as 500.
 */
export function domainToWire(error: DomainError): ScimWireError | undefined {
  const code: DomainErrorCode = error.code;
  switch (code) {
    case 'auth.missing':
    case 'auth.invalid':
    case 'auth.wrong_kind':
    case 'auth.insufficient_scope':
      // Every authentication failure looks the same: nothing tells a caller which part was wrong.
      return { status: 401, detail: 'a valid SCIM bearer token is required' };
    case 'store.unavailable':
      return UNAVAILABLE;
    case 'validation.failed':
      return typed('invalidValue', error.message);
    case 'scim.not_found':
      return { status: 404, detail: error.message };
    // RFC 7232 §3.1: a failing If-Match answers 412 and nothing is written.
    case 'scim.version_mismatch':
      return { status: 412, detail: error.message };
    case 'scim.uniqueness':
      return typed('uniqueness', error.message);
    case 'scim.cursor_invalid':
      return typed('invalidCursor', error.message);
    case 'scim.cursor_expired':
      return typed('expiredCursor', error.message);
    case 'tenant.not_found':
    case 'admin_token.not_found':
    case 'sso.not_found':
    case 'sso.scheme_taken':
    case 'sso.has_scim_tokens':
    case 'scim_token.not_found':
    case 'scim_token.provider_unknown':
    case 'audit.cursor_invalid':
    case 'events.cursor_invalid':
    case 'events.cursor_expired':
    case 'webhooks.not_found':
    case 'webhooks.url_refused':
    case 'webhooks.delivery_not_found':
    case 'webhooks.cursor_invalid':
    case 'directory.cursor_invalid':
    case 'directory.not_found':
    case 'setup_link.not_found':
    case 'setup_link.not_revocable':
    case 'test_signin.not_found':
    case 'client.not_found':
    case 'role.not_found':
    case 'role.key_taken':
    case 'role.in_use':
    case 'role_mapping.not_found':
    case 'role_mapping.exists':
    case 'signin.interaction_expired':
    case 'signin.interaction_mismatch':
    case 'domains.not_found':
    case 'domains.exists':
    case 'domains.taken':
    case 'domains.public_suffix':
    case 'invitations.mail_not_configured':
    case 'invitations.sso_required':
    case 'invitations.not_found':
    case 'invitations.not_revocable':
      return undefined;
  }
  // No default branch: after the cases above `code` is `never`, so a new code fails to compile until placed.
  return unreachable(code);
}

function unreachable(code: never): never {
  throw new Error(`unmapped error code ${String(code)}`);
}

/**
 * The outcome of one SCIM operation the client is told about (a Bulk operation's own response), or undefined for
 * failures of the whole request (authentication, an unavailable store, a bug).
 */
export function operationError(error: unknown): ScimWireError | undefined {
  if (error instanceof ScimError) return typed(error.scimType, error.detail);
  if (error instanceof DomainError && error.code.startsWith('scim.')) return domainToWire(error);
  return undefined;
}

interface FastifyErrorLike {
  code?: string;
  statusCode?: number;
}

/** Maps anything thrown while serving SCIM to its wire form; unknown errors become a logged, generic 500. */
export function toScimWire(
  error: unknown,
  request: FastifyRequest,
  isStoreUnavailable: (e: unknown) => boolean,
): ScimWireError {
  if (error instanceof ScimError) return typed(error.scimType, error.detail);
  if (error instanceof ScimSurfaceError) return surfaceWire(error.code, error.message, error.retryAfterSeconds);
  if (error instanceof DomainError) {
    const wire = domainToWire(error);
    if (wire) return wire;
    request.log.error({ err: error }, 'an error code the SCIM surface never produces');
    return INTERNAL;
  }
  if (isStoreUnavailable(error)) {
    request.log.warn({ err: { code: (error as FastifyErrorLike).code } }, 'store unavailable');
    return UNAVAILABLE;
  }
  // Fastify's own errors (content-type parsing, body limits) are known by their codes, then by their statuses.
  const e = error as FastifyErrorLike;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, detail: TOO_LARGE };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 415, detail: MEDIA_TYPE };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return typed('invalidSyntax', 'the request body is not valid JSON');
  }
  if (e.statusCode === 413) return { status: 413, detail: TOO_LARGE };
  if (e.statusCode === 415) return { status: 415, detail: MEDIA_TYPE };
  if (e.statusCode === 400) return typed('invalidSyntax', 'the request is malformed');
  request.log.error({ err: error }, 'unhandled error on the SCIM surface');
  return INTERNAL;
}

/** The RFC 7644 §3.12 error document (also a Bulk operation's `response`). */
export function errorDocument(error: ScimWireError) {
  return {
    schemas: [ERROR_URN],
    status: String(error.status),
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: error.detail,
  };
}

export function sendScimError(reply: FastifyReply, error: ScimWireError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="scim"');
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  else if (error.status === 503) reply.header('retry-after', '5');
  return reply.code(error.status).type(SCIM_CONTENT_TYPE).send(errorDocument(error));
}
