import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScimError } from '../errors.ts';
import { attr } from '../schema/define.ts';
import { enterpriseUserSchema } from '../schema/enterprise-user.ts';
import { groupSchema } from '../schema/group.ts';
import { createRegistry, groupResourceType, scimRegistry } from '../schema/registry.ts';
import type { SchemaRegistry } from '../schema/types.ts';
import { userSchema } from '../schema/user.ts';
import { applyOperations, applyPatch } from './apply.ts';
import { toCanonicalOperations } from './dialect.ts';
import { parsePatchRequest } from './message.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ID = '2819c223-7f76-453a-919d-413861904646';

type Json = Record<string, unknown>;

const user = (): Json => ({
  schemas: [USER],
  id: ID,
  userName: 'bjensen@example.com',
  externalId: 'bjensen',
  displayName: 'Babs Jensen',
  active: true,
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
  meta: { resourceType: 'User', created: '2020-01-01T00:00:00Z' },
});
const noEmail = (): Json => {
  const { emails: _emails, ...rest } = user();
  return rest;
};
const group = (): Json => ({ schemas: [GROUP], displayName: 'Tour Guides' });

function run(ops: readonly object[], resource: Json = user(), type = 'User', registry = scimRegistry) {
  return applyPatch(resource, parsePatchRequest({ schemas: [PATCH], Operations: ops }), {
    resourceTypeId: type,
    registry,
    resourceId: ID,
  });
}

/** Runs and returns the error as data, asserting that the input was left exactly as it was. */
function failure(ops: readonly object[], resource: Json = user(), type = 'User', registry = scimRegistry) {
  const before = structuredClone(resource);
  try {
    run(ops, resource, type, registry);
  } catch (e) {
    expect(e).toBeInstanceOf(ScimError);
    expect(resource).toEqual(before);
    return { scimType: (e as ScimError).scimType, detail: (e as ScimError).detail };
  }
  throw new Error('expected a ScimError');
}

describe('Entra ID, default mode (capitalised ops, string booleans, one op per attribute)', () => {
  it.each([
    ['active "False"', { op: 'Replace', path: 'active', value: 'False' }, { active: false }, ['active']],
    ['active "TRUE"', { op: 'Replace', path: 'active', value: 'TRUE' }, { active: true }, []],
    ['displayName', { op: 'Replace', path: 'displayName', value: 'B' }, { displayName: 'B' }, ['displayName']],
    [
      'name.familyName',
      { op: 'Replace', path: 'name.familyName', value: 'Smith' },
      { name: { givenName: 'Barbara', familyName: 'Smith' } },
      ['name.familyName'],
    ],
    ['externalId', { op: 'Replace', path: 'externalId', value: 'b2' }, { externalId: 'b2' }, ['externalId']],
    [
      'work email by value filter',
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@example.com' },
      { emails: [{ value: 'new@example.com', type: 'work', primary: true }] },
      ['emails'],
    ],
    [
      'enterprise employeeNumber',
      { op: 'Replace', path: `${ENT}:employeeNumber`, value: '701984' },
      { schemas: [USER, ENT], [ENT]: { employeeNumber: '701984' } },
      [`${ENT}:employeeNumber`],
    ],
    ['single-valued Add', { op: 'Add', path: 'nickName', value: 'Babs' }, { nickName: 'Babs' }, ['nickName']],
    [
      'manager as a bare id',
      { op: 'Add', path: `${ENT}:manager`, value: 'boss' },
      { schemas: [USER, ENT], [ENT]: { manager: { value: 'boss' } } },
      [`${ENT}:manager.value`],
    ],
    ['clear with ""', { op: 'Replace', path: 'displayName', value: '' }, { displayName: undefined }, ['displayName']],
    ['clear with null', { op: 'Replace', path: 'externalId', value: null }, { externalId: undefined }, ['externalId']],
  ])('%s', (_name, op, expected, changed) => {
    const { next, changes } = run([op]);
    expect(next).toEqual(JSON.parse(JSON.stringify({ ...user(), ...expected })));
    expect(changes).toEqual({ changedAttributes: changed });
  });

  it.each(['Add', 'Replace'])('%s of emails[type eq "work"].value creates the work email when there is none', (op) => {
    const { next } = run([{ op, path: 'emails[type eq "work"].value', value: 'a@b.c' }], noEmail());
    expect(next.emails).toEqual([{ type: 'work', value: 'a@b.c' }]);
  });

  it('clears the manager with "" and drops the extension from schemas', () => {
    const managed = { ...user(), schemas: [USER, ENT], [ENT]: { manager: { value: 'boss' } } };
    const { next, changes } = run([{ op: 'Replace', path: `${ENT}:manager`, value: '' }], managed);
    expect(next).toEqual(user());
    expect(changes.changedAttributes).toEqual([`${ENT}:manager.value`]);
  });

  it('adds members (a re-added member stays single) and removes only the listed ones', () => {
    const ops = [
      {
        op: 'Add',
        path: 'members',
        value: [{ $ref: null, value: 'u1' }, { $ref: null, value: 'u2' }, { value: 'u1' }],
      },
      { op: 'Remove', path: 'members', value: [{ $ref: null, value: 'u2' }] },
    ];
    const { next, changes } = run(ops, group(), 'Group');
    expect(next).toEqual(group());
    expect(changes).toEqual({
      changedAttributes: ['members'],
      members: [
        { kind: 'add', members: [{ value: 'u1' }, { value: 'u2' }] },
        { kind: 'remove', values: ['u2'] },
      ],
    });
  });
});

