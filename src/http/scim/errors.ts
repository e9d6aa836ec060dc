// Every failure on the SCIM surface as an RFC 7644 §3.12 error: application/scim+json, status as a string.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import { ScimError, scimErrors } from '../../scim/errors.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function sendScimError(reply: FastifyReply, error: ScimError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="scim"');
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  else if (error.status === 503) reply.header('retry-after', '5');
  return reply
    .code(error.status)
    .type(SCIM_CONTENT_TYPE)
    .send({
      schemas: [ERROR_URN],
      status: String(error.status),
      ...(error.scimType ? { scimType: error.scimType } : {}),
      detail: error.detail,
    });
}

interface FastifyErrorLike {
  code?: string;
  statusCode?: number;
}

/** Maps anything thrown while serving SCIM to a ScimError; unknown errors become a logged, generic 500. */
export function toScimError(
  error: unknown,
  request: FastifyRequest,
  isStoreUnavailable: (e: unknown) => boolean,
): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof DomainError) {
    switch (error.code) {
      case 'auth.missing':
      case 'auth.invalid':
      case 'auth.wrong_kind':
        // Every authentication failure looks the same: nothing tells a caller which part was wrong.
        return new ScimError(401, 'a valid SCIM bearer token is required');
      case 'store.unavailable':
        return new ScimError(503, 'the service is temporarily unavailable; retry later');
      case 'validation.failed':
        return scimErrors.invalidValue(error.message);
      default:
        return new ScimError(400, error.message);
    }
  }
  if (isStoreUnavailable(error)) {
    request.log.warn({ err: { code: (error as FastifyErrorLike).code } }, 'store unavailable');
    return new ScimError(503, 'the service is temporarily unavailable; retry later');
  }
  const e = error as FastifyErrorLike;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return scimErrors.payloadTooLarge('the request body is larger than the server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ScimError(415, 'send the body as application/scim+json or application/json in UTF-8');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return scimErrors.invalidSyntax('the request body is not valid JSON');
  }
  if (e.statusCode === 413) return scimErrors.payloadTooLarge('the request body is larger than the server accepts');
  if (e.statusCode === 415)
    return new ScimError(415, 'send the body as application/scim+json or application/json in UTF-8');
  if (e.statusCode === 400) return scimErrors.invalidSyntax('the request is malformed');
  request.log.error({ err: error }, 'unhandled error on the SCIM surface');
  return new ScimError(500, 'an unexpected error occurred; it was logged with the request id');
}
