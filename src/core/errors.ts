// Domain errors: a stable code per failure; each surface maps codes to its wire format in one exhaustive switch.

export type DomainErrorCode =
  | 'auth.missing'
  | 'auth.invalid'
  | 'auth.wrong_kind'
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
  | 'store.unavailable';

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

export function invalid(field: string, message: string): DomainError {
  return new DomainError('validation.failed', `${field}: ${message}`, [{ field, message }]);
}
