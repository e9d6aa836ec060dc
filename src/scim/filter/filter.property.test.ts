// Security test plan Z1: grammar-generated filters round-trip through print/parse; any string is answered with
// an AST or an invalidFilter ScimError, quickly. 110,000 runs in all in CI (about 3 s); FILTER_PROPERTY_SCALE=100
// gives the nightly 10^7.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScimError } from '../errors.ts';
import type { AttrRef } from '../path/types.ts';
import type { CompareOperator, FilterLiteral, FilterNode } from './ast.ts';
import { checkFilter } from './check.ts';
import { evaluateFilter } from './evaluate.ts';
import { parseFilter } from './parser.ts';
import { printFilter, stripOffsets } from './print.ts';
import { ENTERPRISE, testRegistry, USER } from './test-registry.ts';

const LOOSE = { maxLength: 1_000_000, maxDepth: 1_000, maxTerms: 100_000 };
const SCALE = Number(process.env.FILTER_PROPERTY_SCALE ?? 1);
const runs = (n: number) => Math.round(n * SCALE);
const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const OPS: CompareOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

// ATTRNAME = ALPHA *(nameChar); "not" is reserved by the parser (it always starts "not (").
const attrName = fc
  .tuple(fc.constantFrom(...ALPHA), fc.string({ unit: fc.constantFrom(...`${ALPHA}0123456789-_`), maxLength: 10 }))
  .map(([first, rest]) => first + rest)
  .filter((name) => name.toLowerCase() !== 'not');
const name = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('userName', 'displayName', 'externalId', 'emails', 'members', 'active') },
  { weight: 2, arbitrary: attrName },
  { weight: 1, arbitrary: fc.constant('$ref') },
);
const urn = fc.oneof(
  fc.constantFrom(USER, ENTERPRISE),
  fc
    .array(fc.string({ unit: fc.constantFrom(...`${ALPHA}0123456789.-_`), minLength: 1, maxLength: 6 }), {
      minLength: 1,
      maxLength: 5,
    })
    .map((segments) => `urn:${segments.join(':')}`),
);
const ref = (withSchema: boolean): fc.Arbitrary<AttrRef> =>
  fc
    .record({
      schema: withSchema ? fc.option(urn, { nil: undefined }) : fc.constant(undefined),
      attribute: attrName,
      subAttribute: withSchema ? fc.option(name, { nil: undefined }) : fc.constant(undefined),
    })
    .map(({ schema, attribute, subAttribute }) => ({
      ...(schema === undefined ? {} : { schema }),
      attribute,
      ...(subAttribute === undefined ? {} : { subAttribute }),
    }));
const literal: fc.Arbitrary<FilterLiteral> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom("'; drop table users;--", '%', '_', '*', '\\', '\u0000', '"', ']', ')'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const op = fc.constantFrom(...OPS);

function ast(topLevel: boolean): fc.Arbitrary<FilterNode> {
  const leaf = fc.oneof(
    fc.record({
      kind: fc.constant('compare' as const),
      attr: ref(topLevel),
      op,
      value: literal,
      offset: fc.constant(0),
    }),
    fc.record({ kind: fc.constant('present' as const), attr: ref(topLevel), offset: fc.constant(0) }),
  );
  return fc.letrec<{ node: FilterNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('node'), right: tie('node') }),
      fc.record({ kind: fc.constant('not' as const), filter: tie('node') }),
      ...(topLevel
        ? [
            fc.record({
              kind: fc.constant('valuePath' as const),
              attr: ref(false),
              filter: ast(false),
              offset: fc.constant(0),
            }),
          ]
        : []),
    ),
  })).node;
}

