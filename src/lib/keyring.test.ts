import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  decryptSecret,
  digestSecret,
  encryptSecret,
  generateKeyText,
  parseKeyring,
  sealedKeyId,
  verifySecret,
} from './keyring.ts';

describe('keyring', () => {
  it('parses id:key lists with the first key active, and a bare key as k1', () => {
    const a = generateKeyText('a');
    const b = generateKeyText('b');
    const ring = parseKeyring(`${a}, ${b}`);
    expect(ring.active.id).toBe('a');
    expect([...ring.keys.keys()]).toEqual(['a', 'b']);
    expect(parseKeyring(b.slice(2)).active.id).toBe('k1');
  });

  it.each([
    ['', 'no secret key'],
    ['k1:c2hvcnQ=', '32 bytes'],
    [`bad id!:${Buffer.alloc(32).toString('base64')}`, 'key id'],
    [`x:${Buffer.alloc(32).toString('base64')},x:${Buffer.alloc(32, 1).toString('base64')}`, 'twice'],
  ])('rejects %j', (text, message) => {
    expect(() => parseKeyring(text)).toThrow(message);
  });

  it('verifies digests in constant time and only with the right secret', () => {
    const ring = parseKeyring(generateKeyText());
    const d = digestSecret(ring, 'secret-value');
    expect(d.digest).not.toContain('secret-value');
    expect(verifySecret(ring, 'secret-value', d)).toBe(true);
    expect(verifySecret(ring, 'secret-valuf', d)).toBe(false);
    expect(verifySecret(ring, 'secret-value', { ...d, keyId: 'gone' })).toBe(false);
  });

  it('keeps digests and ciphertexts of an older key usable after rotation', () => {
    const old = generateKeyText('old');
    const before = parseKeyring(old);
    const digest = digestSecret(before, 's3cret');
    const sealed = encryptSecret(before, 'client-secret', 'ctx');
    const after = parseKeyring(`${generateKeyText('new')},${old}`);
    expect(verifySecret(after, 's3cret', digest)).toBe(true);
    expect(decryptSecret(after, sealed, 'ctx')).toBe('client-secret');
    expect(sealedKeyId(encryptSecret(after, 'x', 'ctx'))).toBe('new');
  });

  it('binds ciphertexts to their context: moved to another row, they fail closed', () => {
    const ring = parseKeyring(generateKeyText());
    const sealed = encryptSecret(ring, 'client-secret', 'sso:tenant-a:1');
    expect(sealed).not.toContain('client-secret');
    expect(encryptSecret(ring, 'client-secret', 'sso:tenant-a:1')).not.toBe(sealed); // random nonce
    expect(() => decryptSecret(ring, sealed, 'sso:tenant-b:1')).toThrow(DecryptionError);
    expect(() => decryptSecret(parseKeyring(generateKeyText()), sealed, 'sso:tenant-a:1')).toThrow(DecryptionError);
    expect(() => decryptSecret(ring, 'v1.k1.garbage', 'x')).toThrow(DecryptionError);
  });
});
