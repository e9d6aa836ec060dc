// Failed authentications at a tenant's SCIM URL, counted per minute and reason, so the tenant's admin can see a
// failed "Test Connection" in the provisioning log. Counting is in memory and bounded; nothing of the token is kept.
import { isUuid, newId } from '../../lib/ids.ts';
import type { ScimLogEntry } from './records.ts';

/**
 * Why the attempt failed, as the tenant's admin may learn it: no credential; a credential that is not a valid SCIM
 * token for this URL (unknown, malformed, revoked, expired, another tenant's, the operator's — all alike, so the log
 * is no oracle for other tenants' tokens, ADR 0013); or this tenant's own admin token pasted in the IdP.
 */
export type AuthFailureReason = 'missing' | 'invalid' | 'admin_token';

export interface AuthFailureWindow {
  readonly tenantId: string;
  /** Start of the minute, epoch milliseconds. */
  readonly minute: number;
  readonly reason: AuthFailureReason;
  count: number;
}

/** Open windows across all tenants at most: a flood of distinct (fake) tenants cannot grow memory or writes. */
export const DEFAULT_MAX_WINDOWS = 1000;

export class AuthFailureTally {
  private readonly windows = new Map<string, AuthFailureWindow>();
  /** Attempts not counted because every window was taken (reported with the next write). */
  dropped = 0;

  constructor(private readonly maxWindows = DEFAULT_MAX_WINDOWS) {}

  /** Counts one failed attempt; an id that cannot be a tenant's is not counted at all. */
  note(tenantId: string, reason: AuthFailureReason, at: Date): void {
    if (!isUuid(tenantId)) return;
    const minute = Math.floor(at.getTime() / 60_000) * 60_000;
    const key = `${tenantId}|${minute}|${reason}`;
    const open = this.windows.get(key);
    if (open) {
      open.count++;
      return;
    }
    if (this.windows.size >= this.maxWindows) {
      this.dropped++;
      return;
    }
    this.windows.set(key, { tenantId, minute, reason, count: 1 });
  }

  get size(): number {
    return this.windows.size;
  }

  /** Removes and returns the windows whose minute ended before `now`, or every window with `all`. */
  take(now: Date, all: boolean): AuthFailureWindow[] {
    const current = Math.floor(now.getTime() / 60_000) * 60_000;
    const out: AuthFailureWindow[] = [];
    for (const [key, window] of this.windows) {
      if (all || window.minute < current) {
        out.push(window);
        this.windows.delete(key);
      }
    }
    return out;
  }
}

/** One provisioning log entry per window: who, when, why and how often — never a token, a header or a path typed. */
export function authFailureEntry(window: AuthFailureWindow): ScimLogEntry {
  return {
    id: newId(),
    tenantId: window.tenantId,
    at: new Date(window.minute).toISOString(),
    tokenId: null,
    method: '*',
    path: `/${window.tenantId}/api/scim/v2`,
    operation: 'authenticate',
    resourceType: null,
    resourceId: null,
    status: 401,
    scimType: null,
    durationMs: 0,
    summary: { error: 'authentication failed', reason: window.reason, count: window.count },
  };
}