describe('Entra ID with aadOptscim062020 (lower-case ops, booleans, path-less values keyed by path)', () => {
  it('expands a path-less replace into one operation per path', () => {
    const { next, changes } = run([
      {
        op: 'replace',
        value: {
          'name.givenName': 'Barb',
          [`${ENT}:employeeNumber`]: '42',
          active: false,
          'emails[type eq "work"].value': 'w@x.y',
        },
      },
    ]);
    expect(next).toEqual({
      ...user(),
      schemas: [USER, ENT],
      active: false,
      name: { givenName: 'Barb', familyName: 'Jensen' },
      emails: [{ value: 'w@x.y', type: 'work', primary: true }],
      [ENT]: { employeeNumber: '42' },
    });
    expect(changes.changedAttributes).toEqual(['active', 'name.givenName', 'emails', `${ENT}:employeeNumber`]);
  });

  it('removes a member by value filter', () => {
    expect(run([{ op: 'remove', path: 'members[value eq "u1"]' }], group(), 'Group').changes.members).toEqual([
      { kind: 'remove', values: ['u1'] },
    ]);
  });

  it('turns path-less string booleans into booleans too', () => {
    expect(run([{ op: 'Replace', value: { active: 'False' } }]).next.active).toBe(false);
  });
});

describe('extension objects', () => {
  it('adds by an object keyed by the URN, and clears all of it with null', () => {
    const added = run([{ op: 'add', value: { [ENT]: { department: 'R&D', manager: 'boss' } } }]).next;
    expect(added).toEqual({
      ...user(),
      schemas: [USER, ENT],
      [ENT]: { department: 'R&D', manager: { value: 'boss' } },
    });
    const { next, changes } = run([{ op: 'replace', value: { [ENT]: null } }], added);
    expect(next).toEqual(user());
    expect(changes.changedAttributes).toEqual([`${ENT}:department`, `${ENT}:manager.value`]);
  });
});

describe('Okta', () => {
  it('deactivates with a path-less replace', () => {
    expect(run([{ op: 'replace', value: { active: false } }]).next).toEqual({ ...user(), active: false });
  });

  it('renames a group with a value that repeats its own id and schemas', () => {
    const { next, changes } = run(
      [{ op: 'replace', value: { schemas: [GROUP], id: ID, displayName: 'Guides' } }],
      group(),
      'Group',
    );
    expect(next).toEqual({ schemas: [GROUP], displayName: 'Guides' });
    expect(changes).toEqual({ changedAttributes: ['displayName'] });
    // meta is echoed stale, groups empty: neither is a change.
    const echoed = { schemas: [GROUP], id: ID, meta: { resourceType: 'Group', version: 'W/"1"' }, displayName: 'G2' };
    expect(run([{ op: 'replace', value: echoed }], group(), 'Group').changes).toEqual({
      changedAttributes: ['displayName'],
    });
    expect(run([{ op: 'replace', value: { groups: [], title: 'T' } }]).changes).toEqual({
      changedAttributes: ['title'],
    });
    expect(failure([{ op: 'replace', value: { id: 'other', displayName: 'x' } }], group(), 'Group')).toEqual({
      scimType: 'mutability',
      detail: 'Operations[0]: id is readOnly',
    });
  });

  it('pushes members: add with display, remove by filter + add in one PATCH, full replace', () => {
    const deltas = (ops: object[]) => run(ops, group(), 'Group').changes.members;
    // members.display is readOnly in the Group schema: ignored like on POST (RFC 7644 §3.5.1).
    expect(deltas([{ op: 'add', path: 'members', value: [{ value: 'u1', display: 'Babs' }] }])).toEqual([
      { kind: 'add', members: [{ value: 'u1' }] },
    ]);
    expect(
      deltas([
        { op: 'remove', path: 'members[value eq "u1"]' },
        { op: 'add', path: 'members', value: [{ value: 'u2', display: 'x', type: 'user' }] },
      ]),
    ).toEqual([
      { kind: 'remove', values: ['u1'] },
      { kind: 'add', members: [{ value: 'u2', type: 'User' }] },
    ]);
    expect(deltas([{ op: 'replace', path: 'members', value: [{ value: 'u3' }] }])).toEqual([
      { kind: 'removeAll' },
      { kind: 'add', members: [{ value: 'u3' }] },
    ]);
    expect(deltas([{ op: 'replace', path: 'members', value: [] }])).toEqual([{ kind: 'removeAll' }]);
  });
});

