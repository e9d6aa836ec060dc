// Versions as ETags (RFC 7644 §3.14): weak validators W/"<version>", checked on If-Match / If-None-Match.
import { scimErrors } from '../../scim/errors.ts';

export function etagOf(version: number): string {
  return `W/"${version}"`;
}

function matches(header: string, version: number): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((tag) => tag === '*' || tag.replace(/^W\//, '') === `"${version}"`);
}

/** RFC 7232 §3.1: a failing If-Match answers 412 and nothing is written. */
export function checkIfMatch(header: string | undefined, version: number): void {
  if (header !== undefined && !matches(header, version)) {
    throw scimErrors.preconditionFailed('the resource has changed since the version named in If-Match');
  }
}

/** RFC 7232 §3.2: GET with a matching If-None-Match answers 304. */
export function notModified(header: string | undefined, version: number): boolean {
  return header !== undefined && matches(header, version);
}
