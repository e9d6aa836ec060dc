import { describe, expect, it } from 'vitest';
import type { SsoProperties } from '../records.ts';
import { checkClaimName, checkHostedDomain, checkIssuer } from '../sso/issuer.ts';
import { oidcIdentity } from './generic-oidc.ts';

const ISS = 'https://contoso.okta.example';
const props = (extra: Partial<SsoProperties> = {}): SsoProperties => ({
  loginEnabled: true,
  visible: true,
  delegationEnabled: false,
  autoProvisioningEnabled: false,
  clientId: 'c',
  usePkce: true,
  authority: ISS,
  responseType: 'code',
  scope: 'openid',
  ...extra,
});
const good = { iss: ISS, sub: '00u1', preferred_username: 'ada@contoso.com', email: 'ada@contoso.com' };

describe('the generic OIDC pin', () => {
  it('keys on (iss, sub) and reads the configured claims, never matching email', () => {
    expect(oidcIdentity(props(), good, [])).toEqual({
      directory: ISS,
      subject: '00u1',
      userName: 'ada@contoso.com',
      name: undefined,
      givenName: undefined,
      familyName: undefined,
      email: 'ada@contoso.com',
    });
    const custom = oidcIdentity(
      props({ subjectClaim: 'emp', userNameClaim: 'login' }),
      { ...good, emp: 4711, login: 'ada' },
      [],
    );
    expect(custom).toMatchObject({ subject: '00u1', externalId: '4711', userName: 'ada' });
  });

  it.each([
    ['another issuer', { ...good, iss: 'https://evil.example' }, props(), 'issuer_mismatch'],
    ['no sub', { ...good, sub: '' }, props(), 'missing_sub'],
    ['no subject claim', good, props({ subjectClaim: 'emp' }), 'missing_subject_claim'],
    ['hd missing', good, props({ hostedDomain: 'contoso.com' }), 'hosted_domain_mismatch'],
    ['hd foreign', { ...good, hd: 'fabrikam.com' }, props({ hostedDomain: 'contoso.com' }), 'hosted_domain_mismatch'],
    ['hd not verified', { ...good, hd: 'fabrikam.com' }, props({ hostedDomain: 'verified' }), 'hosted_domain_mismatch'],
  ])('refuses %s', (_name, claims, properties, reason) => {
    expect(oidcIdentity(properties, claims, ['contoso.com'])).toEqual({ refused: reason });
  });

  it('accepts hd that is pinned, or one of the verified domains', () => {
    expect(oidcIdentity(props({ hostedDomain: 'contoso.com' }), { ...good, hd: 'Contoso.com' }, [])).not.toHaveProperty(
      'refused',
    );
    expect(
      oidcIdentity(props({ hostedDomain: 'verified' }), { ...good, hd: 'contoso.com' }, ['contoso.com']),
    ).not.toHaveProperty('refused');
  });
});

describe('generic OIDC settings', () => {
  it('takes https issuers, http only on loopback, verbatim', () => {
    expect(checkIssuer(' https://accounts.google.com ')).toBe('https://accounts.google.com');
    expect(checkIssuer('https://tenant.auth0.example/')).toBe('https://tenant.auth0.example/');
    expect(checkIssuer('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    for (const bad of ['http://idp.example', 'https://u:p@idp.example', 'https://idp.example/?x=1', 'idp.example']) {
      expect(() => checkIssuer(bad), bad).toThrow();
    }
  });

  it('refuses email claims for linking, and defaults the rest', () => {
    expect(checkClaimName('f', undefined, 'sub')).toBe('sub');
    expect(checkClaimName('f', 'employee_number', 'sub')).toBe('employee_number');
    for (const claim of ['email', 'EMAIL', 'email_verified', 'mail', 'a b']) {
      expect(() => checkClaimName('f', claim, 'sub'), claim).toThrow();
    }
  });

  it('pins Google by default, nobody else', () => {
    expect(checkHostedDomain(undefined, 'https://accounts.google.com')).toBe('verified');
    expect(checkHostedDomain(null, 'https://contoso.okta.example')).toBeUndefined();
    expect(checkHostedDomain('Contoso.COM', 'https://accounts.google.com')).toBe('contoso.com');
    expect(() => checkHostedDomain('not a domain', ISS)).toThrow();
  });
});
