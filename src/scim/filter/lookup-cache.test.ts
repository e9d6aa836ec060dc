// The per-shape lookup cache answers exactly what parseFilter + checkFilter answer — the same node or the same
// error — whatever the attribute's spelling and type and whatever the value, seen first or later.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScimError } from '../errors.ts';
import { checkFilter } from './check.ts';
import { parseCheckedFilter } from './lookup-cache.ts';
import { parseFilter } from './parser.ts';
import { ENTERPRISE, testRegistry, USER } from './test-registry.ts';

const ATTRIBUTES = [
  'userName',
  'USERNAME',
  'externalId',
  'id',
  'name.givenName',
  'emails',
  'emails.value',
  `${USER}:userName`,
  `${ENTERPRISE}:employeeNumber`,
  `${ENTERPRISE}:manager`,
  'meta.lastModified', // a dateTime: its check depends on the value
  'active', // a boolean: a string value is an error
  'loginCount', // an integer
  'password', // never returned: 403 sensitive
  'nosuch',
  'groups.value',
];
const VALUES = ['bob', 'BOB', '', '2026-01-01T00:00:00Z', 'not a date', 'x"y', '😀', 'a\\u0041'];

/** The answer as data: the checked node, or the error's type and detail. */
function outcome(run: () => unknown): unknown {
  try {
    return { node: run() };
  } catch (error) {
    if (!(error instanceof ScimError)) throw error;
    return { error: [error.scimType, error.message] };
  }
}

describe('parseCheckedFilter', () => {
  it('equals parseFilter + checkFilter for lookups, first sight and cached', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ATTRIBUTES),
        fc.constantFrom('eq', 'EQ', 'Eq', 'ne', 'co'),
        fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 8 })),
        fc.constantFrom('User', 'Group'),
        fc.constantFrom(' ', '  ', '\t'),
        (attribute, op, value, type, space) => {
          const text = `${attribute}${space}${op} ${JSON.stringify(value)}`;
          const expected = outcome(() => checkFilter(parseFilter(text), type, testRegistry));
          expect(outcome(() => parseCheckedFilter(text, type, testRegistry))).toEqual(expected);
          expect(outcome(() => parseCheckedFilter(text, type, testRegistry))).toEqual(expected);
        },
      ),
      { numRuns: 3_000, seed: 14 },
    );
  });

  it('leaves other filters and malformed text to the parser', () => {
    for (const text of ['userName eq "a" and active eq true', 'userName eq', 'userName eq "a', 'x'.repeat(3000)]) {
      expect(outcome(() => parseCheckedFilter(text, 'User', testRegistry))).toEqual(
        outcome(() => checkFilter(parseFilter(text), 'User', testRegistry)),
      );
    }
  });
});
