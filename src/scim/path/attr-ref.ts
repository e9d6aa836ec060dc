// Attribute names and references (RFC 7644 §3.10 attrPath): `[URI ":"] ATTRNAME ["." subAttr]`, hand-scanned.
import { scimErrors } from '../errors.ts';
import type { AttrRef } from './types.ts';

/** Longest attribute path accepted, URN prefix included. */
export const MAX_ATTR_PATH_LENGTH = 512;
/** Longest single attribute name accepted. */
export const MAX_ATTR_NAME_LENGTH = 128;

const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * RFC 7644 §3.10: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA; `$ref` (RFC 7643 §2.3.7)
 * too. So `__proto__`, `constructor.x` with a leading `_`, and anything with spaces or quotes are not names.
 */
export function isAttrName(name: string): boolean {
  if (name === '$ref') return true;
  if (name.length === 0 || name.length > MAX_ATTR_NAME_LENGTH) return false;
  if (!isAlpha(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isAlpha(c) || isDigit(c) || c === 45 || c === 95)) return false;
  }
  return true;
}

/** A schema URN as Roster accepts it: `urn:` then ALPHA / DIGIT / "-" / "." / "_" / ":", no empty segment. */
function isSchemaUrn(urn: string): boolean {
  if (urn.length <= 4 || urn.slice(0, 4).toLowerCase() !== 'urn:') return false;
  let previous = 58;
  for (let i = 4; i < urn.length; i++) {
    const c = urn.charCodeAt(i);
    if (!(isAlpha(c) || isDigit(c) || c === 45 || c === 46 || c === 95 || c === 58)) return false;
    if (c === 58 && previous === 58) return false;
    previous = c;
  }
  return previous !== 58;
}

/** Builds a frozen AttrRef without `undefined` keys (so deep equality never trips on absent vs undefined). */
export function attrRef(attribute: string, schema?: string, subAttribute?: string): AttrRef {
  const ref: { schema?: string; attribute: string; subAttribute?: string } =
    schema === undefined ? { attribute } : { schema, attribute };
  if (subAttribute !== undefined) ref.subAttribute = subAttribute;
  return Object.freeze(ref);
}

/**
 * `urn:…:User:name.givenName` → { schema: 'urn:…:User', attribute: 'name', subAttribute: 'givenName' }.
 * The URN is everything before the last ':' (attribute names cannot contain ':'). Surrounding whitespace is
 * ignored. `error` picks the scimType (invalidPath for PATCH, invalidFilter, invalidValue for attributes=).
 * Details name what was wrong, never the text itself.
 */
export function parseAttrRef(text: string, error: (detail: string) => Error = scimErrors.invalidPath): AttrRef {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw error('the attribute path is empty');
  if (trimmed.length > MAX_ATTR_PATH_LENGTH)
    throw error(`the attribute path is longer than ${MAX_ATTR_PATH_LENGTH} characters`);
  let schema: string | undefined;
  let rest = trimmed;
  if (trimmed.slice(0, 4).toLowerCase() === 'urn:') {
    const colon = trimmed.lastIndexOf(':');
    schema = trimmed.slice(0, colon);
    rest = trimmed.slice(colon + 1);
    if (rest.length === 0) throw error('the attribute path names a schema but no attribute');
    if (!isSchemaUrn(schema)) throw error('the attribute path has a malformed schema URN');
  }
  const dot = rest.indexOf('.');
  const attribute = dot === -1 ? rest : rest.slice(0, dot);
  const subAttribute = dot === -1 ? undefined : rest.slice(dot + 1);
  if (!isAttrName(attribute)) throw error('the attribute path does not start with a valid attribute name');
  if (subAttribute !== undefined) {
    if (subAttribute.includes('.')) throw error('an attribute path has at most one sub-attribute');
    if (!isAttrName(subAttribute)) throw error('the sub-attribute is not a valid attribute name');
  }
  return attrRef(attribute, schema, subAttribute);
}
