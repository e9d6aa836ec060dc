// A failed SCIM request in words an IT admin understands: what went wrong and, where it helps, what to do. Pure;
// the provisioning log's entries carry it (GET /iam/v1/scim/logs, `explanation`), and so does the console.
import type { ScimType } from '../../scim/errors.ts';
import type { AuthFailureReason } from './auth-failures.ts';

export interface ScimFailure {
  readonly status: number;
  readonly scimType?: string | null | undefined;
  /** The error detail Roster sent (already free of secrets); quoted, shortened, where it says which value. */
  readonly detail?: string | null | undefined;
  /** create, get, search, replace, patch, delete, bulk, discovery, authenticate. */
  readonly operation?: string | null | undefined;
  /** User or Group, when known. */
  readonly resource?: string | null | undefined;
  /** A failed authentication's reason, as the provisioning log records it. */
  readonly reason?: string | null | undefined;
}

const MAX_DETAIL = 200;

function quoted(detail: string | null | undefined): string {
  const text = (detail ?? '').trim();
  if (text === '') return '';
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

/** "…: detail" when there is a detail, else nothing. */
const withDetail = (sentence: string, detail: string | null | undefined) => {
  const d = quoted(detail);
  return d ? `${sentence}: ${d}` : sentence;
};

const AUTH: Record<AuthFailureReason, string> = {
  missing: 'the request carried no token: enter the Secret Token in the provisioning settings',
  invalid: 'the token was revoked or is wrong (or expired): create a SCIM token and enter it as the Secret Token',
  admin_token:
    'an admin token was entered as the Secret Token: create a SCIM token for the provisioning settings instead',
};

function uniqueness(resource: string | null | undefined, detail: string | null | undefined): string {
  if (resource === 'Group') return 'a group with this displayName already exists';
  if (resource === 'User' || /userName/i.test(detail ?? '')) return 'userName already exists';
  return withDetail('the value is already used by another resource', detail);
}

const BY_SCIM_TYPE: Record<ScimType, (f: ScimFailure) => string> = {
  invalidFilter: (f) => withDetail('the filter is not supported', f.detail),
  tooMany: () => 'the request would return too many results: narrow the filter',
  uniqueness: (f) => uniqueness(f.resource, f.detail),
  mutability: (f) => withDetail('the request tries to change an attribute that cannot be changed', f.detail),
  invalidSyntax: (f) => withDetail('the request body is not a valid SCIM message', f.detail),
  invalidPath: (f) => withDetail('the PATCH path is not valid', f.detail),
  noTarget: (f) => withDetail('the PATCH path matched nothing to change', f.detail),
  invalidValue: (f) => withDetail('a value is invalid or a required attribute is missing', f.detail),
  invalidVers: () => 'the version sent with the request does not match the stored one',
  sensitive: () => 'the request filtered on a secret attribute (password), which is never allowed',
  invalidCursor: () => 'the paging cursor is not valid for this listing',
  expiredCursor: () => 'the paging cursor has expired: the listing has to start again',
};

const isScimType = (value: string): value is ScimType => Object.hasOwn(BY_SCIM_TYPE, value);

function thing(f: ScimFailure): string {
  if (f.resource === 'User') return 'user';
  if (f.resource === 'Group') return 'group';
  return 'resource';
}

function byStatus(f: ScimFailure): string {
  switch (f.status) {
    case 400:
      return withDetail('the request was not valid', f.detail);
    case 401:
      return AUTH.invalid;
    case 403:
      return withDetail('the request is not allowed', f.detail);
    case 404:
      return f.operation === 'get' || f.operation === 'replace' || f.operation === 'patch' || f.operation === 'delete'
        ? `the ${thing(f)} does not exist in Roster (it was deleted, or never provisioned)`
        : 'there is no SCIM endpoint at this address: check the Tenant URL';
    case 405:
      return 'this operation is not supported at this address';
    case 409:
      return uniqueness(f.resource, f.detail);
    case 412:
      return `the ${thing(f)} changed since it was read (version mismatch); nothing was written`;
    case 413:
      return 'the request was larger than Roster accepts';
    case 415:
      return 'the request body was not sent as JSON (application/scim+json)';
    case 429:
      return 'too many requests: Roster asked the identity provider to slow down and retry later';
    case 503:
      return "Roster's database was briefly unavailable; the identity provider retries";
    default:
      return f.status >= 500
        ? 'an internal error in Roster; the operator can find it in the server log'
        : withDetail(`the request failed with status ${f.status}`, f.detail);
  }
}

/** One short sentence for a failed request (status ≥ 400); null for a success. */
export function explainScimFailure(failure: ScimFailure): string | null {
  if (failure.status < 400) return null;
  if (failure.operation === 'authenticate' || failure.status === 401) {
    const reason = failure.reason ?? 'invalid';
    return Object.hasOwn(AUTH, reason) ? AUTH[reason as AuthFailureReason] : AUTH.invalid;
  }
  if (failure.scimType && isScimType(failure.scimType)) return BY_SCIM_TYPE[failure.scimType](failure);
  return byStatus(failure);
}
