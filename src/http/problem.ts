// RFC 9457 problem+json for the operator and admin APIs: one exhaustive mapping from error codes to statuses.
import type { FastifyReply } from 'fastify';
import type { DomainErrorCode, FieldProblem } from '../core/errors.ts';

export const HTTP_ERROR_CODES = [
  'request.malformed_json',
  'request.too_large',
  'request.unsupported_media_type',
  'route.not_found',
  'internal',
] as const;

export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

export type ProblemCode = DomainErrorCode | HttpErrorCode;

const TITLES: Record<ProblemCode, { status: number; title: string }> = {
  'auth.missing': { status: 401, title: 'Authentication required' },
  'auth.invalid': { status: 401, title: 'Invalid token' },
  'auth.wrong_kind': { status: 403, title: 'Token not allowed here' },
  'auth.insufficient_scope': { status: 403, title: 'Token scope too narrow' },
  'validation.failed': { status: 400, title: 'Invalid request' },
  'signin.interaction_expired': { status: 400, title: 'Sign-in expired' },
  'signin.interaction_mismatch': { status: 400, title: 'Sign-in opened in another browser' },
  'tenant.not_found': { status: 404, title: 'Tenant not found' },
  'admin_token.not_found': { status: 404, title: 'Admin token not found' },
  'sso.not_found': { status: 404, title: 'SSO provider not found' },
  'client.not_found': { status: 404, title: 'Application not found' },
  'role.not_found': { status: 404, title: 'Role not found' },
  'role.key_taken': { status: 409, title: 'Role key already in use' },
  'role.in_use': { status: 409, title: 'Role still in use' },
  'role_mapping.not_found': { status: 404, title: 'Role mapping not found' },
  'role_mapping.exists': { status: 409, title: 'Role mapping already exists' },
  'sso.scheme_taken': { status: 409, title: 'SSO provider scheme already in use' },
  'sso.has_scim_tokens': { status: 409, title: 'SSO provider still has SCIM tokens' },
  'scim_token.not_found': { status: 404, title: 'SCIM token not found' },
  'scim_token.provider_unknown': { status: 422, title: 'Unknown SSO provider' },
  'audit.cursor_invalid': { status: 400, title: 'Invalid cursor' },
  'store.unavailable': { status: 503, title: 'Temporarily unavailable' },
  'events.cursor_invalid': { status: 400, title: 'Invalid cursor' },
  'events.cursor_expired': { status: 410, title: 'Cursor past retention' },
  'webhooks.not_found': { status: 404, title: 'Webhook not found' },
  'webhooks.url_refused': { status: 400, title: 'Webhook URL refused' },
  'webhooks.delivery_not_found': { status: 404, title: 'Delivery not found' },
  'webhooks.cursor_invalid': { status: 400, title: 'Invalid cursor' },
  'directory.cursor_invalid': { status: 400, title: 'Invalid cursor' },
  'directory.not_found': { status: 404, title: 'Directory resource not found' },
  'setup_link.not_found': { status: 404, title: 'Setup link not found' },
  'setup_link.not_revocable': { status: 409, title: 'Setup link already spent' },
  'test_signin.not_found': { status: 404, title: 'Test sign-in not found' },
  'domains.not_found': { status: 404, title: 'Domain not found' },
  'domains.exists': { status: 409, title: 'Domain already claimed' },
  'domains.taken': { status: 409, title: 'Domain verified by another tenant' },
  'domains.public_suffix': { status: 400, title: 'Public suffix refused' },
  'invitations.mail_not_configured': { status: 409, title: 'Mail is not configured' },
  'invitations.sso_required': { status: 409, title: 'SSO required for this person' },
  'invitations.not_found': { status: 404, title: 'Invitation not found' },
  'invitations.not_revocable': { status: 409, title: 'Invitation already spent' },
  // The SCIM use cases' codes: the SCIM surface sends them as SCIM errors (src/http/scim/errors.ts); here for the
  // day an admin route calls a SCIM use case.
  'scim.not_found': { status: 404, title: 'SCIM resource not found' },
  'scim.version_mismatch': { status: 412, title: 'Version mismatch' },
  'scim.uniqueness': { status: 409, title: 'Already exists' },
  'scim.cursor_invalid': { status: 400, title: 'Invalid cursor' },
  'scim.cursor_expired': { status: 400, title: 'Expired cursor' },
  'request.malformed_json': { status: 400, title: 'Malformed JSON' },
  'request.too_large': { status: 413, title: 'Request body too large' },
  'request.unsupported_media_type': { status: 415, title: 'Unsupported media type' },
  'route.not_found': { status: 404, title: 'Not found' },
  internal: { status: 500, title: 'Internal error' },
};

export const PROBLEM_CODES = Object.keys(TITLES) as ProblemCode[];

export function statusOf(code: ProblemCode): number {
  return TITLES[code].status;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail: string;
  readonly errors?: readonly FieldProblem[];
}

export function problem(code: ProblemCode, detail: string, errors: readonly FieldProblem[] = []): Problem {
  const { status, title } = TITLES[code];
  return {
    type: `https://roster.dev/problems/${code.replace(/[._]/g, '-')}`,
    title,
    status,
    code,
    detail,
    ...(errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  if (body.status === 401) reply.header('www-authenticate', 'Bearer');
  if (body.status === 503) reply.header('retry-after', '5');
  return reply.code(body.status).type('application/problem+json').send(body);
}
