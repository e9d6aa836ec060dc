// Attribute paths: `attributes=`, `sortBy`, filter attribute paths (RFC 7644 §3.10) and PATCH paths (§3.5.2).
import { ScimError, scimErrors } from '../errors.ts';
import type { FilterNode, PatchPath } from '../filter/ast.ts';
import { FILTER_LIMITS, type FilterLimits } from '../filter/limits.ts';
import { parseBracketedFilter } from '../filter/parser.ts';
import { isAttrName, parseAttrRef } from './attr-ref.ts';

export { attrRef, isAttrName, parseAttrRef } from './attr-ref.ts';

/**
 * PATH = attrPath / valuePath [subAttr] (RFC 7644 §3.5.2), e.g. `name.givenName`, `members[value eq "2819c223"]`,
 * `emails[type eq "work"].value`, `urn:…:enterprise:2.0:User:manager`. The value filter is parsed by the filter
 * parser (offsets relative to the path); every error is invalidPath and never echoes the path.
 *
 * The second argument may still be a filter-parsing callback (the former signature); it is ignored.
 */
export function parsePatchPath(
  text: string,
  limits: FilterLimits | ((text: string) => FilterNode | undefined) = FILTER_LIMITS,
): PatchPath {
  if (typeof text !== 'string') throw scimErrors.invalidPath('the path must be a string');
  const open = text.indexOf('[');
  if (open === -1) return Object.freeze({ attr: parseAttrRef(text) });

  const attr = parseAttrRef(text.slice(0, open));
  if (attr.subAttribute !== undefined)
    throw scimErrors.invalidPath('a value filter follows an attribute, not a sub-attribute');
  let parsed: { readonly filter: FilterNode; readonly after: number };
  try {
    parsed = parseBracketedFilter(text, open, typeof limits === 'function' ? FILTER_LIMITS : limits);
  } catch (error) {
    if (error instanceof ScimError)
      throw scimErrors.invalidPath(`the value filter of the path is invalid: ${error.detail}`);
    throw error;
  }
  const rest = text.slice(parsed.after).trimEnd();
  if (rest.length === 0) return Object.freeze({ attr, valueFilter: parsed.filter });
  const sub = rest.slice(1);
  if (rest.charCodeAt(0) !== 46 || !isAttrName(sub))
    throw scimErrors.invalidPath(`only ".subAttribute" may follow the value filter (character ${parsed.after + 1})`);
  return Object.freeze({ attr, valueFilter: parsed.filter, subAttribute: sub });
}