// Text shapes Entra ID and Okta send (shared/reference/idp-behaviour.md), with noise in spacing and case.
const space = fc.constantFrom(' ', '  ', '\t', ' \t ');
const kw = (word: string) => fc.constantFrom(word, word.toUpperCase(), word[0]!.toUpperCase() + word.slice(1));
const str = fc.string({ maxLength: 16 }).map((s) => JSON.stringify(s));
const idpText = fc.oneof(
  fc
    .tuple(fc.constantFrom('userName', 'externalId', 'displayName', 'id'), space, kw('eq'), space, str)
    .map((p) => p.join('')),
  fc
    .tuple(space, kw('eq'), space, str, space, kw('eq'), space, str)
    .map(([a, e1, b, t, c, e2, d, v]) => `emails[type${a}${e1}${b}${t}].value${c}${e2}${d}${v}`),
  fc.tuple(kw('eq'), str).map(([e, v]) => `members[value ${e} ${v}]`),
  fc.tuple(str, kw('and'), str).map(([a, k, b]) => `emails[type eq ${a} ${k} primary eq true].value eq ${b}`),
  fc.tuple(str, kw('or'), str).map(([a, k, b]) => `userName eq ${a} ${k} externalId eq ${b}`),
  str.map((v) => `${ENTERPRISE}:employeeNumber eq ${v}`),
  str.map((v) => `${ENTERPRISE}:manager.value eq ${v}`),
);

function expectInvalidFilter(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError);
    expect((error as ScimError).scimType).toBe('invalidFilter');
  }
}

describe('filter properties (Z1)', () => {
  it('parse(print(ast)) equals ast, offsets aside (40,000 grammar-generated ASTs)', () => {
    fc.assert(
      fc.property(ast(true), (node) => {
        expect(stripOffsets(parseFilter(printFilter(node), LOOSE))).toEqual(stripOffsets(node));
      }),
      { numRuns: runs(40_000) },
    );
  });

  it('Entra/Okta shapes parse, and re-parse identically from their printed form (10,000)', () => {
    fc.assert(
      fc.property(idpText, (text) => {
        const node = parseFilter(text);
        expect(stripOffsets(parseFilter(printFilter(node)))).toEqual(stripOffsets(node));
      }),
      { numRuns: runs(10_000) },
    );
  });

  // CPU time, not wall time: the bound is about the parser's work, and the suite shares two cores with other test
  // files (ADR 0047), whose load stretches wall time while this process waits to be scheduled.
  const durations: number[] = [];
  const timed = (text: string) => {
    const start = process.cpuUsage();
    expectInvalidFilter(() => parseFilter(text));
    const spent = process.cpuUsage(start);
    durations.push((spent.user + spent.system) / 1000);
  };

  it('answers any string with an AST or invalidFilter, nothing else (30,000)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.string({ unit: fc.constantFrom(...'()[]"\\ .:$-_aenotrqp0123456789eE+'), maxLength: 60 }),
        ),
        timed,
      ),
      { numRuns: runs(30_000) },
    );
  });

  it('answers mutated valid filters with an AST or invalidFilter, nothing else (20,000), each within 10 ms', () => {
    const valid = fc.oneof(ast(true).map(printFilter), idpText);
    const mutated = fc
      .tuple(
        valid,
        fc.nat(),
        fc.nat({ max: 4 }),
        fc.string({ unit: fc.constantFrom(...'()[]" \\.:urn'), maxLength: 3 }),
      )
      .map(([f, at, drop, insert]) => {
        const i = at % (f.length + 1);
        return f.slice(0, i) + insert + f.slice(i + drop);
      });
    fc.assert(fc.property(mutated, timed), { numRuns: runs(20_000) });
    // Over both suites of arbitrary input: 99.9 % within 10 ms, none beyond 250 ms (a GC pause, not the parser).
    const sorted = [...durations].sort((x, y) => x - y);
    expect(sorted.length).toBeGreaterThanOrEqual(runs(50_000));
    expect(sorted[Math.floor(sorted.length * 0.999)]).toBeLessThan(10);
    expect(sorted.at(-1)).toBeLessThan(250);
  });

  it('checkFilter answers with an AST or a ScimError, and evaluateFilter never throws (10,000)', () => {
    const resource = {
      schemas: [USER, ENTERPRISE],
      userName: 'Ann',
      active: true,
      emails: [{ value: 'a@x', type: 'work', primary: true }],
      [ENTERPRISE]: { employeeNumber: '1', manager: { value: 'm' } },
    };
    fc.assert(
      fc.property(fc.oneof(idpText, ast(true).map(printFilter)), (text) => {
        let checked: FilterNode;
        try {
          checked = checkFilter(parseFilter(text, LOOSE), 'User', testRegistry);
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
          return;
        }
        expect(typeof evaluateFilter(checked, resource, testRegistry, 'User')).toBe('boolean');
      }),
      { numRuns: runs(10_000) },
    );
  });
});
