import { describe, expect, it } from 'vitest';
import { loginKeyOf, passwordProblem } from './passwords.ts';

describe('password rules (NIST SP 800-63B, ADR 0041)', () => {
  it('counts code points after NFC: 8 is enough, 7 is not, whatever the composition', () => {
    expect(passwordProblem('abcdefg')).toBe('too_short');
    expect(passwordProblem('kqzvmwpx')).toBeUndefined();
    // "é" as e + combining acute is one character after NFC: 7 of them are still too short.
    expect(passwordProblem('e\u0301'.repeat(7))).toBe('too_short');
    expect(passwordProblem('\u{1F510}'.repeat(8))).toBeUndefined();
  });

  it('refuses common passwords case-insensitively, and accepts long passphrases up to the cap', () => {
    expect(passwordProblem('password123')).toBe('common');
    expect(passwordProblem('PassWord123')).toBe('common');
    expect(passwordProblem('correct horse battery staple')).toBeUndefined();
    expect(passwordProblem('x'.repeat(256))).toBeUndefined();
    expect(passwordProblem('x'.repeat(257))).toBe('too_long');
  });

  it('folds the sign-in address: trimmed, NFC, lower case', () => {
    expect(loginKeyOf('  Ann@Example.TEST ')).toBe('ann@example.test');
  });
});
