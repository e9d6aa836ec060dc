import { describe, expect, it } from 'vitest';
import { foldCase } from '../resource/normalize.ts';
import { checkFilter, checkValueFilter } from './check.ts';
import { evaluateFilter, evaluateValueFilter } from './evaluate.ts';
import { parseFilter } from './parser.ts';
import { definitionOf, ENTERPRISE, GROUP, testRegistry, USER } from './test-registry.ts';

const bjensen = {
  schemas: [USER, ENTERPRISE],
  id: '2819c223',
  externalId: 'Ext-1',
  userName: 'BJensen@Example.com',
  displayName: 'Babs Jensen',
  active: true,
  title: '',
  nickNames: ['Babs', 'B'],
  loginCount: 7,
  score: 2.5,
  name: { givenName: 'Barbara', familyName: "O'Malley" },
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  meta: { created: '2011-05-13T04:42:34Z', lastModified: '2011-05-13T06:42:34+02:00' },
  [ENTERPRISE]: { employeeNumber: '701984', manager: { value: 'M-1' } },
  profileUrl: null,
};
const empty = { schemas: [USER], id: 'e', userName: 'empty', emails: [], name: { givenName: null } };

const matches = (text: string, resource: Readonly<Record<string, unknown>> = bjensen, type = 'User') =>
  evaluateFilter(checkFilter(parseFilter(text), type, testRegistry), resource, testRegistry, type);

