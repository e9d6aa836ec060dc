import { describe, expect, it } from 'vitest';
import type { StoredUser } from '../scim/records.ts';
import { entraIdentity } from './entra.ts';
import { type Candidate, type ResolutionFacts, resolveIdentity, type UpstreamIdentity } from './identity.ts';

const identity: UpstreamIdentity = {
  directory: 'tid-1',
  subject: 'oid-1',
  userName: 'ada@contoso.com',
  name: undefined,
  givenName: undefined,
  familyName: undefined,
  email: 'ada@contoso.com',
};

function user(id: string, overrides: Partial<StoredUser> = {}, active = true): StoredUser {
  return {
    tenantId: 't',
    id,
    data: { userName: `${id}@contoso.com`, active },
    version: 1,
    createdAt: '',
    lastModified: '',
    createdByToken: 'tok',
    provider: 'entra',
    passwordHash: null,
    ...overrides,
  };
}

const free = (u: StoredUser): Candidate => ({ user: u, bound: false });
const facts = (over: Partial<ResolutionFacts> = {}): ResolutionFacts => ({
  providerScheme: 'entra',
  autoProvisioning: false,
  boundUser: undefined,
  byExternalId: [],
  byUserName: undefined,
  ...over,
});

describe('resolveIdentity', () => {
  it.each<[string, ResolutionFacts, ReturnType<typeof resolveIdentity>]>([
    [
      'an existing binding wins over everything',
      facts({ boundUser: user('a'), byUserName: free(user('b')) }),
      { kind: 'bound', userId: 'a' },
    ],
    [
      'a bound but deactivated subject is refused',
      facts({ boundUser: user('a', {}, false) }),
      { kind: 'reject', reason: 'subject_inactive', userId: 'a' },
    ],
    [
      'externalId = oid links',
      facts({ byExternalId: [free(user('a'))] }),
      { kind: 'link', userId: 'a', rule: 'externalId' },
    ],
    [
      'externalId is preferred to userName',
      facts({ byExternalId: [free(user('a'))], byUserName: free(user('b')) }),
      { kind: 'link', userId: 'a', rule: 'externalId' },
    ],
    [
      'two subjects with the oid as externalId are ambiguous',
      facts({ byExternalId: [free(user('a')), free(user('b'))] }),
      { kind: 'reject', reason: 'ambiguous_external_id' },
    ],
    [
      'externalId of another provider does not count',
      facts({ byExternalId: [free(user('a', { provider: 'okta' }))] }),
      { kind: 'reject', reason: 'no_subject' },
    ],
    ['userName = UPN links', facts({ byUserName: free(user('b')) }), { kind: 'link', userId: 'b', rule: 'userName' }],
    [
      'a UPN bound to another oid is a conflict',
      facts({ byUserName: { user: user('b'), bound: true } }),
      { kind: 'reject', reason: 'identity_conflict', userId: 'b' },
    ],
    [
      'a UPN owned by another provider is refused, not twinned',
      facts({ autoProvisioning: true, byUserName: free(user('b', { provider: 'okta' })) }),
      { kind: 'reject', reason: 'provisioned_by_other_provider' },
    ],
    [
      'a deactivated candidate is refused',
      facts({ byUserName: free(user('b', {}, false)) }),
      { kind: 'reject', reason: 'subject_inactive', userId: 'b' },
    ],
    ['no subject and no JIT is refused', facts(), { kind: 'reject', reason: 'no_subject' }],
    ['no subject with JIT provisions', facts({ autoProvisioning: true }), { kind: 'provision' }],
  ])('%s', (_name, input, expected) => {
    expect(resolveIdentity(identity, input)).toEqual(expected);
  });

  it('JIT needs a user name claim', () => {
    expect(resolveIdentity({ ...identity, userName: undefined }, facts({ autoProvisioning: true }))).toEqual({
      kind: 'reject',
      reason: 'no_username_claim',
    });
  });
});

describe('entraIdentity (the directory pin)', () => {
  const authority = 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0';
  const good = {
    iss: authority,
    tid: '72F988BF-86F1-41AF-91AB-2D7CD011DB47',
    oid: 'OID-1',
    preferred_username: 'ada@contoso.com',
  };
  it('accepts a token of the pinned directory, keyed on (tid, oid) in lower case', () => {
    expect(entraIdentity(authority, good)).toMatchObject({ directory: good.tid.toLowerCase(), subject: 'oid-1' });
  });
  it.each([
    ['another issuer', { ...good, iss: 'https://login.microsoftonline.com/other/v2.0' }, 'issuer_mismatch'],
    [
      'the v1 issuer',
      { ...good, iss: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/' },
      'issuer_mismatch',
    ],
    ['another tid', { ...good, tid: '00000000-0000-0000-0000-000000000000' }, 'directory_mismatch'],
    // S4: personal Microsoft accounts sign in under this fixed consumer tenant id.
    ['the MSA consumer tenant', { ...good, tid: '9188040d-6c67-4c5b-b112-36a304b66dad' }, 'directory_mismatch'],
    ['no tid', { ...good, tid: undefined }, 'directory_mismatch'],
    ['no oid', { ...good, oid: '' }, 'missing_oid'],
  ])('refuses %s', (_name, claims, refused) => {
    expect(entraIdentity(authority, claims)).toEqual({ refused });
  });
});
