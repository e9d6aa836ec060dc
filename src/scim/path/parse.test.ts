import { describe, expect, it } from 'vitest';
import { errorOf } from '../../../test/support/scim-error.ts';
import { scimErrors } from '../errors.ts';
import { stripOffsets } from '../filter/print.ts';
import { isAttrName, parseAttrRef, parsePatchPath } from './parse.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('isAttrName', () => {
  it.each(['userName', 'a', 'x-y_z9', '$ref', 'A1'])('accepts %s', (name) => expect(isAttrName(name)).toBe(true));
  it.each(['', '__proto__', '_a', '1a', '-a', 'a b', 'a.b', 'a:b', '$REF', 'a$', 'é', 'a'.repeat(129)])(
    'refuses %j',
    (name) => expect(isAttrName(name)).toBe(false),
  );
});

describe('parseAttrRef', () => {
  it.each([
    ['userName', { attribute: 'userName' }],
    [' name.givenName ', { attribute: 'name', subAttribute: 'givenName' }],
    ['members.$ref', { attribute: 'members', subAttribute: '$ref' }],
    [`${CORE}:name.givenName`, { schema: CORE, attribute: 'name', subAttribute: 'givenName' }],
    [`${ENT}:employeeNumber`, { schema: ENT, attribute: 'employeeNumber' }],
    [`${ENT}:manager.value`, { schema: ENT, attribute: 'manager', subAttribute: 'value' }],
    ['URN:x:y:attr', { schema: 'URN:x:y', attribute: 'attr' }],
  ])('%s', (text, expected) => {
    const ref = parseAttrRef(text);
    expect(ref).toStrictEqual(expected);
    expect(Object.isFrozen(ref)).toBe(true);
  });

  it.each([
    ['', 'the attribute path is empty'],
    ['__proto__', 'does not start with a valid attribute name'],
    ['a.b.c', 'at most one sub-attribute'],
    ['name.', 'the sub-attribute is not a valid attribute name'],
    ['name._x', 'the sub-attribute is not a valid attribute name'],
    [`${ENT}:`, 'names a schema but no attribute'],
    ['urn::x:a', 'malformed schema URN'],
    ['urn:a b:c', 'malformed schema URN'],
    ['a:b', 'does not start with a valid attribute name'],
    ['userName) OR 1=1--', 'does not start with a valid attribute name'],
    ['a'.repeat(513), 'longer than 512 characters'],
  ])('refuses %j as invalidPath', (text, detail) => {
    const error = errorOf(() => parseAttrRef(text));
    expect(error.scimType).toBe('invalidPath');
    expect(error.detail).toContain(detail);
  });

  it('raises the error kind the caller picks', () => {
    expect(errorOf(() => parseAttrRef('a..b', scimErrors.invalidValue)).scimType).toBe('invalidValue');
  });
});

describe('parsePatchPath', () => {
  it.each([
    ['name.givenName', { attr: { attribute: 'name', subAttribute: 'givenName' } }],
    ['displayName', { attr: { attribute: 'displayName' } }],
    [`${ENT}:manager`, { attr: { schema: ENT, attribute: 'manager' } }],
    [`${ENT}:employeeNumber`, { attr: { schema: ENT, attribute: 'employeeNumber' } }],
  ])('%s', (text, expected) => {
    expect(parsePatchPath(text)).toStrictEqual(expected);
  });

  it('parses value paths with and without a trailing sub-attribute', () => {
    const members = parsePatchPath('members[value eq "2819c223"]');
    expect(members.attr).toStrictEqual({ attribute: 'members' });
    expect(members.subAttribute).toBeUndefined();
    expect(stripOffsets(members.valueFilter!)).toEqual({
      kind: 'compare',
      attr: { attribute: 'value' },
      op: 'eq',
      value: '2819c223',
    });
    const emails = parsePatchPath('emails[type eq "work"].value');
    expect(emails.subAttribute).toBe('value');
    expect(emails.valueFilter).toMatchObject({
      kind: 'compare',
      attr: { attribute: 'type' },
      value: 'work',
      offset: 0, // node offsets count from the value filter's text; error offsets from the path's
    });
    expect(parsePatchPath('emails[type pr and value pr]').valueFilter).toMatchObject({ right: { offset: 12 } });
    const urn = parsePatchPath(`${ENT}:manager[value eq "x"]`);
    expect(urn.attr).toStrictEqual({ schema: ENT, attribute: 'manager' });
  });

  it('finds the closing bracket past brackets and quotes inside strings', () => {
    const path = parsePatchPath('members[value eq "a]\\"b[" and display eq "]"].display');
    expect(path.subAttribute).toBe('display');
    expect(stripOffsets(path.valueFilter!)).toMatchObject({ left: { value: 'a]"b[' }, right: { value: ']' } });
  });

  it('still accepts a filter-parser callback as its second argument', () => {
    expect(parsePatchPath('emails[type eq "work"]', () => undefined).valueFilter).toBeDefined();
  });

  it.each([
    ['', 'the attribute path is empty'],
    ['emails[type eq "work"', 'expected "]" to close the value filter'],
    ['emails[type eq "work"]x', 'only ".subAttribute" may follow the value filter (character 23)'],
    ['emails[type eq "work"].value.x', 'only ".subAttribute"'],
    ['emails[type eq "work"][x pr]', 'only ".subAttribute"'],
    ['name.givenName[x pr]', 'a value filter follows an attribute, not a sub-attribute'],
    ['emails[]', 'at character 8: expected an attribute path'],
    ['emails[type eq]', 'at character 15: expected a value'],
    ['emails[type eq "a" and x[y pr]]', 'value filters cannot be nested'],
    ['__proto__[x pr]', 'valid attribute name'],
    ['emails]', 'valid attribute name'],
  ])('refuses %j as invalidPath', (text, detail) => {
    const error = errorOf(() => parsePatchPath(text));
    expect(error.scimType).toBe('invalidPath');
    expect(error.detail).toContain(detail);
  });

  it('never echoes values from the path', () => {
    expect(errorOf(() => parsePatchPath('emails[value eq "s3cr3t" s3cr3t]')).detail).not.toContain('s3cr3t');
  });
});
