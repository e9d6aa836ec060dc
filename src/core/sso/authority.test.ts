import { describe, expect, it } from 'vitest';
import { checkEntraAuthority, isLoopbackHost } from './authority.ts';

const GUID = '7f2c5f9e-1111-4a0e-9d8a-0123456789ab';

describe('checkEntraAuthority', () => {
  it.each([
    [`https://login.microsoftonline.com/${GUID}/v2.0`, GUID, undefined],
    [`https://login.microsoftonline.com/${GUID}/v2.0/`, GUID, undefined],
    ['https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0', 'contoso.onmicrosoft.com', undefined],
    [`https://login.microsoftonline.us/${GUID}/v2.0`, GUID, undefined],
    ['http://127.0.0.1:9000/tenant/v2.0', undefined, undefined],
    ['http://localhost:9000', undefined, undefined],
  ])('accepts %s', (authority, directory, warning) => {
    const r = checkEntraAuthority(authority);
    expect(r.directory).toBe(directory);
    expect(r.warning).toBe(warning);
    expect(r.authority.endsWith('/')).toBe(false);
  });

  it('accepts the documentation placeholder but keeps sign-in off with a warning', () => {
    const r = checkEntraAuthority('https://login.microsoftonline.com/{TenantId}/v2.0');
    expect(r.directory).toBeUndefined();
    expect(r.authority).toBe('https://login.microsoftonline.com/{TenantId}/v2.0');
    expect(r.warning).toContain('placeholder {TenantId}');
  });

  it.each([
    ['https://login.microsoftonline.com/common/v2.0', 'any Entra tenant'],
    ['https://login.microsoftonline.com/Organizations/v2.0', 'shared'],
    ['https://login.microsoftonline.com/consumers', 'shared'],
    [`http://login.microsoftonline.com/${GUID}/v2.0`, 'https'],
    [`https://login.microsoftonline.com.evil.io/${GUID}/v2.0`, 'Microsoft sign-in host'],
    [`https://user:pw@login.microsoftonline.com/${GUID}/v2.0`, 'credentials'],
    [`https://login.microsoftonline.com/${GUID}/v2.0?x=1`, 'query'],
    [`https://login.microsoftonline.com:8443/${GUID}/v2.0`, 'port'],
    [`https://login.microsoftonline.com/${GUID}/oauth2/v2.0`, 'form'],
    ['https://login.microsoftonline.com/not_a_guid/v2.0', 'GUID'],
    ['http://169.254.169.254/latest/meta-data', 'https'],
    ['http://10.0.0.1/x', 'https'],
    ['not a url', 'absolute URL'],
  ])('refuses %s', (authority, message) => {
    expect(() => checkEntraAuthority(authority)).toThrow(message);
  });

  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.8.8.8', true],
    ['[::1]', true],
    ['idp.localhost', true],
    ['10.0.0.1', false],
    ['169.254.169.254', false],
    ['localhost.evil.com', false],
  ])('isLoopbackHost(%s) = %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