describe('evaluateFilter', () => {
  it.each([
    // eq / ne with caseExact from the schema
    ['userName eq "bjensen@example.com"', true],
    ['userName eq "BJENSEN@EXAMPLE.COM"', true],
    ['externalId eq "ext-1"', false],
    ['externalId eq "Ext-1"', true],
    ['userName ne "bjensen@example.com"', false],
    ['userName ne "other"', true],
    // substring operators
    ['userName co "JENSEN@"', true],
    ['userName sw "bj"', true],
    ['userName ew ".COM"', true],
    ['externalId sw "ext"', false],
    ['name.familyName co "\'"', true],
    ['userName co "%"', false],
    ['userName co "_"', false],
    // ordering by code point (after the fold for caseExact=false)
    ['userName gt "bj"', true],
    ['userName lt "bj"', false],
    ['userName ge "bjensen@example.com"', true],
    ['userName le "BJENSEN@EXAMPLE.COM"', true],
    // numbers
    ['loginCount eq 7', true],
    ['loginCount gt 6', true],
    ['loginCount lt 7', false],
    ['loginCount le 7', true],
    ['score ge 2.5', true],
    ['score gt 2.4999', true],
    ['score eq 25e-1', true],
    // booleans
    ['active eq true', true],
    ['active ne true', false],
    ['active eq false', false],
    // dateTimes as instants: 06:42:34+02:00 is 04:42:34Z
    ['meta.lastModified eq "2011-05-13T04:42:34Z"', true],
    ['meta.created lt "2011-05-13T04:42:34.001Z"', true],
    ['meta.created gt "2011-05-13T06:00:00+02:00"', true],
    ['meta.created ge "2011-05-13T04:42:34.000Z"', true],
    // multi-valued: any value
    ['emails.value ew "jensen.org"', true],
    ['emails co "example.com"', true],
    ['emails.type eq "home"', true],
    ['emails.type ne "work"', true],
    ['nickNames eq "B"', true],
    ['nickNames eq "b"', false],
    // value paths: one element satisfies all
    ['emails[type eq "work" and value co "example.com"]', true],
    ['emails[type eq "home" and value co "example.com"]', false],
    ['emails[type eq "work" and primary eq true]', true],
    ['emails[type eq "home" and primary eq true]', false],
    ['emails[type eq "work"].value eq "BJENSEN@example.com"', true],
    ['emails[type eq "home"].value eq "bjensen@example.com"', false],
    ['emails[not (type eq "work")]', true],
    // extension attributes live under their URN
    [`${ENTERPRISE}:employeeNumber eq "701984"`, true],
    ['employeeNumber eq "701984"', true],
    [`${ENTERPRISE}:manager.value eq "M-1"`, true],
    [`${ENTERPRISE}:manager.value eq "m-1"`, false],
    ['manager eq "M-1"', true],
    // presence
    ['title pr', false],
    ['displayName pr', true],
    ['profileUrl pr', false],
    ['emails pr', true],
    ['name pr', true],
    ['nickNames pr', true],
    ['employeeNumber pr', true],
    // logic and precedence
    ['userName eq "x" or active eq true and loginCount eq 7', true],
    ['(userName eq "x" or active eq true) and loginCount eq 8', false],
    ['not (userName eq "x")', true],
    ['not (active eq true) or title pr', false],
  ] as const)('%s → %s', (text, expected) => {
    expect(matches(text)).toBe(expected);
  });

  it.each([
    ['userName ne "x"', true],
    ['displayName ne "x"', false],
    ['displayName eq "x"', false],
    ['not (displayName eq "x")', true],
    ['displayName pr', false],
    ['emails pr', false],
    ['emails.value ne "x"', false],
    ['emails[type pr]', false],
    ['name pr', false],
    ['name.givenName pr', false],
    ['active ne true', false],
    ['loginCount lt 100', false],
    ['employeeNumber pr', false],
  ] as const)('missing, null or empty values: %s → %s', (text, expected) => {
    expect(matches(text, empty)).toBe(expected);
  });

  it('matches Group members by value path', () => {
    const group = { schemas: [GROUP], id: 'g', displayName: 'Admins', members: [{ value: 'u1' }, { value: 'u2' }] };
    expect(matches('members[value eq "u2"]', group, 'Group')).toBe(true);
    expect(matches('members[value eq "U2"]', group, 'Group')).toBe(false);
    expect(matches('displayName eq "admins"', group, 'Group')).toBe(true);
  });

  it('compares injection-looking values literally', () => {
    for (const value of ["o'hara;--", '100%', 'a_b', '\u0000x', 'a*b', 'back\\slash']) {
      const resource = { ...bjensen, displayName: value };
      expect(matches(`displayName eq ${JSON.stringify(value)}`, resource)).toBe(true);
      expect(matches(`displayName co ${JSON.stringify(value.slice(1, 3))}`, resource)).toBe(true);
    }
    expect(matches('displayName co "%"', { ...bjensen, displayName: 'abc' })).toBe(false);
    expect(matches('displayName sw "_"', { ...bjensen, displayName: 'abc' })).toBe(false);
  });

  it('folds case with NFKC for caseExact=false', () => {
    expect(foldCase('ＢＪｅｎｓｅｎ')).toBe('bjensen');
    expect(matches('userName eq "ＢＪＥＮＳＥＮ@example.com"')).toBe(true);
  });

  it('ignores inherited properties such as __proto__ and toString', () => {
    expect(matches('userName pr', Object.create({ userName: 'x' }) as Record<string, unknown>)).toBe(false);
  });
});

describe('evaluateValueFilter', () => {
  const emails = definitionOf('User', 'emails');
  const filter = (text: string) =>
    checkValueFilter(parseFilter(text), { schema: USER, attribute: 'emails' }, emails, 'User', testRegistry);

  it.each([
    ['type eq "WORK"', { type: 'work', value: 'a' }, true],
    ['type eq "work" and primary eq true', { type: 'work', primary: false }, false],
    ['value ew "@X.COM"', { value: 'a@x.com' }, true],
    ['primary pr', { value: 'a' }, false],
    ['not (type eq "home")', { value: 'a' }, true],
  ] as const)('%s on %j → %s', (text, element, expected) => {
    expect(evaluateValueFilter(filter(text), element, emails)).toBe(expected);
  });

  it('is false for elements that are not objects', () => {
    for (const element of [null, 'work', 1, ['type']])
      expect(evaluateValueFilter(filter('type pr'), element, emails)).toBe(false);
  });
});