describe('RFC 7644 §3.5.2 examples', () => {
  it('§3.5.2.1 add members to a group', () => {
    const value = [{ display: 'Babs Jensen', $ref: `https://example.com/v2/Users/${ID}`, value: ID }];
    expect(run([{ op: 'add', path: 'members', value }], group(), 'Group').changes.members).toEqual([
      { kind: 'add', members: [{ value: ID }] },
    ]);
  });

  it('§3.5.2.1 path-less add of emails and nickname', () => {
    const { next, changes } = run([
      { op: 'add', value: { emails: [{ value: 'babs@jensen.org', type: 'home' }], nickname: 'Babs' } },
    ]);
    expect(next.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ]);
    expect(next.nickName).toBe('Babs');
    expect(changes.changedAttributes).toEqual(['emails', 'nickName']);
  });

  it.each([
    ['one member', 'members[value eq "2819c223-7f76-453a-919d-413861904646"]', [{ kind: 'remove', values: [ID] }]],
    ['all members', 'members', [{ kind: 'removeAll' }]],
    ['an or of ids', 'members[value eq "a" or value eq "b"]', [{ kind: 'remove', values: ['a', 'b'] }]],
    [
      'another member filter (checked, canonical names)',
      'members[TYPE eq "Group"]',
      [
        {
          kind: 'removeWhere',
          filter: { kind: 'compare', attr: { attribute: 'type' }, op: 'eq', value: 'Group', offset: 0 },
        },
      ],
    ],
  ])('§3.5.2.2 remove %s', (_name, path, expected) => {
    expect(run([{ op: 'remove', path }], group(), 'Group').changes.members).toEqual(expected);
  });

  it('§3.5.2.2 remove emails by a complex filter', () => {
    const two = { ...user(), emails: [...(user().emails as object[]), { value: 'b@jensen.org', type: 'home' }] };
    expect(run([{ op: 'remove', path: 'emails[type eq "work" and value ew "example.com"]' }], two).next.emails).toEqual(
      [{ value: 'b@jensen.org', type: 'home' }],
    );
  });

  it('§3.5.2.2 remove and add members in one request', () => {
    const ops = [
      { op: 'remove', path: 'members[value eq "2819c223...919d-413861904646"]' },
      {
        op: 'add',
        path: 'members',
        value: [{ display: 'James Smith', $ref: 'https://example.com/v2/Users/08e1', value: '08e1' }],
      },
    ];
    expect(run(ops, group(), 'Group').changes.members).toEqual([
      { kind: 'remove', values: ['2819c223...919d-413861904646'] },
      { kind: 'add', members: [{ value: '08e1' }] },
    ]);
  });

  it('§3.5.2.3 replace a work address, then one of its sub-attributes', () => {
    const withAddress = {
      ...user(),
      addresses: [{ type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood' }],
    };
    const address = {
      type: 'work',
      streetAddress: '911 Universal City Plaza',
      locality: 'Hollywood',
      region: 'CA',
      postalCode: '91608',
      country: 'US',
      formatted: '911 Universal City Plaza\nHollywood, CA 91608 US',
      primary: true,
    };
    const replaced = run([{ op: 'replace', path: 'addresses[type eq "work"]', value: address }], withAddress).next;
    expect(replaced.addresses).toEqual([address]);
    const street = run(
      [{ op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '1010 Broadway Ave' }],
      replaced,
    ).next;
    expect(street.addresses).toEqual([{ ...address, streetAddress: '1010 Broadway Ave' }]);
  });

  it('§3.5.2.3 path-less replace of emails and nickName', () => {
    const emails = [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ];
    const { next } = run([{ op: 'replace', value: { emails, nickName: 'Babs' } }]);
    expect(next).toEqual({ ...user(), emails, nickName: 'Babs' });
  });

  it('§3.5.2.3 replace of a value filter matching nothing is noTarget', () => {
    expect(failure([{ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'h@x.y' } }])).toEqual({
      scimType: 'noTarget',
      detail: 'Operations[0]: no value of emails matches the filter',
    });
    expect(
      failure([{ op: 'replace', path: 'emails[type eq "home" and primary eq true].value', value: 'h@x.y' }]),
    ).toEqual({ scimType: 'noTarget', detail: 'Operations[0]: no value of emails matches the filter' });
  });

  it('§3.5.2.3 merges a complex value into the existing one', () => {
    expect(run([{ op: 'replace', path: 'name', value: { middleName: 'J' } }]).next.name).toEqual({
      givenName: 'Barbara',
      familyName: 'Jensen',
      middleName: 'J',
    });
  });

  it('removes sub-attributes, and a sub-attribute of every value', () => {
    expect(run([{ op: 'remove', path: 'name.givenName' }]).next.name).toEqual({ familyName: 'Jensen' });
    expect(run([{ op: 'remove', path: 'emails[type eq "work"].primary' }]).next.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work' },
    ]);
    expect(run([{ op: 'remove', path: 'emails.primary' }]).next.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work' },
    ]);
    expect(run([{ op: 'remove', path: 'emails[type eq "home"]' }]).changes.changedAttributes).toEqual([]);
  });
});

