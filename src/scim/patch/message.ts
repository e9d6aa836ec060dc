// PatchOp request bodies (RFC 7644 §3.5.2): shape and limits; op names case-insensitive (Entra sends "Replace").
import { scimErrors } from '../errors.ts';
import { URN } from '../schema/urns.ts';

export const PATCH_LIMITS = {
  /** Operations in one PATCH request. */
  maxOperations: 100,
  /** Group member values named in one request (over all operations). */
  maxMemberValues: 1000,
} as const;

export type PatchOpName = 'add' | 'remove' | 'replace';

export interface PatchOperation {
  readonly index: number;
  readonly op: PatchOpName;
  readonly path: string | undefined;
  readonly value: unknown;
}

export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw scimErrors.invalidSyntax('the body must be a PatchOp object');
  const { schemas, Operations } = body as { schemas?: unknown; Operations?: unknown };
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.patchOp.toLowerCase())
  ) {
    throw scimErrors.invalidSyntax(`schemas must include ${URN.patchOp}`);
  }
  if (!Array.isArray(Operations) || Operations.length === 0)
    throw scimErrors.invalidSyntax('Operations must be a non-empty array');
  if (Operations.length > PATCH_LIMITS.maxOperations) {
    throw scimErrors.invalidValue(`at most ${PATCH_LIMITS.maxOperations} operations per PATCH request`);
  }
  return Operations.map((raw, index): PatchOperation => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw scimErrors.invalidSyntax(`Operations[${index}] must be an object`);
    const { op, path, value } = raw as { op?: unknown; path?: unknown; value?: unknown };
    const name = typeof op === 'string' ? op.toLowerCase() : undefined;
    if (name !== 'add' && name !== 'remove' && name !== 'replace') {
      throw scimErrors.invalidSyntax(`Operations[${index}].op must be "add", "remove" or "replace"`);
    }
    if (path !== undefined && path !== null && (typeof path !== 'string' || path.trim() === '')) {
      throw scimErrors.invalidPath(`Operations[${index}].path must be a non-empty string`);
    }
    // RFC 7644 §3.5.2.2: remove without a path fails with noTarget.
    if (name === 'remove' && (path === undefined || path === null))
      throw scimErrors.noTarget(`Operations[${index}]: remove needs a path`);
    if (name !== 'remove' && value === undefined)
      throw scimErrors.invalidValue(`Operations[${index}]: ${name} needs a value`);
    return { index, op: name, path: typeof path === 'string' ? path : undefined, value };
  });
}
