import { describe, expect, it } from 'vitest';
import { ScimError } from '../errors.ts';
import { PATCH_LIMITS } from './limits.ts';
import { parsePatchRequest } from './message.ts';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const body = (Operations: unknown) => ({ schemas: [PATCH], Operations });

function error(run: () => unknown): { scimType: string | undefined; detail: string } {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(ScimError);
    return { scimType: (e as ScimError).scimType, detail: (e as ScimError).detail };
  }
  throw new Error('expected a ScimError');
}

describe('parsePatchRequest', () => {
  it('accepts every op spelling the IdPs send and keeps the index', () => {
    expect(
      parsePatchRequest(
        body([
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'ADD', value: { nickName: 'B' } },
          { op: 'remove', path: ' members[value eq "1"] ' },
          { op: 'Remove', path: 'members', value: [{ $ref: null, value: '1' }] },
          { op: 'replace', path: null, value: { active: false } },
        ]),
      ),
    ).toEqual([
      { index: 0, op: 'replace', path: 'active', value: 'False' },
      { index: 1, op: 'add', path: undefined, value: { nickName: 'B' } },
      { index: 2, op: 'remove', path: 'members[value eq "1"]', value: undefined },
      { index: 3, op: 'remove', path: 'members', value: [{ $ref: null, value: '1' }] },
      { index: 4, op: 'replace', path: undefined, value: { active: false } },
    ]);
  });

  it.each([
    ['not an object', [], 'invalidSyntax', 'the body must be a PatchOp object'],
    ['no schemas', { Operations: [] }, 'invalidSyntax', `schemas must include ${PATCH}`],
    ['wrong schema', { schemas: ['urn:x'], Operations: [] }, 'invalidSyntax', `schemas must include ${PATCH}`],
    ['no Operations', { schemas: [PATCH] }, 'invalidSyntax', 'Operations must be a non-empty array'],
    ['empty Operations', body([]), 'invalidSyntax', 'Operations must be a non-empty array'],
    ['op not an object', body([{ op: 'add', value: {} }, 'x']), 'invalidSyntax', 'Operations[1] must be an object'],
    [
      'unknown op',
      body([{ op: 'move', path: 'a' }]),
      'invalidSyntax',
      'Operations[0]: op must be "add", "remove" or "replace"',
    ],
    [
      'empty path',
      body([{ op: 'add', path: ' ', value: 1 }]),
      'invalidPath',
      'Operations[0]: path must be a non-empty string',
    ],
    [
      'numeric path',
      body([{ op: 'add', path: 3, value: 1 }]),
      'invalidPath',
      'Operations[0]: path must be a non-empty string',
    ],
    ['remove without path', body([{ op: 'Remove' }]), 'noTarget', 'Operations[0]: remove needs a path'],
    ['add without value', body([{ op: 'add', path: 'title' }]), 'invalidValue', 'Operations[0]: add needs a value'],
    [
      '101 operations (M8)',
      body(Array.from({ length: 101 }, () => ({ op: 'add', path: 'title', value: 'x' }))),
      'invalidValue',
      'at most 100 operations per PATCH request',
    ],
  ])('%s', (_name, input, scimType, detail) => {
    expect(error(() => parsePatchRequest(input))).toEqual({ scimType, detail });
  });

  it('takes its limits as a parameter', () => {
    expect(PATCH_LIMITS).toEqual({ maxOperations: 100, maxMemberValues: 1000 });
    const two = body([
      { op: 'add', path: 'title', value: 'x' },
      { op: 'add', path: 'title', value: 'y' },
    ]);
    expect(parsePatchRequest(two)).toHaveLength(2);
    expect(error(() => parsePatchRequest(two, { ...PATCH_LIMITS, maxOperations: 1 }))).toEqual({
      scimType: 'invalidValue',
      detail: 'at most 1 operations per PATCH request',
    });
  });
});