describe('multi-valued rules', () => {
  it('does not duplicate a re-added value, whatever its key order', () => {
    const { next, changes } = run([
      { op: 'add', path: 'emails', value: [{ primary: true, type: 'work', value: 'bjensen@example.com' }] },
    ]);
    expect(next).toEqual(user());
    expect(changes.changedAttributes).toEqual([]);
  });

  it.each([
    [
      'add of a new primary',
      [{ op: 'add', path: 'emails', value: [{ value: 'h@x.y', type: 'home', primary: true }] }],
      [
        { value: 'bjensen@example.com', type: 'work' },
        { value: 'h@x.y', type: 'home', primary: true },
      ],
    ],
    [
      'primary set through a filter',
      [
        { op: 'add', path: 'emails', value: [{ value: 'h@x.y', type: 'home' }] },
        { op: 'replace', path: 'emails[type eq "home"].primary', value: 'True' },
      ],
      [
        { value: 'bjensen@example.com', type: 'work' },
        { value: 'h@x.y', type: 'home', primary: true },
      ],
    ],
  ])('keeps one primary (RFC 7643 §2.4): %s', (_name, ops, emails) => {
    expect(run(ops).next.emails).toEqual(emails);
  });

  it('refuses two primaries in one value', () => {
    const emails = [
      { value: 'a@x.y', primary: true },
      { value: 'b@x.y', primary: true },
    ];
    expect(failure([{ op: 'replace', path: 'emails', value: emails }])).toEqual({
      scimType: 'invalidValue',
      detail: 'Operations[0]: emails has more than one primary value',
    });
  });

  it('needs a filter to write a sub-attribute of a multi-valued attribute', () => {
    expect(failure([{ op: 'replace', path: 'emails.value', value: 'x@y.z' }])).toEqual({
      scimType: 'invalidPath',
      detail: 'Operations[0]: emails.value: name the values with a filter, e.g. emails[type eq "work"]',
    });
  });
});

const immutableRegistry: SchemaRegistry = createRegistry({
  schemas: [
    {
      ...userSchema,
      attributes: [...userSchema.attributes, attr('badge', 'string', 'x', { mutability: 'immutable' })],
    },
    enterpriseUserSchema,
    groupSchema,
  ],
  resourceTypes: [
    { id: 'User', name: 'User', endpoint: '/Users', description: 'x', schema: USER, schemaExtensions: [] },
    groupResourceType,
  ],
});

const ACME = 'urn:example:params:scim:schemas:extension:acme:2.0:User';
/** The User type with a second extension whose `badge` is immutable and `site` required. */
const acmeRegistry: SchemaRegistry = createRegistry({
  schemas: [
    userSchema,
    enterpriseUserSchema,
    {
      id: ACME,
      name: 'Acme',
      description: 'x',
      attributes: [
        attr('badge', 'string', 'x', { mutability: 'immutable' }),
        attr('site', 'string', 'x', { required: true }),
        attr('floor', 'string', 'x'),
        attr('audit', 'string', 'x', { mutability: 'readOnly' }),
      ],
    },
    groupSchema,
  ],
  resourceTypes: [
    {
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'x',
      schema: USER,
      schemaExtensions: [
        { schema: ENT, required: false },
        { schema: ACME, required: false },
      ],
    },
    groupResourceType,
  ],
});

