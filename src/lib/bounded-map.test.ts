import { describe, expect, it } from 'vitest';
import { setBounded } from './bounded-map.ts';

describe('setBounded', () => {
  it('keeps at most max entries, dropping the oldest insertion for a new key', () => {
    const map = new Map<string, number>();
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) setBounded(map, key, i, 3);
    expect([...map]).toEqual([
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ]);
  });

  it('replaces a present key in place without dropping another', () => {
    const map = new Map([
      ['a', 0],
      ['b', 1],
    ]);
    setBounded(map, 'a', 9, 2);
    expect([...map]).toEqual([
      ['a', 9],
      ['b', 1],
    ]);
  });
});
