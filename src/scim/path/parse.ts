// Attribute paths (RFC 7644 §3.10 attrPath, §3.5.2 PATCH PATH): URN prefix, attribute, sub-attribute, value filter.
import { scimErrors } from '../errors.ts';
import type { PatchPath } from '../filter/ast.ts';
import type { AttrRef } from './types.ts';

/** ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA (RFC 7644 §3.10); `$ref` is allowed too. */
export function isAttrName(name: string): boolean {
  if (name === '$ref') return true;
  if (name.length === 0 || name.length > 128) return false;
  const first = name.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122))) return false;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;
    if (!ok) return false;
  }
  return true;
}

/**
 * `urn:…:User:name.givenName` → { schema: 'urn:…:User', attribute: 'name', subAttribute: 'givenName' }.
 * The URN is everything before the last ':' (attribute names cannot contain ':').
 */
export function parseAttrRef(text: string, error = scimErrors.invalidPath): AttrRef {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > 512) throw error('an attribute path must be 1-512 characters');
  let schema: string | undefined;
  let rest = trimmed;
  if (trimmed.toLowerCase().startsWith('urn:')) {
    const colon = trimmed.lastIndexOf(':');
    schema = trimmed.slice(0, colon);
    rest = trimmed.slice(colon + 1);
    if (rest.length === 0) throw error('the attribute path names a schema but no attribute');
  }
  const parts = rest.split('.');
  if (parts.length > 2) throw error('an attribute path has at most one sub-attribute');
  const [attribute, subAttribute] = parts as [string, string | undefined];
  if (!isAttrName(attribute) || (subAttribute !== undefined && !isAttrName(subAttribute))) {
    throw error('the attribute path is not a valid attribute name');
  }
  return { schema, attribute, subAttribute };
}

/** PATH = attrPath / valuePath [subAttr] (RFC 7644 §3.5.2). The value filter is parsed by the filter parser. */
export function parsePatchPath(text: string, parseFilter: (text: string) => PatchPath['valueFilter']): PatchPath {
  const open = text.indexOf('[');
  if (open === -1) return { attr: parseAttrRef(text) };
  const close = text.lastIndexOf(']');
  if (close < open) throw scimErrors.invalidPath('unbalanced "[" in the path');
  const attr = parseAttrRef(text.slice(0, open));
  if (attr.subAttribute !== undefined)
    throw scimErrors.invalidPath('a value filter follows an attribute, not a sub-attribute');
  const after = text.slice(close + 1);
  let subAttribute: string | undefined;
  if (after.length > 0) {
    if (!after.startsWith('.') || !isAttrName(after.slice(1)))
      throw scimErrors.invalidPath('only ".subAttribute" may follow a value filter');
    subAttribute = after.slice(1);
  }
  let valueFilter: PatchPath['valueFilter'];
  try {
    valueFilter = parseFilter(text.slice(open + 1, close));
  } catch (error) {
    throw scimErrors.invalidPath(`the value filter in the path is invalid: ${(error as Error).message}`);
  }
  return { attr, valueFilter, subAttribute };
}
