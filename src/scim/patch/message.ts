// PatchOp request bodies (RFC 7644 §3.5.2): message shape and limits; op names case-insensitive (Entra sends "Replace").
import { scimErrors } from '../errors.ts';
import { URN } from '../schema/urns.ts';
import { PATCH_LIMITS, type PatchLimits } from './limits.ts';

export type PatchOpName = 'add' | 'remove' | 'replace';

/** One operation as sent, shape-checked only: `path` is still text, `value` still the IdP's JSON. */
export interface PatchOperation {
  /** Position in `Operations`, named in every error about it. */
  readonly index: number;
  readonly op: PatchOpName;
  readonly path: string | undefined;
  readonly value: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function parsePatchRequest(body: unknown, limits: PatchLimits = PATCH_LIMITS): PatchOperation[] {
  if (!isObject(body)) throw scimErrors.invalidSyntax('the body must be a PatchOp object');
  const { schemas, Operations } = body;
  // RFC 7644 §3.5.2: the body MUST carry the PatchOp schema URI.
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.patchOp.toLowerCase())
  )
    throw scimErrors.invalidSyntax(`schemas must include ${URN.patchOp}`);
  if (!Array.isArray(Operations) || Operations.length === 0)
    throw scimErrors.invalidSyntax('Operations must be a non-empty array');
  // RFC 7644 has no scimType for "too many operations"; tooMany is about filters (§3.12), so this is invalidValue.
  if (Operations.length > limits.maxOperations)
    throw scimErrors.invalidValue(`at most ${limits.maxOperations} operations per PATCH request`);
  return Operations.map((raw: unknown, index): PatchOperation => {
    const at = `Operations[${index}]`;
    if (!isObject(raw)) throw scimErrors.invalidSyntax(`${at} must be an object`);
    const { op, path, value } = raw;
    const name = typeof op === 'string' ? op.toLowerCase() : undefined;
    // RFC 7644 §3.12: a request body the server cannot make sense of is invalidSyntax.
    if (name !== 'add' && name !== 'remove' && name !== 'replace')
      throw scimErrors.invalidSyntax(`${at}: op must be "add", "remove" or "replace"`);
    if (path !== undefined && path !== null && (typeof path !== 'string' || path.trim() === ''))
      throw scimErrors.invalidPath(`${at}: path must be a non-empty string`);
    // RFC 7644 §3.5.2.2: if "path" is unspecified, the remove operation fails with noTarget.
    if (name === 'remove' && typeof path !== 'string') throw scimErrors.noTarget(`${at}: remove needs a path`);
    // RFC 7644 §3.5.2.1/§3.5.2.3: add and replace carry a "value".
    if (name !== 'remove' && value === undefined) throw scimErrors.invalidValue(`${at}: ${name} needs a value`);
    return { index, op: name, path: typeof path === 'string' ? path.trim() : undefined, value };
  });
}
