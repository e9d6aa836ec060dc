import { describe, expect, it } from 'vitest';
import { scimRegistry } from '../schema/registry.ts';
import { parseAttributeList, project } from './project.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = {
  schemas: [USER, ENT],
  id: 'u1',
  userName: 'bjensen',
  displayName: 'Babs',
  password: 'never',
  name: { givenName: 'B', familyName: 'J' },
  emails: [{ value: 'a@b.c', type: 'work', primary: true }],
  groups: [{ value: 'g1', display: 'Eng' }],
  [ENT]: { employeeNumber: '7', department: 'R&D' },
  meta: { resourceType: 'User', location: 'https://x/Users/u1', version: 'W/"1"' },
};
const list = (text: string) => parseAttributeList(text, 'User', scimRegistry);

describe('project', () => {
  it('returns default attributes but never the password', () => {
    const out = project(user, 'User', scimRegistry);
    const { password: _p, ...expected } = user;
    expect(out).toEqual(expected);
  });

  it('keeps only requested attributes plus those always returned (id, schemas)', () => {
    expect(project(user, 'User', scimRegistry, { attributes: list('userName,emails.value') })).toEqual({
      schemas: user.schemas,
      id: 'u1',
      userName: 'bjensen',
      emails: [{ value: 'a@b.c' }],
    });
    expect(project(user, 'User', scimRegistry, { attributes: list(`${ENT}:employeeNumber`) })).toEqual({
      schemas: user.schemas,
      id: 'u1',
      [ENT]: { employeeNumber: '7' },
    });
  });

  it('drops excluded attributes and sub-attributes, but never id', () => {
    const out = project(user, 'User', scimRegistry, { excludedAttributes: list('groups,name.familyName,id,meta') });
    expect(out.groups).toBeUndefined();
    expect(out.meta).toBeUndefined();
    expect(out.name).toEqual({ givenName: 'B' });
    expect(out.id).toBe('u1');
  });

  it('parses attribute lists case-insensitively, ignores unknown names, refuses malformed ones', () => {
    expect(list('USERNAME, Name.GivenName, nothing')).toEqual([
      { schema: USER, attribute: 'userName' },
      { schema: USER, attribute: 'name', subAttribute: 'givenName' },
    ]);
    expect(() => list('__proto__')).toThrow();
    expect(() => list('a;b')).toThrow();
  });
});
