import { describe, expect, it } from 'vitest';
import type { StoredUser } from '../core/scim/records.ts';
import { rememberReads, takeGrant, takeSubject } from './request-reads.ts';

const subject = { tenantId: 't', id: 'u-1' } as StoredUser;
const read = {
  token: { grantId: 'g-1', accountId: 'u-1' },
  grant: { clientId: 'app' },
  subject,
};

describe('what a request read with its token', () => {
  it('hands the grant and the subject out once, to the same request, and only when they are the ones asked for', () => {
    const request = {};
    rememberReads(request, read);
    expect(takeGrant({}, 'g-1')).toEqual({ found: false });
    expect(takeGrant(request, 'g-2')).toEqual({ found: false });
    expect(takeSubject(request, 'u-2')).toEqual({ found: false });
    expect(takeGrant(request, 'g-1')).toEqual({ found: true, payload: { clientId: 'app' } });
    expect(takeGrant(request, 'g-1')).toEqual({ found: false });
    expect(takeSubject(request, 'u-1')).toEqual({ found: true, user: subject });
    expect(takeSubject(request, 'u-1')).toEqual({ found: false });
  });

  it('answers a grant or subject the statement found missing as missing, and nothing outside a request', () => {
    const request = {};
    rememberReads(request, { token: { grantId: 'g-1', accountId: 'u-1' }, grant: undefined, subject: undefined });
    expect(takeGrant(request, 'g-1')).toEqual({ found: true, payload: undefined });
    expect(takeSubject(request, 'u-1')).toEqual({ found: true, user: undefined });
    rememberReads(undefined, read);
    expect(takeGrant(undefined, 'g-1')).toEqual({ found: false });
  });
});
