import { describe, expect, it } from 'vitest';
import { bearerFrom, issueToken, parseToken } from './tokens.ts';

describe('tokens', () => {
  it('issues typed tokens with a 128-bit id and a 256-bit secret that round-trip through parse', () => {
    for (const kind of ['op', 'adm', 'scim'] as const) {
      const t = issueToken(kind);
      expect(t.value).toBe(`${kind}_${t.id}.${t.secret}`);
      expect(Buffer.from(t.secret, 'base64url')).toHaveLength(32);
      expect(Buffer.from(t.id, 'base64url')).toHaveLength(16);
      expect(parseToken(t.value)).toEqual({ kind, id: t.id, secret: t.secret });
    }
  });

  it('never repeats and spreads characters evenly over the base64url alphabet (chi-square)', () => {
    const counts = new Map<string, number>();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const { secret } = issueToken('scim');
      expect(seen.has(secret)).toBe(false);
      seen.add(secret);
      // The 43rd character carries only 4 bits; count the first 42, which are uniform over 64 symbols.
      for (const c of secret.slice(0, 42)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).toBe(64);
    const expected = (1000 * 42) / 64;
    const chi = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(120); // df = 63; p < 1e-5 beyond ~120
  });

  it.each([
    '',
    'non-token',
    'scim_abc.def',
    `xyz_${'A'.repeat(22)}.${'B'.repeat(43)}`,
    `scim_${'A'.repeat(22)}.${'B'.repeat(42)}`,
    `scim_${'A'.repeat(21)}!.${'B'.repeat(43)}`,
    `scim_${'A'.repeat(22)}.${'B'.repeat(42)}=`,
    `scim_${'A'.repeat(22)}.${'B'.repeat(43)}x`,
  ])('rejects malformed %j', (value) => {
    expect(parseToken(value)).toBeUndefined();
  });

  it.each([
    [undefined, undefined],
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer ', undefined],
    ['Bearer  x', undefined],
    ['Basic abc', undefined],
    ['non-token', undefined],
  ])('reads the bearer from %j', (header, expected) => {
    expect(bearerFrom(header)).toBe(expected);
  });
});
