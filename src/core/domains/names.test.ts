import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors.ts';
import { claimableDomain, domainOfAddress, normaliseDomainName } from './names.ts';
import { judge } from './verification.ts';

describe('domain names', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['  eu.Example.com ', 'eu.example.com'],
    ['Bücher.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['ＥＸＡＭＰＬＥ.com', 'example.com'],
  ])('normalises %s → %s', (input, expected) => {
    expect(normaliseDomainName(input)).toBe(expected);
  });

  it.each([
    '',
    '.',
    'localhost',
    'a..b',
    '-a.example',
    'a-.example',
    'a b.example',
    'a_b.example',
    '192.168.0.1',
    'x@example.com',
    'http://example.com',
    `${'a'.repeat(64)}.example`,
    `${'a.'.repeat(127)}example`,
  ])('refuses %j', (input) => {
    expect(normaliseDomainName(input)).toBeUndefined();
  });

  it('refuses public suffixes from both sections of the list, and admits names under them', () => {
    for (const suffix of ['co.uk', 'github.io', 'com.au', 'Co.Uk.']) {
      expect(() => claimableDomain(suffix)).toThrow(expect.objectContaining({ code: 'domains.public_suffix' }));
    }
    expect(claimableDomain('acme.co.uk')).toBe('acme.co.uk');
    expect(claimableDomain('acme.github.io')).toBe('acme.github.io');
    try {
      claimableDomain(7);
    } catch (error) {
      expect(hasCode(error, 'validation.failed')).toBe(true);
    }
  });

  it('takes the domain of an address', () => {
    expect(domainOfAddress('Ann@Contoso.COM')).toBe('contoso.com');
    expect(domainOfAddress('a@b@contoso.com')).toBe('contoso.com');
    expect(domainOfAddress('ann')).toBeUndefined();
    expect(domainOfAddress('ann@')).toBeUndefined();
    expect(domainOfAddress('@contoso.com')).toBeUndefined();
  });
});

describe('judging a TXT answer', () => {
  const value = 'roster-verification=abc';
  it('verifies only the exact value, among others', () => {
    expect(judge({ kind: 'records', values: ['v=spf1 -all', value] }, value)).toEqual({ ok: true });
    expect(judge({ kind: 'records', values: [`${value}x`] }, value)).toEqual({ ok: false, reason: 'record_mismatch' });
    expect(judge({ kind: 'records', values: [] }, value)).toEqual({ ok: false, reason: 'record_not_found' });
    expect(judge({ kind: 'none' }, value)).toEqual({ ok: false, reason: 'record_not_found' });
    expect(judge({ kind: 'error', code: 'ESERVFAIL' }, value)).toEqual({ ok: false, reason: 'dns_unavailable' });
  });
});
