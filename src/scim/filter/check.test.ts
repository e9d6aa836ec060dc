import { describe, expect, it } from 'vitest';
import { errorOf } from '../../../test/support/scim-error.ts';
import { checkFilter, checkValueFilter } from './check.ts';
import { parseFilter } from './parser.ts';
import { printFilter, stripOffsets } from './print.ts';
import { definitionOf, ENTERPRISE, GROUP, testRegistry, USER } from './test-registry.ts';

const checked = (text: string, type = 'User') => checkFilter(parseFilter(text), type, testRegistry);

describe('checkFilter: canonical names', () => {
  it.each([
    ['USERNAME eq "x"', `${USER}:userName eq "x"`],
    ['name.FAMILYNAME pr', `${USER}:name.familyName pr`],
    ['employeenumber eq "1"', `${ENTERPRISE}:employeeNumber eq "1"`],
    [`${ENTERPRISE.toUpperCase()}:Manager.Value eq "m"`, `${ENTERPRISE}:manager.value eq "m"`],
    [`${USER}:userName sw "J"`, `${USER}:userName sw "J"`],
    ['meta.created gt "2011-05-13T04:42:34Z"', `${USER}:meta.created gt "2011-05-13T04:42:34Z"`],
    ['EMAILS[TYPE eq "work"]', `${USER}:emails[type eq "work"]`],
    ['emails[type eq "work"].VALUE eq "a"', `${USER}:emails[type eq "work" and value eq "a"]`],
    // A complex attribute compared alone compares its "value" sub-attribute.
    ['emails co "@x"', `${USER}:emails.value co "@x"`],
    [`${ENTERPRISE}:manager eq "m"`, `${ENTERPRISE}:manager.value eq "m"`],
    ['emails pr', `${USER}:emails pr`],
    ['name pr', `${USER}:name pr`],
    ['loginCount ge 3 and score lt 0.5', `${USER}:loginCount ge 3 and ${USER}:score lt 0.5`],
    ['not (active eq false)', `not (${USER}:active eq false)`],
  ])('%s → %s', (text, canonical) => {
    const node = checked(text);
    expect(printFilter(node)).toBe(canonical);
    expect(Object.isFrozen(node)).toBe(true);
  });

  it('resolves Group attributes, including members value paths', () => {
    expect(printFilter(checked('members[value eq "2819c223"]', 'Group'))).toBe(`${GROUP}:members[value eq "2819c223"]`);
    expect(printFilter(checked('displayName eq "G"', 'Group'))).toBe(`${GROUP}:displayName eq "G"`);
    expect(printFilter(checked('externalId eq "E"', 'Group'))).toBe(`${GROUP}:externalId eq "E"`);
  });

  it('keeps offsets and leaves the input untouched', () => {
    const input = parseFilter('  userName eq "x"');
    const output = checkFilter(input, 'User', testRegistry);
    expect(output).toMatchObject({ offset: 2, attr: { schema: USER } });
    expect(input).toMatchObject({ attr: { attribute: 'userName' } });
    expect(input.kind === 'compare' && input.attr.schema).toBeUndefined();
  });
});

describe('checkFilter: refusals', () => {
  it.each([
    ['nope eq "x"', 'nope: is not an attribute of User'],
    ['members[value eq "x"]', 'members: is not an attribute of User'],
    ['name.middle eq "x"', 'name.middle: is not an attribute of User'],
    [`${GROUP}:displayName eq "x"`, `${GROUP}:displayName: is not an attribute of User`],
    ['name eq "x"', 'name: is complex; compare one of its sub-attributes or use "pr"'],
    ['emails[nope eq "x"]', `nope: is not a sub-attribute of ${USER}:emails`],
    ['emails[name.givenName eq "x"]', `name.givenName: inside a value filter, name a sub-attribute of ${USER}:emails`],
    ['userName[value eq "x"]', 'userName: is not complex; a value filter does not apply'],
    ['active gt true', 'active: is a boolean; only eq and ne apply'],
    ['active co true', 'active: is a boolean; only eq and ne apply'],
    ['active eq "true"', 'active: is a boolean; compare with true or false'],
    ['photo lt "AA=="', 'photo: is binary; only eq and ne apply'],
    ['photo eq 1', 'photo: is binary; compare with a base64 "string"'],
    ['loginCount co 1', 'loginCount: is an integer; co, sw and ew do not apply'],
    ['loginCount eq "1"', 'loginCount: is an integer; compare with a number'],
    ['loginCount eq 1.5', 'loginCount: is an integer; compare with a whole number'],
    ['score sw 1', 'score: is a decimal; co, sw and ew do not apply'],
    ['score eq true', 'score: is a decimal; compare with a number'],
    ['meta.created sw "2011"', 'meta.created: is a dateTime; co, sw and ew do not apply'],
    [
      'meta.created gt "yesterday"',
      'meta.created: is a dateTime; compare with an xsd:dateTime string with a time zone',
    ],
    [
      'meta.created gt "2011-02-30T00:00:00Z"',
      'meta.created: is a dateTime; compare with an xsd:dateTime string with a time zone',
    ],
    [
      'meta.created gt "2011-05-13T04:42:34"',
      'meta.created: is a dateTime; compare with an xsd:dateTime string with a time zone',
    ],
    ['meta.created gt 5', 'meta.created: is a dateTime; compare with an xsd:dateTime string with a time zone'],
    ['userName eq 1', 'userName: is a string; compare with a "string"'],
    ['userName eq true', 'userName: is a string; compare with a "string"'],
    ['profileUrl co 1', 'profileUrl: is a reference; compare with a "string"'],
    ['userName eq null', 'userName: comparing with null is not supported; use "pr" or "not (… pr)"'],
    ['emails[primary eq "true"]', 'primary: is a boolean; compare with true or false'],
  ])('%s → 400 invalidFilter "%s"', (text, detail) => {
    const error = errorOf(() => checked(text));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toBe(detail);
  });

  it('refuses never-returned attributes (password) as 403 sensitive, without echoing the value', () => {
    for (const text of ['password eq "Sup3r-Secret"', 'password pr', 'PASSWORD co "Sup3r-Secret"']) {
      const error = errorOf(() => checked(text));
      expect(error.scimType).toBe('sensitive');
      expect(error.detail).not.toContain('Sup3r');
    }
  });

  it('refuses names outside the schema whatever their shape (allow-list)', () => {
    for (const text of [
      'user_name eq "x"',
      'search eq "x"',
      'constructor eq "x"',
      'toString pr',
      'hasOwnProperty pr',
    ]) {
      expect(errorOf(() => checked(text)).scimType).toBe('invalidFilter');
    }
  });
});

describe('checkValueFilter', () => {
  it('resolves names against the parent sub-attributes', () => {
    const emails = definitionOf('User', 'emails');
    const node = checkValueFilter(
      parseFilter('TYPE eq "work" and Primary eq true'),
      { schema: USER, attribute: 'emails' },
      emails,
      'User',
      testRegistry,
    );
    expect(stripOffsets(node)).toEqual(stripOffsets(parseFilter('type eq "work" and primary eq true')));
    expect(() =>
      checkValueFilter(parseFilter('nope pr'), { attribute: 'emails' }, emails, 'User', testRegistry),
    ).toThrow('nope: is not a sub-attribute of emails');
  });
});
