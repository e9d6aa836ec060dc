import { describe, expect, it } from 'vitest';
import type { ScimType } from '../../scim/errors.ts';
import { explainScimFailure } from './explain.ts';

// Every scimType, checked by the compiler: a new one fails to compile here until it has an expected sentence.
const EXPECTED: Record<ScimType, string> = {
  invalidFilter: 'the filter is not supported: unknown attribute "nickName"',
  tooMany: 'the request would return too many results: narrow the filter',
  uniqueness: 'userName already exists',
  mutability: 'the request tries to change an attribute that cannot be changed: id is readOnly',
  invalidSyntax: 'the request body is not a valid SCIM message: body is not JSON',
  invalidPath: 'the PATCH path is not valid: emails[type eq',
  noTarget: 'the PATCH path matched nothing to change: no member matches',
  invalidValue: 'a value is invalid or a required attribute is missing: userName is required',
  invalidVers: 'the version sent with the request does not match the stored one',
  sensitive: 'the request filtered on a secret attribute (password), which is never allowed',
  invalidCursor: 'the paging cursor is not valid for this listing',
  expiredCursor: 'the paging cursor has expired: the listing has to start again',
};
const DETAILS: Partial<Record<ScimType, string>> = {
  invalidFilter: 'unknown attribute "nickName"',
  uniqueness: 'userName is already in use in this tenant',
  mutability: 'id is readOnly',
  invalidSyntax: 'body is not JSON',
  invalidPath: 'emails[type eq',
  noTarget: 'no member matches',
  invalidValue: 'userName is required',
};

describe('explainScimFailure', () => {
  it('says nothing about a success', () => {
    expect(explainScimFailure({ status: 201, operation: 'create', resource: 'User' })).toBeNull();
    expect(explainScimFailure({ status: 204, operation: 'delete', resource: 'Group' })).toBeNull();
  });

  it.each(Object.entries(EXPECTED))('explains scimType %s', (scimType, sentence) => {
    const status = scimType === 'uniqueness' ? 409 : scimType === 'sensitive' ? 403 : 400;
    const detail = DETAILS[scimType as ScimType] ?? 'ignored detail';
    expect(explainScimFailure({ status, scimType, detail, operation: 'create', resource: 'User' })).toBe(sentence);
  });

  it('names the group, not the userName, for a taken group displayName', () => {
    expect(explainScimFailure({ status: 409, scimType: 'uniqueness', resource: 'Group' })).toBe(
      'a group with this displayName already exists',
    );
  });

  it('explains each failed-authentication reason the provisioning log records, and a 401 without one', () => {
    const auth = (reason?: string) => explainScimFailure({ status: 401, operation: 'authenticate', reason });
    expect(auth('missing')).toMatch(/^the request carried no token/);
    expect(auth('invalid')).toMatch(/^the token was revoked or is wrong/);
    expect(auth('admin_token')).toMatch(/^an admin token was entered as the Secret Token/);
    expect(auth('something new')).toMatch(/^the token was revoked or is wrong/);
    expect(explainScimFailure({ status: 401, operation: 'get' })).toMatch(/^the token was revoked or is wrong/);
  });

  it('explains the failures without a scimType by status', () => {
    const by = (status: number, operation = 'get', resource = 'User') =>
      explainScimFailure({ status, operation, resource });
    expect(by(404)).toBe('the user does not exist in Roster (it was deleted, or never provisioned)');
    expect(by(404, 'patch', 'Group')).toBe('the group does not exist in Roster (it was deleted, or never provisioned)');
    expect(by(404, 'search')).toBe('there is no SCIM endpoint at this address: check the Tenant URL');
    expect(by(405)).toBe('this operation is not supported at this address');
    expect(by(412, 'replace')).toBe('the user changed since it was read (version mismatch); nothing was written');
    expect(by(413, 'bulk')).toBe('the request was larger than Roster accepts');
    expect(by(415, 'create')).toBe('the request body was not sent as JSON (application/scim+json)');
    expect(by(429)).toMatch(/^too many requests/);
    expect(by(503)).toMatch(/database was briefly unavailable/);
    expect(by(500)).toMatch(/^an internal error in Roster/);
    expect(explainScimFailure({ status: 400, detail: 'count must be a number' })).toBe(
      'the request was not valid: count must be a number',
    );
  });

  it('keeps the sentence short when the detail is long', () => {
    const text = explainScimFailure({ status: 400, scimType: 'invalidFilter', detail: 'x'.repeat(5000) })!;
    expect(text.length).toBeLessThan(260);
    expect(text.endsWith('…')).toBe(true);
  });
});
