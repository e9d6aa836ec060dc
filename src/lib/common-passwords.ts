// The common-password blocklist (NIST SP 800-63B §5.1.1.2, ADR 0041): common-passwords.txt holds the 17,950
// distinct entries of 8 characters or more (shorter ones fail the length rule anyway), lower-cased, from the
// frequency-ranked list shipped in @zxcvbn-ts/language-common 3.0.4 (passwords.json, MIT; itself drawn from public
// breach corpora). Compared case-insensitively after NFC.
import { readFileSync } from 'node:fs';

let list: ReadonlySet<string> | undefined;

function load(): ReadonlySet<string> {
  list ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line !== ''),
  );
  return list;
}

export function isCommonPassword(password: string): boolean {
  return load().has(password.normalize('NFC').toLowerCase());
}

export function commonPasswordCount(): number {
  return load().size;
}
