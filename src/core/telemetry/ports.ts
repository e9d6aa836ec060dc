// What Roster reports to operators' metrics (ADR 0033), as a port: the core, the store and the HTTP surfaces call
// it with bounded label values, and only the adapter (src/telemetry) knows the metrics library.

/** The surfaces a request is counted under: fixed names, never a URL, so the series stay few. */
export type RouteClass = 'scim' | 'admin' | 'signin' | 'oidc' | 'health' | 'metrics' | 'docs' | 'other';

export interface RequestSample {
  readonly routeClass: RouteClass;
  readonly method: string;
  readonly status: number;
  readonly seconds: number;
  /** The authenticated tenant, when the tenant label is switched on (ROSTER_METRICS_TENANT_LABEL); never a URL's. */
  readonly tenantId?: string | undefined;
}

/** Where a request was refused for its rate: the bucket's kind, never its key. */
export type RateLimitScope = 'scim_token' | 'scim_tenant' | 'auth_failures' | 'signin_address' | 'signin_tenant';

export interface Telemetry {
  request(sample: RequestSample): void;
  /** One SCIM request: its operation (create, replace, patch, …), resource type, and `success` or what failed. */
  scimOperation(operation: string, resourceType: string, outcome: string): void;
  /** A refused credential: at the SCIM surface or the management API, with the reason (missing, invalid, …). */
  authFailure(surface: 'scim' | 'admin' | 'metrics', reason: string): void;
  rateLimited(scope: RateLimitScope): void;
  /** A finished upstream sign-in: signed in (how: bound, linked, provisioned) or refused (the audit reason). */
  signIn(outcome: 'signed_in' | 'refused', reason: string): void;
  /** One webhook send: `success`, or the failure's class (http_4xx, http_5xx, timeout, …), and how long it took. */
  webhookDelivery(outcome: string, seconds: number): void;
  /** SQLite group commit: how many write transactions one COMMIT carried. */
  groupCommit(size: number): void;
}

/** Reports nothing: the default where no metrics are wanted (tools, tests of other things). */
export const NO_TELEMETRY: Telemetry = {
  request() {},
  scimOperation() {},
  authFailure() {},
  rateLimited() {},
  signIn() {},
  webhookDelivery() {},
  groupCommit() {},
};
