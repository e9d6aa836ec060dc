import { describe, expect, it } from 'vitest';
import { signInRedirectUri } from './redirect-uri.ts';

describe('signInRedirectUri', () => {
  it.each([
    ['https://id.example.com', 'https://id.example.com/t1/signin/callback'],
    ['https://example.com/roster', 'https://example.com/roster/t1/signin/callback'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/t1/signin/callback'],
  ])('under %s', (publicUrl, expected) => {
    expect(signInRedirectUri(publicUrl, 't1')).toBe(expected);
  });
});
