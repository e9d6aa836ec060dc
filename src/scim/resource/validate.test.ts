import { describe, expect, it } from 'vitest';
import { ScimError } from '../errors.ts';
import { scimRegistry } from '../schema/registry.ts';
import { userNameKey } from './normalize.ts';
import { toStoredResource } from './validate.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const create = (body: unknown) => toStoredResource(body, 'User', scimRegistry, { mode: 'create' });

function rejects(body: unknown, scimType: string, detail: string) {
  try {
    create(body);
    expect.unreachable();
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError);
    expect((error as ScimError).scimType).toBe(scimType);
    expect((error as ScimError).detail).toContain(detail);
  }
}

describe('toStoredResource', () => {
  it('canonicalises Entra ID’s create body: names, nulls, empty arrays, readOnly meta, extension', () => {
    const out = create({
      schemas: [USER, ENT],
      externalId: 'ab6490ee',
      UserName: 'Test_User@contoso.com',
      active: 'True',
      displayName: 'Barbara Jensen',
      emails: [{ Primary: true, type: 'work', value: 'Test_User@contoso.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Barbara Jensen', familyName: 'Jensen', givenName: null },
      roles: [],
      [ENT]: { department: null, manager: 'boss-id' },
      'urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User': { x: 1 },
    });
    expect(out).toEqual({
      schemas: [USER, ENT],
      externalId: 'ab6490ee',
      userName: 'Test_User@contoso.com',
      active: true,
      displayName: 'Barbara Jensen',
      emails: [{ primary: true, type: 'work', value: 'Test_User@contoso.com' }],
      name: { formatted: 'Barbara Jensen', familyName: 'Jensen' },
      [ENT]: { manager: { value: 'boss-id' } },
    });
  });

  it('ignores readOnly attributes (id, meta, groups) and keeps the write-only password for hashing', () => {
    const out = create({ schemas: [USER], id: 'forged', userName: 'a', groups: [{ value: 'g' }], password: 'pw' });
    expect(out).toEqual({ schemas: [USER], userName: 'a', password: 'pw' });
  });

  it.each([
    [{ schemas: [USER] }, 'invalidValue', 'userName is required'],
    [{ schemas: [USER], userName: 123 }, 'invalidValue', 'userName must be a string'],
    [{ schemas: [USER], userName: 'a', active: {} }, 'invalidValue', 'active must be true or false'],
    [{ schemas: [USER], userName: 'a', emails: 'x' }, 'invalidValue', 'emails must be an array'],
    [{ schemas: ['urn:other'], userName: 'a' }, 'invalidValue', 'schemas must include'],
    [{ schemas: [USER], userName: 'a', bogus: 1 }, 'invalidValue', 'bogus is not an attribute'],
    [{ schemas: [USER], userName: 'a', name: { nope: 'x' } }, 'invalidValue', 'name.nope'],
    [{ schemas: [USER], userName: 'a\u0000b' }, 'invalidValue', 'NUL'],
    [{ schemas: [USER], userName: 'a\ud800' }, 'invalidValue', 'lone surrogate'],
    [{ schemas: [USER], userName: 'adm\u202Eni' }, 'invalidValue', 'invisible'],
    [{ schemas: [USER], userName: 'a\u200Bb' }, 'invalidValue', 'invisible'],
    [{ schemas: [USER], userName: 'x'.repeat(257) }, 'invalidValue', 'longer than 256'],
    [{ schemas: [USER], userName: 'a', displayName: 'x'.repeat(1025) }, 'invalidValue', 'longer than 1024'],
    [
      { schemas: [USER], userName: 'a', emails: Array.from({ length: 51 }, (_, i) => ({ value: `${i}@x` })) },
      'invalidValue',
      'more than 50',
    ],
    [
      {
        schemas: [USER],
        userName: 'a',
        emails: [
          { value: 'a', primary: true },
          { value: 'b', primary: true },
        ],
      },
      'invalidValue',
      'more than one primary',
    ],
    [[], 'invalidSyntax', 'JSON object'],
  ])('rejects %j', (body, scimType, detail) => {
    rejects(body, scimType, detail);
  });

  it('keeps valid Unicode byte-identical', () => {
    const names = {
      userName: 'émile@例え.jp',
      displayName: '😀 Ünïcødé',
      name: { familyName: 'عربي', givenName: 'e\u0301' },
    };
    expect(create({ schemas: [USER], ...names })).toMatchObject(names);
  });
});

describe('userNameKey', () => {
  it.each([
    ['bob@x.com', 'Bob@X.COM', true],
    ['bob@x.com', 'ｂｏｂ@x.com', true],
    ['k', '\u212A', true],
    ['\u00e9', 'e\u0301', true],
    ['\u01C5', '\u01C6', true],
    ['i', '\u0130', false],
    ['bob', 'bob ', false],
  ])('%s vs %s collide: %s', (a, b, expected) => {
    expect(userNameKey(a) === userNameKey(b)).toBe(expected);
  });
});