describe('a path naming an extension schema (RFC 7644 §3.5.2)', () => {
  const managed = (): Json => ({
    ...user(),
    schemas: [USER, ENT],
    [ENT]: { department: 'R&D', manager: { value: 'boss', displayName: 'The Boss' } },
  });

  it.each([
    ['Entra', 'Add'],
    ['Okta', 'add'],
  ])('%s add merges into the extension, creating it and its schemas entry when absent', (_idp, op) => {
    const created = run([{ op, path: ENT, value: { employeeNumber: '7', manager: 'boss' } }]);
    expect(created.next).toEqual({
      ...user(),
      schemas: [USER, ENT],
      [ENT]: { employeeNumber: '7', manager: { value: 'boss' } },
    });
    expect(created.changes.changedAttributes).toEqual([`${ENT}:employeeNumber`, `${ENT}:manager.value`]);
    const merged = run([{ op, path: ENT, value: { employeeNumber: '7' } }], managed());
    expect(merged.next[ENT]).toEqual({
      department: 'R&D',
      manager: { value: 'boss', displayName: 'The Boss' },
      employeeNumber: '7',
    });
  });

  it.each([
    ['Entra', 'Replace'],
    ['Okta', 'replace'],
  ])('%s replace sets the attributes given and leaves the others (complex replace)', (_idp, op) => {
    const { next, changes } = run(
      [{ op, path: ENT, value: { department: 'Ops', manager: { value: 'chief' } } }],
      managed(),
    );
    expect(next[ENT]).toEqual({ department: 'Ops', manager: { value: 'chief', displayName: 'The Boss' } });
    expect(next.schemas).toEqual([USER, ENT]);
    expect(changes.changedAttributes).toEqual([`${ENT}:department`, `${ENT}:manager.value`]);
  });

  it.each([
    ['Entra', 'Remove'],
    ['Okta', 'remove'],
  ])('%s remove deletes the whole extension and its URN from schemas', (_idp, op) => {
    const { next, changes } = run([{ op, path: ENT }], managed());
    expect(next).toEqual(user());
    expect(changes.changedAttributes).toEqual([
      `${ENT}:department`,
      `${ENT}:manager.value`,
      `${ENT}:manager.displayName`,
    ]);
    expect(run([{ op, path: ENT }]).changes).toEqual({ changedAttributes: [] });
  });

  it('matches the URN case-insensitively and clears the extension with null or ""', () => {
    expect(run([{ op: 'add', path: ENT.toUpperCase(), value: { Department: 'X' } }]).next[ENT]).toEqual({
      department: 'X',
    });
    expect(run([{ op: 'replace', path: ENT, value: null }], managed()).next).toEqual(user());
    expect(run([{ op: 'Replace', path: ENT, value: '' }], managed()).next).toEqual(user());
  });

  it('takes Entra string booleans and a bare manager id inside the value, like a path-less value', () => {
    expect(run([{ op: 'Replace', path: ENT, value: { manager: 'chief' } }], managed()).next[ENT]).toEqual({
      department: 'R&D',
      manager: { value: 'chief', displayName: 'The Boss' },
    });
  });

  it('addresses the extension attributes by their full URN path, sub-attributes included', () => {
    const added = run([{ op: 'add', path: `${ENT}:manager.value`, value: 'boss' }]).next;
    expect(added).toEqual({ ...user(), schemas: [USER, ENT], [ENT]: { manager: { value: 'boss' } } });
    expect(run([{ op: 'replace', path: `${ENT}:manager.value`, value: 'chief' }], added).next[ENT]).toEqual({
      manager: { value: 'chief' },
    });
    expect(run([{ op: 'remove', path: `${ENT}:manager.value` }], added).next).toEqual(user());
    expect(run([{ op: 'remove', path: `${ENT}:department` }], managed()).next[ENT]).toEqual({
      manager: { value: 'boss', displayName: 'The Boss' },
    });
  });

  it.each([
    [
      'a remove carrying attributes',
      { op: 'remove', path: ENT, value: { department: 'R&D' } },
      'invalidValue',
      `Operations[0]: remove of ${ENT} takes no value; name an attribute in the path`,
    ],
    [
      'a value that is not an object',
      { op: 'add', path: ENT, value: 'R&D' },
      'invalidValue',
      `Operations[0]: ${ENT} must be an object`,
    ],
    [
      'an unknown attribute inside',
      { op: 'add', path: ENT, value: { isAdmin: true } },
      'invalidPath',
      'Operations[0]: isAdmin is not an attribute of User',
    ],
    [
      'a URN-qualified name inside',
      { op: 'add', path: ENT, value: { [`${USER}:userName`]: 'x' } },
      'invalidPath',
      `Operations[0]: ${USER}:userName inside ${ENT}`,
    ],
    [
      'a readOnly sub-attribute inside',
      { op: 'replace', path: ENT, value: { 'manager.displayName': 'x' } },
      'mutability',
      `Operations[0]: ${ENT}:manager.displayName is readOnly`,
    ],
    [
      'a reserved name inside',
      { op: 'add', path: ENT, value: JSON.parse('{"__proto__": {"x": 1}}') },
      'invalidPath',
      'Operations[0]: the path names a reserved property',
    ],
  ])('refuses %s', (_name, op, scimType, detail) => {
    expect(failure([op], managed())).toEqual({ scimType, detail });
  });

  it('refuses the URN of an extension the resource type does not have', () => {
    expect(failure([{ op: 'add', path: ENT, value: { department: 'x' } }], group(), 'Group')).toEqual({
      scimType: 'invalidPath',
      detail: 'Operations[0]: User is not an attribute of Group',
    });
  });

  it("applies the extension's immutable, required and readOnly rules", () => {
    const acme = (ops: object[], resource: Json = user()) => run(ops, resource, 'User', acmeRegistry);
    const fail = (ops: object[], resource: Json) => failure(ops, resource, 'User', acmeRegistry);
    const set = acme([{ op: 'add', path: ACME, value: { badge: 'B1', site: 'Paris' } }]).next;
    expect(set).toEqual({ ...user(), schemas: [USER, ACME], [ACME]: { badge: 'B1', site: 'Paris' } });
    expect(acme([{ op: 'replace', path: ACME, value: { badge: 'B1', floor: '3' } }], set).next[ACME]).toEqual({
      badge: 'B1',
      site: 'Paris',
      floor: '3',
    });
    expect(fail([{ op: 'replace', path: ACME, value: { badge: 'B2' } }], set)).toEqual({
      scimType: 'mutability',
      detail: `Operations[0]: ${ACME}:badge is immutable`,
    });
    expect(fail([{ op: 'remove', path: ACME }], set)).toEqual({
      scimType: 'mutability',
      detail: `Operations[0]: ${ACME}:badge is immutable`,
    });
    const unbadged = { ...user(), schemas: [USER, ACME], [ACME]: { site: 'Paris', floor: '3' } };
    expect(fail([{ op: 'remove', path: ACME }], unbadged)).toEqual({
      scimType: 'mutability',
      detail: 'Operations[0]: site is required and cannot be removed',
    });
    expect(fail([{ op: 'add', path: ACME, value: { audit: 'x' } }], unbadged)).toEqual({
      scimType: 'mutability',
      detail: `Operations[0]: ${ACME}:audit is readOnly`,
    });
  });
});

