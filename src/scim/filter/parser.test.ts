import { describe, expect, it } from 'vitest';
import { errorOf } from '../../../test/support/scim-error.ts';
import type { FilterNode } from './ast.ts';
import { parseFilter } from './parser.ts';
import { printFilter, stripOffsets } from './print.ts';
import { ENTERPRISE as ENT } from './test-registry.ts';

const cmp = (attribute: string, op: string, value: unknown, extra: Record<string, string> = {}) => ({
  kind: 'compare',
  attr: {
    ...(extra.schema ? { schema: extra.schema } : {}),
    attribute,
    ...(extra.sub ? { subAttribute: extra.sub } : {}),
  },
  op,
  value,
});
const pr = (attribute: string) => ({ kind: 'present', attr: { attribute } });
const parsed = (text: string) => stripOffsets(parseFilter(text));

describe('parseFilter: operators, literals and names', () => {
  it.each([
    ['userName eq "bjensen"', cmp('userName', 'eq', 'bjensen')],
    ['userName ne "x"', cmp('userName', 'ne', 'x')],
    ['userName co "jen"', cmp('userName', 'co', 'jen')],
    ['userName sw "J"', cmp('userName', 'sw', 'J')],
    ['userName ew "n"', cmp('userName', 'ew', 'n')],
    ['loginCount gt 1', cmp('loginCount', 'gt', 1)],
    ['loginCount ge 1', cmp('loginCount', 'ge', 1)],
    ['loginCount lt 1', cmp('loginCount', 'lt', 1)],
    ['loginCount le 1', cmp('loginCount', 'le', 1)],
    ['title pr', pr('title')],
    ['title PR', pr('title')],
    ['userName Eq "bjensen"', cmp('userName', 'eq', 'bjensen')],
    ['USERNAME EQ "X"', cmp('USERNAME', 'eq', 'X')],
    ['active eq true', cmp('active', 'eq', true)],
    ['active ne FALSE', cmp('active', 'ne', false)],
    ['x eq null', cmp('x', 'eq', null)],
    ['score ge -1.5e3', cmp('score', 'ge', -1500)],
    ['score lt 0.25', cmp('score', 'lt', 0.25)],
    ['score lt 2E+2', cmp('score', 'lt', 200)],
    ['name.familyName co "O\'Malley"', cmp('name', 'co', "O'Malley", { sub: 'familyName' })],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', cmp('meta', 'gt', '2011-05-13T04:42:34Z', { sub: 'lastModified' })],
    [`${ENT}:employeeNumber eq "701984"`, cmp('employeeNumber', 'eq', '701984', { schema: ENT })],
    [`${ENT}:manager.value eq "x"`, cmp('manager', 'eq', 'x', { schema: ENT, sub: 'value' })],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "B"',
      cmp('name', 'eq', 'B', { schema: 'urn:ietf:params:scim:schemas:core:2.0:User', sub: 'givenName' }),
    ],
    ['members.$ref pr', { kind: 'present', attr: { attribute: 'members', subAttribute: '$ref' } }],
    ['userName  eq\t"x"', cmp('userName', 'eq', 'x')],
    ['\n userName\r\neq "x"  ', cmp('userName', 'eq', 'x')],
  ])('parses %s', (text, expected) => {
    expect(parsed(text)).toEqual(expected);
  });

  it.each([
    ['"a\\"b"', 'a"b'],
    ['"back\\\\slash"', 'back\\slash'],
    ['"\\/\\b\\f\\n\\r\\t"', '/\b\f\n\r\t'],
    ['"caf\\u00e9 \\u00E9"', 'café é'],
    ['"\\ud83d\\ude00"', '😀'],
    ['"😀 ünï"', '😀 ünï'],
    ['""', ''],
  ])('decodes the JSON string %s', (literal, value) => {
    expect(parsed(`userName eq ${literal}`)).toEqual(cmp('userName', 'eq', value));
  });

  it.each(["'; drop table users;--", ';--', '%', '_', '*', '\\', '\u0000', '" or "1"="1', 'a) or (b'])(
    'keeps the injection-looking value %j as a literal string',
    (value) => {
      expect(parsed(`userName eq ${JSON.stringify(value)}`)).toEqual(cmp('userName', 'eq', value));
    },
  );
});

