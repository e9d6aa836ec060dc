// SCIM request bodies: JSON in UTF-8 only, nesting depth checked before parsing so hostile input cannot recurse.
import { scimErrors } from '../../scim/errors.ts';

export const MAX_JSON_DEPTH = 32;

/** Deepest array/object nesting of a JSON text, ignoring brackets inside strings; stops early past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

const FORBIDDEN_KEYS = /"(?:__proto__|constructor|prototype)"\s*:/;

export function parseScimJson(text: string): unknown {
  if (text.length === 0) throw scimErrors.invalidSyntax('the request body is empty');
  if (text.charCodeAt(0) === 0xfeff) throw scimErrors.invalidSyntax('the request body starts with a byte order mark');
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw scimErrors.invalidSyntax(`the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw scimErrors.invalidSyntax('the request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw scimErrors.invalidSyntax('the request body must be a JSON object');
  }
  // Prototype-polluting keys are refused outright; nothing in SCIM is named like that.
  if (FORBIDDEN_KEYS.test(text)) throw scimErrors.invalidSyntax('the request body uses a reserved key name');
  return value;
}