describe('mutability (RFC 7644 §3.5.2, security-test-plan M1/M2/M6)', () => {
  it.each([
    ['replace id', { op: 'replace', path: 'id', value: 'x' }, 'mutability', 'Operations[0]: id is readOnly'],
    ['replace meta', { op: 'replace', path: 'meta', value: {} }, 'mutability', 'Operations[0]: meta is readOnly'],
    [
      'replace meta.created',
      { op: 'replace', path: 'meta.created', value: '2021-01-01T00:00:00Z' },
      'mutability',
      'Operations[0]: meta.created is readOnly',
    ],
    ['remove meta', { op: 'remove', path: 'meta' }, 'mutability', 'Operations[0]: meta is readOnly'],
    [
      'add groups',
      { op: 'add', path: 'groups', value: [{ value: 'g' }] },
      'mutability',
      'Operations[0]: groups is readOnly',
    ],
    [
      'path-less groups',
      { op: 'add', value: { groups: [{ value: 'g' }] } },
      'mutability',
      'Operations[0]: groups is readOnly',
    ],
    [
      'manager.displayName',
      { op: 'replace', path: `${ENT}:manager.displayName`, value: 'x' },
      'mutability',
      `Operations[0]: ${ENT}:manager.displayName is readOnly`,
    ],
    [
      'schemas',
      { op: 'replace', path: 'schemas', value: [USER] },
      'mutability',
      'Operations[0]: schemas is maintained by the server',
    ],
    [
      'remove userName (required)',
      { op: 'remove', path: 'userName' },
      'mutability',
      'Operations[0]: userName is required and cannot be removed',
    ],
    [
      'userName cleared with ""',
      { op: 'Replace', path: 'userName', value: '' },
      'mutability',
      'Operations[0]: userName is required and cannot be removed',
    ],
    [
      'remove password',
      { op: 'remove', path: 'password' },
      'mutability',
      'Operations[0]: password can only be set, not removed or addressed in parts',
    ],
    [
      'unknown attribute',
      { op: 'replace', path: 'isAdmin', value: true },
      'invalidPath',
      'Operations[0]: isAdmin is not an attribute of User',
    ],
    [
      'bad boolean',
      { op: 'replace', path: 'active', value: 'maybe' },
      'invalidValue',
      'Operations[0]: active must be true or false',
    ],
  ])('%s', (_name, op, scimType, detail) => {
    expect(failure([op])).toEqual({ scimType, detail });
  });

  it('refuses to remove a group displayName', () => {
    expect(failure([{ op: 'remove', path: 'displayName' }], group(), 'Group')).toEqual({
      scimType: 'mutability',
      detail: 'Operations[0]: displayName is required and cannot be removed',
    });
  });

  it('lets an immutable attribute be set once, then never changed', () => {
    const set = run([{ op: 'add', path: 'badge', value: 'B1' }], user(), 'User', immutableRegistry).next;
    expect(set.badge).toBe('B1');
    expect(run([{ op: 'add', path: 'badge', value: 'B1' }], set, 'User', immutableRegistry).changes).toEqual({
      changedAttributes: [],
    });
    expect(failure([{ op: 'replace', path: 'badge', value: 'B2' }], set, 'User', immutableRegistry)).toEqual({
      scimType: 'mutability',
      detail: 'Operations[0]: badge is immutable',
    });
    expect(failure([{ op: 'remove', path: 'badge' }], set, 'User', immutableRegistry)).toEqual({
      scimType: 'mutability',
      detail: 'Operations[0]: badge is immutable',
    });
  });

  it('surfaces a writeOnly password in the changeset, never in next', () => {
    const { next, changes } = run([{ op: 'replace', path: 'password', value: 'n3w-Passw0rd' }]);
    expect(changes).toEqual({ changedAttributes: ['password'], password: 'n3w-Passw0rd' });
    expect(next).toEqual(user());
    expect(run([{ op: 'replace', value: { password: 'p2' } }]).changes.password).toBe('p2');
  });
});

