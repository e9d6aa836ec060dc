import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScimError } from '../errors.ts';
import type { FilterNode } from './ast.ts';
import { parseFilter } from './parser.ts';
import { printFilter } from './print.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function strip(node: FilterNode): unknown {
  switch (node.kind) {
    case 'compare':
    case 'present': {
      const { offset: _o, ...rest } = node;
      return rest;
    }
    case 'and':
    case 'or':
      return { kind: node.kind, left: strip(node.left), right: strip(node.right) };
    case 'not':
      return { kind: 'not', filter: strip(node.filter) };
    case 'valuePath':
      return { kind: 'valuePath', attr: node.attr, filter: strip(node.filter) };
  }
}

const cmp = (attribute: string, op: string, value: unknown, extra: Record<string, unknown> = {}) => ({
  kind: 'compare',
  attr: { schema: undefined, attribute, subAttribute: undefined, ...extra },
  op,
  value,
});

describe('parseFilter', () => {
  it.each([
    ['userName eq "bjensen"', cmp('userName', 'eq', 'bjensen')],
    ['userName Eq "bjensen"', cmp('userName', 'eq', 'bjensen')],
    ['name.familyName co "O\'Malley"', cmp('name', 'co', "O'Malley", { subAttribute: 'familyName' })],
    [
      'meta.lastModified gt "2011-05-13T04:42:34Z"',
      cmp('meta', 'gt', '2011-05-13T04:42:34Z', { subAttribute: 'lastModified' }),
    ],
    [`${ENT}:employeeNumber eq "701984"`, cmp('employeeNumber', 'eq', '701984', { schema: ENT })],
    [`${ENT}:manager.value eq "x"`, cmp('manager', 'eq', 'x', { schema: ENT, subAttribute: 'value' })],
    ['active eq true', cmp('active', 'eq', true)],
    ['active ne FALSE', cmp('active', 'ne', false)],
    ['x eq null', cmp('x', 'eq', null)],
    ['x ge -1.5e3', cmp('x', 'ge', -1500)],
    ['title pr', { kind: 'present', attr: { schema: undefined, attribute: 'title', subAttribute: undefined } }],
    ['userName eq "a\\"b\\\\c\\u00e9"', cmp('userName', 'eq', 'a"b\\cé')],
    ['userName  eq\t"x"', cmp('userName', 'eq', 'x')],
  ])('parses %s', (text, expected) => {
    expect(strip(parseFilter(text))).toEqual(expected);
  });

  it('gives not > and > or precedence, and honours parentheses', () => {
    expect(printFilter(parseFilter('a eq 1 or b eq 2 and c eq 3'))).toBe('(a eq 1 or (b eq 2 and c eq 3))');
    expect(printFilter(parseFilter('(a eq 1 or b eq 2) and c eq 3'))).toBe('((a eq 1 or b eq 2) and c eq 3)');
    expect(printFilter(parseFilter('not (a eq 1) and b pr'))).toBe('(not (a eq 1) and b pr)');
    expect(
      printFilter(parseFilter('userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")')),
    ).toBe('(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))');
  });

  it('parses value paths, including the Entra form with a trailing sub-attribute comparison', () => {
    expect(printFilter(parseFilter('emails[type eq "work" and value co "@example.com"]'))).toBe(
      'emails[(type eq "work" and value co "@example.com")]',
    );
    expect(printFilter(parseFilter('emails[type eq "work"].value eq "a@b.c"'))).toBe(
      'emails[(type eq "work" and value eq "a@b.c")]',
    );
    expect(printFilter(parseFilter('members[value eq "2819c223"]'))).toBe('members[value eq "2819c223"]');
  });

  it.each([
    ['', 'empty'],
    ['userName eq', 'expected a value'],
    ['userName "x"', 'operator'],
    ['userName eq "x', 'not closed'],
    ['(userName eq "x"', 'expected ")"'],
    ['userName eq "x")', 'end of the filter'],
    ['emails[type eq "work"', 'expected "]"'],
    ['userName zz "x"', 'operator'],
    ['__proto__ eq "x"', 'attribute name'],
    ['userName eq "x" and', 'attribute name'],
    ["userName eq 'x'", 'unexpected character'],
    ['not userName eq "x"', 'expected "("'],
    ['a eq 1e999', 'out of range'],
  ])('rejects %j as invalidFilter, saying where', (text, message) => {
    try {
      parseFilter(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScimError);
      expect((error as ScimError).scimType).toBe('invalidFilter');
      expect((error as ScimError).detail).toContain(message);
    }
  });

  it('never echoes literal values in errors', () => {
    expect(() => parseFilter('userName eq "s3cr3t-value" and')).toThrow(
      expect.objectContaining({ detail: expect.not.stringContaining('s3cr3t') }),
    );
  });

  it('enforces length, depth and term limits', () => {
    expect(() => parseFilter(`userName eq "${'a'.repeat(2040)}"`)).toThrow('longer than 2048');
    expect(() => parseFilter(`${'('.repeat(17)}a eq 1${')'.repeat(17)}`)).toThrow('nesting deeper than 16');
    expect(parseFilter(`${'('.repeat(16)}a eq 1${')'.repeat(16)}`).kind).toBe('compare');
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `a${i} eq ${i}`).join(' or ');
    expect(() => parseFilter(terms(51))).toThrow('more than 50 comparisons');
    expect(parseFilter(terms(50)).kind).toBe('or');
  });

  it('keeps injection-looking values as literal strings', () => {
    for (const value of ["'; drop table users;--", '%', '_', '*', '\\', '\u0000']) {
      const node = parseFilter(`userName eq ${JSON.stringify(value)}`);
      expect(node.kind === 'compare' && node.value).toBe(value);
    }
  });
});