describe('parseFilter: logic, precedence, value paths', () => {
  it.each([
    ['a eq 1 or b eq 2 and c eq 3', 'a eq 1 or b eq 2 and c eq 3', 'or'],
    ['a eq 1 and b eq 2 or c eq 3', 'a eq 1 and b eq 2 or c eq 3', 'or'],
    ['(a eq 1 or b eq 2) and c eq 3', '(a eq 1 or b eq 2) and c eq 3', 'and'],
    ['a eq 1 and (b eq 2 and c eq 3)', 'a eq 1 and (b eq 2 and c eq 3)', 'and'],
    ['not (a eq 1) and b pr', 'not (a eq 1) and b pr', 'and'],
    ['NOT(a eq 1)', 'not (a eq 1)', 'not'],
    ['not (a eq 1 or b eq 2)', 'not (a eq 1 or b eq 2)', 'not'],
    ['((((a pr))))', 'a pr', 'present'],
    ['a pr AND b pr OR c pr', 'a pr and b pr or c pr', 'or'],
  ])('%s', (text, printed, kind) => {
    const ast = parseFilter(text);
    expect(ast.kind).toBe(kind);
    expect(printFilter(ast)).toBe(printed);
  });

  it('binds "and" tighter than "or": a or b and c = a or (b and c)', () => {
    expect(parsed('a pr or b pr and c pr')).toEqual({
      kind: 'or',
      left: pr('a'),
      right: { kind: 'and', left: pr('b'), right: pr('c') },
    });
  });

  it('is left-associative', () => {
    expect(parsed('a pr and b pr and c pr')).toEqual({
      kind: 'and',
      left: { kind: 'and', left: pr('a'), right: pr('b') },
      right: pr('c'),
    });
  });

  it('parses the RFC 7644 §3.4.2.2 examples', () => {
    for (const text of [
      'userName eq "bjensen"',
      'name.familyName co "O\'Malley"',
      'userName sw "J"',
      'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
      'title pr',
      'meta.lastModified gt "2011-05-13T04:42:34Z"',
      'title pr and userType eq "Employee"',
      'title pr or userType eq "Intern"',
      'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
      'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      'userType eq "Employee" and (emails.type eq "work")',
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
    ]) {
      expect(() => parseFilter(text), text).not.toThrow();
    }
  });

  it('parses value paths', () => {
    expect(parsed('emails[type eq "work" and primary eq true]')).toEqual({
      kind: 'valuePath',
      attr: { attribute: 'emails' },
      filter: { kind: 'and', left: cmp('type', 'eq', 'work'), right: cmp('primary', 'eq', true) },
    });
    expect(parsed('members[value eq "2819c223"]')).toEqual({
      kind: 'valuePath',
      attr: { attribute: 'members' },
      filter: cmp('value', 'eq', '2819c223'),
    });
    expect(parsed('emails[not (type eq "home")]')).toMatchObject({ kind: 'valuePath', filter: { kind: 'not' } });
  });

  it('folds the Entra form emails[…].value eq "…" into the value filter', () => {
    expect(parsed('emails[type eq "work"].value eq "a@b.c"')).toEqual({
      kind: 'valuePath',
      attr: { attribute: 'emails' },
      filter: { kind: 'and', left: cmp('type', 'eq', 'work'), right: cmp('value', 'eq', 'a@b.c') },
    });
    expect(printFilter(parseFilter('emails[type eq "a" or type eq "b"].value pr'))).toBe(
      'emails[(type eq "a" or type eq "b") and value pr]',
    );
    expect(parsed('emails[type eq "work"].value eq "x" and active eq true')).toMatchObject({
      kind: 'and',
      left: { kind: 'valuePath' },
      right: cmp('active', 'eq', true),
    });
  });

  it.each([
    ['userName eq "guid-1234"', cmp('userName', 'eq', 'guid-1234')],
    ['externalId eq "0a1b"', cmp('externalId', 'eq', '0a1b')],
    ['displayName eq "Group One"', cmp('displayName', 'eq', 'Group One')],
  ])('parses the Entra/Okta lookup %s', (text, expected) => {
    expect(parsed(text)).toEqual(expected);
  });
});