describe('prototype paths (security-test-plan M3)', () => {
  it.each([
    ['__proto__', { op: 'replace', path: '__proto__', value: { x: 1 } }],
    ['constructor', { op: 'replace', path: 'constructor', value: 'x' }],
    ['constructor.prototype.x', { op: 'replace', path: 'constructor.prototype.x', value: 'x' }],
    ['name.constructor', { op: 'replace', path: 'name.constructor', value: 'x' }],
    ['URN-qualified __proto__', { op: 'replace', path: `${USER}:__proto__`, value: 'x' }],
    ['extension prototype', { op: 'add', path: `${ENT}:prototype`, value: 'x' }],
    ['filtered sub-attribute', { op: 'replace', path: 'emails[type eq "work"].__proto__', value: 'x' }],
    ['inside a filter', { op: 'replace', path: 'emails[__proto__ eq "x"].value', value: 'x' }],
    ['path-less key', { op: 'add', value: JSON.parse('{"__proto__": {"x": 1}}') }],
    ['path-less extension key', { op: 'add', value: JSON.parse(`{"${ENT}": {"__proto__": {"x": 1}}}`) }],
  ])('%s → invalidPath', (_name, op) => {
    expect(failure([op]).scimType).toBe('invalidPath');
    expect(({} as Json).x).toBeUndefined();
  });

  it('refuses reserved names inside values', () => {
    expect(failure([{ op: 'replace', path: 'name', value: JSON.parse('{"__proto__": {"x": 1}}') }])).toEqual({
      scimType: 'invalidValue',
      detail: 'Operations[0]: name uses a reserved name',
    });
    expect(({} as Json).x).toBeUndefined();
  });
});

describe('atomicity (RFC 7644 §3.5.2, M7)', () => {
  it('3 valid operations + 1 invalid → throws naming the operation; the input is untouched', () => {
    const input = user();
    expect(
      failure(
        [
          { op: 'replace', path: 'displayName', value: 'X' },
          { op: 'add', path: 'title', value: 'Y' },
          { op: 'add', path: 'emails', value: [{ value: 'h@x.y', type: 'home' }] },
          { op: 'replace', path: 'meta.created', value: '2021-01-01T00:00:00Z' },
        ],
        input,
      ),
    ).toEqual({ scimType: 'mutability', detail: 'Operations[3]: meta.created is readOnly' });
    expect(input).toEqual(user());
  });

  it('reports no change when nothing changes', () => {
    expect(run([{ op: 'replace', path: 'displayName', value: 'Babs Jensen' }]).changes).toEqual({
      changedAttributes: [],
    });
  });
});

describe('group members as set deltas', () => {
  it('never puts members into next', () => {
    expect(run([{ op: 'add', path: 'members', value: [{ value: 'u1' }] }], group(), 'Group').next).toEqual(group());
  });

  it.each([
    [
      '1,001 values in one op (M8)',
      [{ op: 'add', path: 'members', value: Array.from({ length: 1001 }, (_, i) => ({ value: `u${i}` })) }],
      'invalidValue',
      'Operations[0]: at most 1000 members may be named in one request',
    ],
    [
      '1,001 values over two ops',
      [
        { op: 'add', path: 'members', value: Array.from({ length: 600 }, (_, i) => ({ value: `a${i}` })) },
        { op: 'Remove', path: 'members', value: Array.from({ length: 401 }, (_, i) => ({ value: `r${i}` })) },
      ],
      'invalidValue',
      'Operations[1]: at most 1000 members may be named in one request',
    ],
    [
      'empty member value',
      [{ op: 'add', path: 'members', value: [{ value: '' }] }],
      'invalidValue',
      'Operations[0]: members[0].value must be a non-empty string id',
    ],
    [
      'member without value',
      [{ op: 'add', path: 'members', value: [{ display: 'x' }] }],
      'invalidValue',
      'Operations[0]: members[0].value must be a non-empty string id',
    ],
    [
      'unknown member type',
      [{ op: 'add', path: 'members', value: [{ value: 'u', type: 'Robot' }] }],
      'invalidValue',
      'Operations[0]: members[0].type must be one of User, Group',
    ],
    [
      'member sub-attribute path',
      [{ op: 'replace', path: 'members[value eq "u"].display', value: 'x' }],
      'mutability',
      'Operations[0]: members[…].display is readOnly',
    ],
    [
      'add with a filter',
      [{ op: 'add', path: 'members[value eq "u"]', value: [{ value: 'u' }] }],
      'invalidPath',
      'Operations[0]: add members without a value filter in the path',
    ],
  ])('%s', (_name, ops, scimType, detail) => {
    expect(failure(ops, group(), 'Group')).toEqual({ scimType, detail });
  });
});

describe('dialect → canonical operations', () => {
  it('gives each op a resolved target with canonical names', () => {
    const ops = toCanonicalOperations(
      user(),
      parsePatchRequest({
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'NAME.GIVENNAME', value: 'b' },
          { op: 'Add', value: { [ENT.toUpperCase()]: { Department: 'R&D' }, ACTIVE: 'false', id: ID } },
        ],
      }),
      { resourceTypeId: 'User', registry: scimRegistry, resourceId: ID },
    );
    expect(ops.map((o) => [o.index, o.op, o.target.label, o.value])).toEqual([
      [0, 'replace', 'name.givenName', 'b'],
      [1, 'add', `${ENT}:department`, 'R&D'],
      [1, 'add', 'active', false],
    ]);
  });
});