describe('parseFilter properties', () => {
  const name = fc.constantFrom(
    'userName',
    'displayName',
    'active',
    'emails.value',
    'name.givenName',
    `${ENT}:employeeNumber`,
    'title',
  );
  const literal = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.boolean(),
    fc.integer({ min: -1000, max: 1000 }),
    fc.constant(null),
  );
  const op = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le');
  const filter: fc.Arbitrary<string> = fc.letrec<{ f: string }>((tie) => ({
    f: fc.oneof(
      { maxDepth: 4 },
      fc.tuple(name, op, literal).map(([n, o, v]) => `${n} ${o} ${JSON.stringify(v)}`),
      name.map((n) => `${n} pr`),
      fc.tuple(tie('f'), tie('f')).map(([a, b]) => `(${a} and ${b})`),
      fc.tuple(tie('f'), tie('f')).map(([a, b]) => `(${a} or ${b})`),
      tie('f').map((a) => `not (${a})`),
      fc
        .tuple(fc.constantFrom('type', 'value', 'primary'), op, literal)
        .map(([n, o, v]) => `emails[${n} ${o} ${JSON.stringify(v)}]`),
    ),
  })).f;

  it('round-trips: parse(print(parse(f))) equals parse(f)', () => {
    fc.assert(
      fc.property(filter, (text) => {
        const ast = parseFilter(text);
        expect(strip(parseFilter(printFilter(ast)))).toEqual(strip(ast));
      }),
      { numRuns: 3000 },
    );
  });

  it('answers any input with an AST or an invalidFilter error, nothing else', () => {
    const mutated = fc
      .tuple(filter, fc.nat(), fc.string({ maxLength: 3 }))
      .map(([f, i, s]) => f.slice(0, i % (f.length + 1)) + s + f.slice(i % (f.length + 1)));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), mutated),
        (text) => {
          try {
            parseFilter(text);
          } catch (error) {
            expect(error).toBeInstanceOf(ScimError);
            expect((error as ScimError).scimType).toBe('invalidFilter');
          }
        },
      ),
      { numRuns: 10000 },
    );
  });
});
