// The ScimError a call throws, failing the test if it throws nothing
// or anything else.
import { expect } from 'vitest';
import { ScimError } from '../../src/scim/errors.ts';

export function errorOf(run: () => unknown): ScimError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError);
    return error as ScimError;
  }
  return expect.unreachable('expected a ScimError');
}
