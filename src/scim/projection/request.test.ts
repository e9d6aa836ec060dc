import { describe, expect, it } from 'vitest';
import { errorOf } from '../../../test/support/scim-error.ts';
import { scimRegistry } from '../schema/registry.ts';
import { includes, keepsStoredShape, projectionFrom, shaper } from './request.ts';

const from = (type: 'User' | 'Group', source: Record<string, unknown>) => projectionFrom(type, source, scimRegistry);

describe('a request projection', () => {
  it('reads both parameters from a query string or a SearchRequest array', () => {
    expect(from('User', { attributes: 'userName,name.givenName' }).attributes).toEqual([
      expect.objectContaining({ attribute: 'userName' }),
      expect.objectContaining({ attribute: 'name', subAttribute: 'givenName' }),
    ]);
    expect(from('Group', { excludedAttributes: ['members'] }).excludedAttributes).toEqual([
      expect.objectContaining({ attribute: 'members' }),
    ]);
    expect(from('User', { attributes: '' })).toEqual({ attributes: undefined, excludedAttributes: undefined });
  });

  it('refuses a list that is not text as invalidValue', () => {
    const error = errorOf(() => from('User', { attributes: { userName: true } }));
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toBe('attributes must be a comma-separated list of attribute names');
  });

  it('says whether a computed attribute is in the response', () => {
    expect(includes(from('Group', {}), 'members')).toBe(true);
    expect(includes(from('Group', { excludedAttributes: 'members' }), 'members')).toBe(false);
    expect(includes(from('Group', { excludedAttributes: 'members.display' }), 'members')).toBe(true);
    expect(includes(from('Group', { attributes: 'displayName' }), 'members')).toBe(false);
    expect(includes(from('Group', { attributes: 'MEMBERS' }), 'members')).toBe(true);
  });

  it('keeps the stored shape only when nothing but the computed attribute is excluded', () => {
    const keeps = (source: Record<string, unknown>) =>
      keepsStoredShape('Group', 'members', from('Group', source), scimRegistry);
    expect(keeps({})).toBe(true);
    expect(keeps({ excludedAttributes: 'members' })).toBe(true);
    expect(keeps({ excludedAttributes: 'externalId' })).toBe(false);
    expect(keeps({ attributes: 'displayName' })).toBe(false);
  });

  it('shapes rendered resources', () => {
    const shape = shaper('User', from('User', { attributes: 'userName' }), scimRegistry);
    const shaped = shape({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: '1',
      userName: 'a',
      title: 't',
    });
    expect(shaped).toMatchObject({ id: '1', userName: 'a' });
    expect(shaped).not.toHaveProperty('title');
  });
});
