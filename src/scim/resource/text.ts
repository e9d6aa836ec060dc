// Which strings may be stored: no NUL, lone surrogates or control characters; userName also no invisible tricks.
import { scimErrors } from '../errors.ts';

function badCharacter(value: string, strictInvisible: boolean): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'a lone surrogate';
      i++;
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return 'a lone surrogate';
    if (c === 0) return 'a NUL character';
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f || (c >= 0x80 && c <= 0x9f))
      return 'a control character';
    if (strictInvisible) {
      // Bidi overrides and zero-width characters let two userNames look identical while differing.
      if (
        (c >= 0x202a && c <= 0x202e) ||
        (c >= 0x2066 && c <= 0x2069) ||
        (c >= 0x200b && c <= 0x200d) ||
        c === 0xfeff
      ) {
        return 'an invisible or direction-changing character';
      }
      if (c === 9 || c === 10 || c === 13) return 'a control character';
    }
  }
  return undefined;
}

export function checkText(value: string, path: string, maxLength: number, strictInvisible = false): void {
  if (value.length > maxLength) throw scimErrors.invalidValue(`${path} is longer than ${maxLength} characters`);
  const bad = badCharacter(value, strictInvisible);
  if (bad) throw scimErrors.invalidValue(`${path} contains ${bad}`);
}
