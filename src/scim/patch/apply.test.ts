import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScimError } from '../errors.ts';
import { scimRegistry } from '../schema/registry.ts';
import { applyPatch } from './apply.ts';
import { parsePatchRequest } from './message.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const base = () => ({
  schemas: [USER],
  userName: 'bjensen@example.com',
  externalId: 'bjensen',
  displayName: 'Babs Jensen',
  active: true,
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
});

function run(ops: object[], resource: Record<string, unknown> = base(), type = 'User') {
  return applyPatch(resource, parsePatchRequest({ schemas: [PATCH], Operations: ops }), {
    resourceTypeId: type,
    registry: scimRegistry,
    resourceId: 'the-id',
  });
}

function fails(ops: object[], scimType: string, detail?: string, resource?: Record<string, unknown>, type?: string) {
  try {
    run(ops, resource, type);
    expect.unreachable();
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError);
    expect((error as ScimError).scimType).toBe(scimType);
    if (detail) expect((error as ScimError).detail).toContain(detail);
  }
}

describe('applyPatch — Entra ID default mode', () => {
  it('replaces with capitalised ops and string booleans', () => {
    const { next, changes } = run([
      { op: 'Replace', path: 'active', value: 'False' },
      { op: 'Replace', path: 'name.familyName', value: 'Smith' },
      { op: 'Replace', path: `${ENT}:employeeNumber`, value: '701984' },
      { op: 'Add', path: 'nickName', value: 'Babs' },
    ]);
    expect(next).toMatchObject({
      active: false,
      name: { givenName: 'Barbara', familyName: 'Smith' },
      nickName: 'Babs',
      [ENT]: { employeeNumber: '701984' },
    });
    expect(next.schemas).toEqual([USER, ENT]);
    expect(changes.changedAttributes.sort()).toEqual(['active', 'name', 'nickName', `${ENT}:employeeNumber`].sort());
  });

  it('sets a work email by value filter, creating the element when none matches', () => {
    expect(
      run([{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@example.com' }]).next.emails,
    ).toEqual([{ value: 'new@example.com', type: 'work', primary: true }]);
    const { emails: _e, ...noMail } = base();
    expect(run([{ op: 'Add', path: 'emails[type eq "work"].value', value: 'a@b.c' }], noMail).next.emails).toEqual([
      { type: 'work', value: 'a@b.c' },
    ]);
  });

  it('takes the manager as a bare id and clears it with ""', () => {
    const set = run([{ op: 'Add', path: `${ENT}:manager`, value: 'boss-id' }]).next;
    expect(set[ENT]).toEqual({ manager: { value: 'boss-id' } });
    const cleared = run([{ op: 'Replace', path: `${ENT}:manager`, value: '' }], set).next;
    expect(cleared[ENT]).toBeUndefined();
    expect(cleared.schemas).toEqual([USER]);
  });

  it('clears with "" and null', () => {
    const { next } = run([
      { op: 'Replace', path: 'displayName', value: '' },
      { op: 'Replace', path: 'externalId', value: null },
    ]);
    expect(next.displayName).toBeUndefined();
    expect(next.externalId).toBeUndefined();
  });
});

describe('applyPatch — Entra aadOptscim062020 and Okta', () => {
  it('expands a path-less replace whose keys are paths', () => {
    const { next } = run([
      { op: 'replace', value: { 'name.givenName': 'Barb', [`${ENT}:employeeNumber`]: '42', active: false } },
    ]);
    expect(next).toMatchObject({
      name: { givenName: 'Barb', familyName: 'Jensen' },
      active: false,
      [ENT]: { employeeNumber: '42' },
    });
  });

  it('accepts an extension object in a path-less value', () => {
    expect(run([{ op: 'add', value: { [ENT]: { department: 'R&D' } } }]).next[ENT]).toEqual({ department: 'R&D' });
  });

  it('deactivates with a path-less replace and ignores an unchanged id (Okta rename)', () => {
    expect(run([{ op: 'replace', value: { active: false } }]).next.active).toBe(false);
    const group = { schemas: [GROUP], displayName: 'Eng' };
    expect(
      run([{ op: 'replace', value: { id: 'the-id', displayName: 'Engineering' } }], group, 'Group').next.displayName,
    ).toBe('Engineering');
    fails([{ op: 'replace', value: { id: 'other' } }], 'mutability', 'id', group, 'Group');
  });
});

describe('applyPatch — RFC 7644 §3.5.2 rules', () => {
  it('adds to multi-valued attributes without duplicating, and keeps one primary', () => {
    const { next } = run([
      { op: 'add', path: 'emails', value: [{ value: 'bjensen@example.com', type: 'work', primary: true }] },
      { op: 'add', path: 'emails', value: [{ value: 'home@example.com', type: 'home', primary: true }] },
    ]);
    expect(next.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'home@example.com', type: 'home', primary: true },
    ]);
  });

  it('removes matching elements and sub-attributes by filter', () => {
    const two = { ...base(), emails: [...base().emails, { value: 'h@x.y', type: 'home' }] };
    expect(run([{ op: 'remove', path: 'emails[type eq "home"]' }], two).next.emails).toEqual(base().emails);
    expect(run([{ op: 'remove', path: 'emails[type eq "work"].primary' }]).next.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work' },
    ]);
    expect(run([{ op: 'remove', path: 'name.givenName' }]).next.name).toEqual({ familyName: 'Jensen' });
  });

  it('refuses readOnly targets, unknown paths, prototype paths and removing required attributes', () => {
    fails([{ op: 'replace', path: 'id', value: 'x' }], 'mutability', 'Operations[0]');
    fails([{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }], 'mutability');
    fails([{ op: 'add', path: 'groups', value: [{ value: 'g' }] }], 'mutability');
    fails([{ op: 'replace', path: 'nope', value: 'x' }], 'invalidPath');
    fails([{ op: 'replace', path: '__proto__', value: 'x' }], 'invalidPath');
    fails([{ op: 'replace', path: 'emails[type eq "work"].__proto__', value: 'x' }], 'invalidPath');
    fails([{ op: 'remove', path: 'userName' }], 'invalidValue', 'userName is required');
    fails([{ op: 'remove' }], 'noTarget');
    fails([{ op: 'move', path: 'x' }], 'invalidSyntax');
    fails([{ op: 'replace', path: 'active', value: 'maybe' }], 'invalidValue');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('is atomic: a failing last operation throws and leaves the input untouched', () => {
    const input = base();
    const copy = structuredClone(input);
    fails(
      [
        { op: 'replace', path: 'displayName', value: 'X' },
        { op: 'add', path: 'title', value: 'Y' },
        { op: 'replace', path: 'id', value: 'forged' },
      ],
      'mutability',
      'Operations[2]',
      input,
    );
    expect(input).toEqual(copy);
  });

  it('reports no change when nothing changes, and surfaces a password without storing it', () => {
    expect(run([{ op: 'replace', path: 'displayName', value: 'Babs Jensen' }]).changes.changedAttributes).toEqual([]);
    const { next, changes } = run([{ op: 'replace', path: 'password', value: 'n3w-Passw0rd' }]);
    expect(changes.password).toBe('n3w-Passw0rd');
    expect(JSON.stringify(next)).not.toContain('n3w-Passw0rd');
  });

  it('limits operations per request', () => {
    const ops = Array.from({ length: 101 }, () => ({ op: 'add', path: 'title', value: 'x' }));
    fails(ops, 'invalidValue', 'at most 100');
  });
});

describe('applyPatch — group members as set deltas', () => {
  const group = { schemas: [GROUP], displayName: 'Eng' };
  const deltas = (ops: object[]) => run(ops, group, 'Group').changes.members;

  it.each([
    [
      'Entra add',
      [{ op: 'Add', path: 'members', value: [{ $ref: null, value: 'u1' }, { value: 'u2' }] }],
      [{ kind: 'add', members: [{ value: 'u1' }, { value: 'u2' }] }],
    ],
    [
      'Entra remove with value list',
      [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'u1' }] }],
      [{ kind: 'remove', values: ['u1'] }],
    ],
    [
      'remove by value filter',
      [{ op: 'remove', path: 'members[value eq "u1"]' }],
      [{ kind: 'remove', values: ['u1'] }],
    ],
    ['remove all', [{ op: 'remove', path: 'members' }], [{ kind: 'removeAll' }]],
    [
      'replace',
      [{ op: 'replace', path: 'members', value: [{ value: 'u3' }] }],
      [{ kind: 'removeAll' }, { kind: 'add', members: [{ value: 'u3' }] }],
    ],
    [
      'path-less add',
      [{ op: 'add', value: { members: [{ value: 'u4' }] } }],
      [{ kind: 'add', members: [{ value: 'u4' }] }],
    ],
    [
      'Okta remove + add',
      [
        { op: 'remove', path: 'members[value eq "u1"]' },
        { op: 'add', path: 'members', value: [{ value: 'u2', display: 'x' }] },
      ],
      [
        { kind: 'remove', values: ['u1'] },
        { kind: 'add', members: [{ value: 'u2' }] },
      ],
    ],
  ])('%s', (_name, ops, expected) => {
    expect(deltas(ops)).toEqual(expected);
  });

  it('never puts members into the resource and caps members per request', () => {
    expect(
      run([{ op: 'add', path: 'members', value: [{ value: 'u1' }] }], group, 'Group').next.members,
    ).toBeUndefined();
    const many = Array.from({ length: 1001 }, (_, i) => ({ value: `u${i}` }));
    fails([{ op: 'add', path: 'members', value: many }], 'invalidValue', 'at most 1000', group, 'Group');
    fails([{ op: 'add', path: 'members', value: [{ value: '' }] }], 'invalidValue', undefined, group, 'Group');
  });
});

describe('applyPatch — model properties', () => {
  const path = fc.constantFrom(
    'displayName',
    'title',
    'nickName',
    'active',
    'name.givenName',
    'emails',
    'emails[type eq "work"].value',
    `${ENT}:department`,
    'id',
    'meta.created',
    'userName',
    'bogus',
  );
  const value = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.boolean(),
    fc.constant(null),
    fc.constant([{ value: 'x@y.z', type: 'home' }]),
  );
  const op = fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'Replace', 'Add'), path, value });

  it('never changes id or meta, never throws anything but ScimError, and leaves the input untouched on failure', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (ops) => {
        const input = { ...base(), id: 'the-id', meta: { created: '2020-01-01T00:00:00Z' } };
        const copy = structuredClone(input);
        try {
          const { next } = run(ops, input);
          expect(next.id).toBe('the-id');
          expect(next.meta).toEqual(copy.meta);
          expect(typeof next.userName).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
        }
        expect(input).toEqual(copy);
      }),
      { numRuns: 3000 },
    );
  });
});
