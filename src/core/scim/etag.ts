// Versions as ETags (RFC 7644 §3.14) and the tenant-scoped reads that precede a response or a write.
import { DomainError } from '../errors.ts';
import type { RowLock } from './ports.ts';

export function etagOf(version: number): string {
  return `W/"${version}"`;
}

function matches(header: string, version: number): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((tag) => tag === '*' || tag.replace(/^W\//, '') === `"${version}"`);
}

/** Whether a write with this If-Match (absent: none) may go ahead on `version`. */
export function ifMatchHolds(header: string | undefined, version: number): boolean {
  return header === undefined || matches(header, version);
}

/** RFC 7232 §3.1: a failing If-Match answers 412 and nothing is written. */
export function checkIfMatch(header: string | undefined, version: number): void {
  if (header !== undefined && !matches(header, version)) {
    throw new DomainError('scim.version_mismatch', 'the resource has changed since the version named in If-Match');
  }
}

/** RFC 7232 §3.2: GET with a matching If-None-Match answers 304. */
export function notModified(header: string | undefined, version: number): boolean {
  return header !== undefined && matches(header, version);
}

/** A resource of the caller's tenant, or the 404 `missing` gives. */
export async function existing<T>(
  repository: { get(tenantId: string, id: string): Promise<T | undefined> },
  tenantId: string,
  id: string,
  missing: () => Error,
): Promise<T> {
  const found = await repository.get(tenantId, id);
  if (found === undefined) throw missing();
  return found;
}

/**
 * The start of every write to an existing resource: read it under a row lock, 404 when absent, 412 when the
 * client's If-Match names another version. A delete takes the exclusive lock (see RowLock).
 */
export async function currentForWrite<T extends { readonly version: number }>(
  repository: { get(tenantId: string, id: string, options: { lock: RowLock }): Promise<T | undefined> },
  tenantId: string,
  id: string,
  ifMatch: string | undefined,
  missing: () => Error,
  lock: RowLock = 'update',
): Promise<T> {
  const current = await repository.get(tenantId, id, { lock });
  if (!current) throw missing();
  checkIfMatch(ifMatch, current.version);
  return current;
}