describe('model-based (security-test-plan Z3)', () => {
  // Scalar paths with a reference model: add/replace set, "" / null clear, remove deletes.
  const scalar = [
    { path: 'displayName', get: (r: Json) => r.displayName },
    { path: 'title', get: (r: Json) => r.title },
    { path: 'name.givenName', get: (r: Json) => (r.name as Json | undefined)?.givenName },
    { path: `${ENT}:employeeNumber`, get: (r: Json) => (r[ENT] as Json | undefined)?.employeeNumber },
    { path: 'active', get: (r: Json) => r.active },
  ] as const;
  const opName = fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'Remove', 'REPLACE');
  const step = fc.record({
    slot: fc.nat({ max: scalar.length - 1 }),
    op: opName,
    pathless: fc.boolean(),
    text: fc.oneof(
      fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s.trim() === s),
      fc.constant(''),
      fc.constant(null),
    ),
    flag: fc.oneof(fc.boolean(), fc.constantFrom('True', 'false', 'FALSE', '', null)),
  });

  it('agrees with a reference model over random dialect sequences', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        const model = new Map<string, unknown>(scalar.map((s) => [s.path, s.get(user())]));
        const ops = steps.map((s) => {
          const { path } = scalar[s.slot]!;
          const raw = path === 'active' ? s.flag : s.text;
          const kind = s.op.toLowerCase();
          if (kind === 'remove' || raw === '' || raw === null) model.set(path, undefined);
          else model.set(path, typeof raw === 'string' && path === 'active' ? raw.toLowerCase() === 'true' : raw);
          if (kind === 'remove') return { op: s.op, path };
          return s.pathless ? { op: s.op, value: { [path]: raw } } : { op: s.op, path, value: raw };
        });
        const { next, changes } = run(ops);
        for (const s of scalar) expect(s.get(next)).toEqual(model.get(s.path));
        const changed = scalar.filter((s) => s.get(user()) !== model.get(s.path)).map((s) => s.path);
        expect([...changes.changedAttributes].sort()).toEqual(changed.sort());
        expect(next.schemas).toEqual(model.get(`${ENT}:employeeNumber`) === undefined ? [USER] : [USER, ENT]);
      }),
      { numRuns: 1000 },
    );
  });

  const anyPath = fc.constantFrom(
    'displayName',
    'userName',
    'active',
    'name',
    'name.givenName',
    'emails',
    'emails[type eq "work"].value',
    'emails[type eq "home"]',
    'emails[type eq "work"].primary',
    'emails.value',
    `${ENT}:manager`,
    `${ENT}:department`,
    'password',
    'id',
    'meta',
    'meta.created',
    'groups',
    'schemas',
    '__proto__',
    'bogus',
    'emails[bogus eq 1]',
  );
  const anyValue = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('True', 'false'),
    fc.constant({ givenName: 'G' }),
    fc.constant([{ value: 'x@y.z', type: 'home', primary: true }]),
    fc.constant({ value: 'm' }),
    fc.integer(),
  );
  const anyOp = fc.oneof(
    fc.record({ op: opName, path: anyPath, value: anyValue }),
    fc.record({ op: fc.constantFrom('add', 'Replace'), value: fc.dictionary(anyPath, anyValue, { maxKeys: 3 }) }),
  );

  it('never changes id/meta, throws only ScimError, and a failed PATCH leaves the input unchanged', () => {
    fc.assert(
      fc.property(fc.array(anyOp, { minLength: 1, maxLength: 6 }), (ops) => {
        const input = user();
        try {
          const { next, changes } = run(ops, input);
          expect(next.id).toBe(ID);
          expect(next.meta).toEqual(user().meta);
          expect(typeof next.userName).toBe('string');
          expect(next.password).toBeUndefined();
          expect(changes.members).toBeUndefined();
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
          expect((error as ScimError).detail).toMatch(/^Operations\[\d+\]: /);
        }
        expect(input).toEqual(user());
        expect(({} as Json).x).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('applyOperations on canonical ops is what applyPatch does', () => {
    const ctx = { resourceTypeId: 'User', registry: scimRegistry, resourceId: ID };
    fc.assert(
      fc.property(fc.array(anyOp, { minLength: 1, maxLength: 4 }), (ops) => {
        const parsed = parsePatchRequest({ schemas: [PATCH], Operations: ops });
        let viaPatch: unknown;
        let viaCanonical: unknown;
        try {
          viaPatch = applyPatch(user(), parsed, ctx);
        } catch (e) {
          viaPatch = (e as ScimError).detail;
        }
        try {
          viaCanonical = applyOperations(user(), toCanonicalOperations(user(), parsed, ctx), ctx);
        } catch (e) {
          viaCanonical = (e as ScimError).detail;
        }
        expect(viaCanonical).toEqual(viaPatch);
      }),
      { numRuns: 300 },
    );
  });
});