describe('parseFilter: errors say where and what, never echo the filter', () => {
  it.each([
    ['', 'at character 1: expected an attribute path, "(" or "not"'],
    ['   ', 'at character 4: expected an attribute path, "(" or "not"'],
    ['userName eq', 'at character 12: expected a value'],
    ['userName "x"', 'at character 10: expected an operator'],
    ['userName zz "x"', 'at character 10: expected an operator'],
    ['userName', 'at character 9: expected an operator'],
    ['userName eq "x', 'at character 13: the string is not closed'],
    ['userName eq "a\\x"', 'at character 15: invalid escape'],
    ['userName eq "\\u12"', 'at character 14: expected four hex digits'],
    ['userName eq "a\tb"', 'at character 15: control characters'],
    ['(userName eq "x"', 'at character 17: expected ")" to close "("'],
    ['userName eq "x")', 'at character 16: expected "and", "or" or the end of the filter'],
    ['userName eq "x" userName', 'at character 17: expected "and", "or"'],
    ['emails[type eq "work"', 'at character 22: expected "]" to close the value filter'],
    ['emails[type eq "w"] eq "x"', 'at character 21: expected "and", "or"'],
    ['emails[type eq "w"].__x eq "x"', 'at character 21: expected a sub-attribute name'],
    ['name.givenName[x eq 1]', 'at character 15: a value filter follows an attribute'],
    ['emails[a eq 1 and x[b eq 1]]', 'at character 20: value filters cannot be nested'],
    ['__proto__ eq "x"', 'at character 1: expected an attribute path'],
    ['a.b.c eq "x"', 'at character 1: expected an attribute path'],
    ['urn:x: eq "x"', 'at character 1: expected an attribute path'],
    ['userName eq "x" and', 'at character 20: expected an attribute path'],
    ["userName eq 'x'", 'at character 13: strings are quoted with'],
    ['userName eq "x" && a pr', 'at character 17: unexpected character'],
    ['not userName eq "x"', 'at character 5: expected "(" after "not"'],
    ['a eq 1e999', 'at character 6: the number is out of range'],
    ['a eq -', 'at character 7: expected a digit'],
    ['a eq 1.', 'at character 8: expected a digit after the decimal point'],
    ['a eq 1e', 'at character 8: expected a digit in the exponent'],
    ['a eq True1', 'at character 6: expected a value'],
    ['a eq x', 'at character 6: expected a value'],
    [')', 'at character 1: expected an attribute path'],
  ])('%j → invalidFilter "%s"', (text, detail) => {
    const error = errorOf(() => parseFilter(text));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toContain(`invalid filter ${detail}`);
  });

  it('never echoes literal values or names in errors', () => {
    for (const text of ['userName eq "s3cr3t-value" and', 'userName eq "s3cr3t-value" s3cr3t', 's3cr3t eq s3cr3t']) {
      expect(errorOf(() => parseFilter(text)).detail).not.toContain('s3cr3t');
    }
  });
});

describe('parseFilter: limits', () => {
  const terms = (n: number) => Array.from({ length: n }, (_, i) => `a${i} eq ${i}`).join(' or ');
  const nest = (n: number) => `${'('.repeat(n)}a eq 1${')'.repeat(n)}`;
  const nots = (n: number) => `${'not ('.repeat(n)}a eq 1${')'.repeat(n)}`;

  it('accepts 2,048 characters and refuses 2,049', () => {
    const at = (length: number) => `userName eq "${'a'.repeat(length - 14)}"`;
    expect(at(2048)).toHaveLength(2048);
    expect(parseFilter(at(2048)).kind).toBe('compare');
    expect(errorOf(() => parseFilter(at(2049))).detail).toBe('the filter is longer than 2048 characters');
  });

  it('accepts depth 16 and refuses 17 (parentheses, not and value filters each count)', () => {
    expect(parseFilter(nest(16)).kind).toBe('compare');
    expect(parseFilter(nots(16)).kind).toBe('not');
    expect(parseFilter(`${'('.repeat(15)}emails[type pr]${')'.repeat(15)}`).kind).toBe('valuePath');
    for (const text of [nest(17), nots(17), `${'('.repeat(16)}emails[type pr]${')'.repeat(16)}`]) {
      const error = errorOf(() => parseFilter(text));
      expect(error.scimType).toBe('invalidFilter');
      expect(error.detail).toContain('nesting is deeper than 16 levels');
    }
    expect(errorOf(() => parseFilter(nest(17))).detail).toContain('at character 17:');
  });

  it('refuses 100,000 open parentheses quickly, without exhausting the stack', () => {
    const error = errorOf(() => parseFilter('('.repeat(100_000), { maxLength: 1e6, maxDepth: 16, maxTerms: 50 }));
    expect(error.detail).toContain('nesting is deeper');
  });

  it('accepts 50 comparisons and refuses 51', () => {
    expect(parseFilter(terms(50)).kind).toBe('or');
    const error = errorOf(() => parseFilter(terms(51)));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toContain('the filter has more than 50 comparisons');
    // The Entra tail counts as a comparison.
    expect(() => parseFilter(`${terms(49)} or emails[type pr].value pr`)).toThrow('more than 50');
  });

  it('takes custom limits', () => {
    expect(() => parseFilter('a pr and b pr', { maxLength: 100, maxDepth: 1, maxTerms: 1 })).toThrow('more than 1');
  });
});

describe('parseFilter: output', () => {
  it('returns frozen nodes with offsets of each term', () => {
    const ast = parseFilter('  a pr and emails[type eq "x"]') as FilterNode & { kind: 'and' };
    expect(Object.isFrozen(ast)).toBe(true);
    expect(ast.left).toMatchObject({ kind: 'present', offset: 2 });
    expect(ast.right).toMatchObject({ kind: 'valuePath', offset: 11, filter: { offset: 18 } });
    expect(Object.isFrozen((ast.left as { attr: object }).attr)).toBe(true);
  });
});
