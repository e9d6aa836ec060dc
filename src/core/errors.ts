// Domain errors: a stable code per failure; each surface maps codes to its wire format in one exhaustive switch.

export type DomainErrorCode =
  | 'auth.missing'
  | 'auth.invalid'
  | 'auth.wrong_kind'
  | 'auth.insufficient_scope'
  | 'validation.failed'
  // Sign-in (src/oidc, src/http/signin): the browser's interaction cannot continue.
  | 'signin.interaction_expired'
  | 'signin.interaction_mismatch'
  | 'tenant.not_found'
  | 'admin_token.not_found'
  | 'sso.not_found'
  | 'sso.scheme_taken'
  | 'sso.has_scim_tokens'
  | 'scim_token.not_found'
  | 'scim_token.provider_unknown'
  | 'audit.cursor_invalid'
  | 'client.not_found'
  // Roles (src/core/roles, ADR 0032)
  | 'role.not_found'
  | 'role.key_taken'
  | 'role.in_use'
  | 'role_mapping.not_found'
  | 'role_mapping.exists'
  | 'store.unavailable'
  // The event feed (src/core/events)
  | 'events.cursor_invalid'
  | 'events.cursor_expired'
  // Webhooks (src/core/webhooks)
  | 'webhooks.not_found'
  | 'webhooks.url_refused'
  | 'webhooks.delivery_not_found'
  | 'webhooks.cursor_invalid'
  // The directory API (src/core/directory)
  | 'directory.cursor_invalid'
  | 'directory.not_found'
  // Setup links and test sign-ins (src/core/setup, ADR 0029)
  | 'setup_link.not_found'
  | 'setup_link.not_revocable'
  | 'test_signin.not_found'
  // SCIM use cases and the SCIM store (the engine's own failures are ScimErrors, src/scim/errors.ts)
  | 'scim.not_found'
  | 'scim.version_mismatch'
  | 'scim.uniqueness'
  | 'scim.cursor_invalid'
  | 'scim.cursor_expired'
  // Verified domains (src/core/domains)
  | 'domains.not_found'
  | 'domains.exists'
  | 'domains.taken'
  | 'domains.public_suffix'
  // Roster ID invitations (src/core/credentials, ADR 0040)
  | 'invitations.mail_not_configured'
  | 'invitations.sso_required'
  | 'invitations.not_found'
  | 'invitations.not_revocable';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly fields: readonly FieldProblem[];

  constructor(code: DomainErrorCode, message: string, fields: readonly FieldProblem[] = []) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.fields = fields;
  }
}

/** Tests an error by its code, never by its message: races and expected failures are recognised this way. */
export function hasCode<C extends DomainErrorCode>(error: unknown, code: C): error is DomainError & { code: C } {
  return error instanceof DomainError && error.code === code;
}

export function invalid(field: string, message: string): DomainError {
  return new DomainError('validation.failed', `${field}: ${message}`, [{ field, message }]);
}
