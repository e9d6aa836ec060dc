import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { DomainError } from '../../core/errors.ts';
import { ScimError, scimErrors } from '../../scim/errors.ts';
import { operationError, ScimSurfaceError, toScimWire } from './errors.ts';

function request() {
  const log = { error: vi.fn(), warn: vi.fn() };
  return { log, request: { log } as unknown as FastifyRequest };
}

const wire = (error: unknown, unavailable = false) => toScimWire(error, request().request, () => unavailable);

describe('the SCIM error mapping', () => {
  it.each([
    [scimErrors.invalidFilter('f'), { status: 400, scimType: 'invalidFilter', detail: 'f' }],
    [scimErrors.sensitive('s'), { status: 403, scimType: 'sensitive', detail: 's' }],
    [new ScimError('uniqueness', 'u'), { status: 409, scimType: 'uniqueness', detail: 'u' }],
    [new DomainError('scim.uniqueness', 'taken'), { status: 409, scimType: 'uniqueness', detail: 'taken' }],
    [new DomainError('scim.not_found', 'no such User'), { status: 404, detail: 'no such User' }],
    [new DomainError('scim.version_mismatch', 'changed'), { status: 412, detail: 'changed' }],
    [new DomainError('scim.cursor_invalid', 'c'), { status: 400, scimType: 'invalidCursor', detail: 'c' }],
    [new DomainError('scim.cursor_expired', 'e'), { status: 400, scimType: 'expiredCursor', detail: 'e' }],
    [new DomainError('validation.failed', 'v'), { status: 400, scimType: 'invalidValue', detail: 'v' }],
    [
      new DomainError('auth.wrong_kind', 'an admin token'),
      { status: 401, detail: 'a valid SCIM bearer token is required' },
    ],
    [
      new ScimSurfaceError('request.rate_limited', 'slow down', 7),
      { status: 429, detail: 'slow down', retryAfterSeconds: 7 },
    ],
    [new ScimSurfaceError('method.not_allowed', 'GET only'), { status: 405, detail: 'GET only' }],
    [
      Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }),
      { status: 413, detail: 'the request body is larger than the server accepts' },
    ],
  ])('%s → %j', (error, expected) => {
    expect(wire(error)).toEqual(expected);
  });

  it('answers a code of another API, or anything unknown, as a logged 500 that says nothing more', () => {
    for (const error of [new DomainError('sso.not_found', 'secret detail'), new TypeError('boom')]) {
      const { log, request: r } = request();
      expect(toScimWire(error, r, () => false)).toEqual({
        status: 500,
        detail: 'an unexpected error occurred; it was logged with the request id',
      });
      expect(log.error).toHaveBeenCalledOnce();
    }
  });

  it('answers an unavailable store as 503', () => {
    expect(wire(new Error('connection terminated'), true).status).toBe(503);
  });

  it('tells a Bulk operation about its own failures only', () => {
    expect(operationError(new DomainError('scim.version_mismatch', 'changed'))).toEqual({
      status: 412,
      detail: 'changed',
    });
    expect(operationError(scimErrors.noTarget('n'))).toEqual({ status: 400, scimType: 'noTarget', detail: 'n' });
    expect(operationError(new DomainError('store.unavailable', 'down'))).toBeUndefined();
    expect(operationError(new DomainError('auth.invalid', 'no'))).toBeUndefined();
    expect(operationError(new Error('bug'))).toBeUndefined();
  });

  it('has no default branch: every code is placed by name and the type system checks it', () => {
    const source = readFileSync(resolve(import.meta.dirname, 'errors.ts'), 'utf8');
    expect(source).not.toMatch(/\bdefault\s*:/);
    expect(source).toMatch(/function unreachable\(code: never\)/);
  });
});
