// Token expiry as given to the admin API: optional, an RFC 3339 date-time in the future.
import { invalid } from '../errors.ts';

export function checkExpiry(expiresAt: string | null | undefined, now: Date): string | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  const at = Date.parse(expiresAt);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(expiresAt) || Number.isNaN(at)) {
    throw invalid('expiresAt', 'must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z');
  }
  if (at <= now.getTime()) throw invalid('expiresAt', 'must be in the future');
  return new Date(at).toISOString();
}

/** True from the expiry instant on: a token is refused on the very first request at or after it. */
export function hasExpired(expiresAt: string | null, now: Date): boolean {
  return expiresAt !== null && Date.parse(expiresAt) <= now.getTime();
}
