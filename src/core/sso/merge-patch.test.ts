import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { mergeSsoProviderPatch, type SsoProviderPatch } from './merge-patch.ts';
import type { SsoProviderInput } from './providers.ts';

const current: SsoProviderInput = {
  scheme: 'entra',
  displayName: 'Contoso',
  enabled: true,
  type: 'oidc',
  properties: {
    loginEnabled: true,
    visible: true,
    delegationEnabled: false,
    autoProvisioningEnabled: false,
    clientId: 'app-1',
    usePkce: true,
    authority: 'https://login.microsoftonline.com/7f2c5f9e-1111-4a0e-9d8a-0123456789ab/v2.0',
    responseType: 'code',
    scope: 'openid profile email',
  },
};

describe('mergeSsoProviderPatch', () => {
  const cases: [string, SsoProviderPatch, SsoProviderInput][] = [
    ['an empty patch changes nothing', {}, current],
    [
      'top-level members replace',
      { displayName: 'Fabrikam', enabled: false },
      { ...current, displayName: 'Fabrikam', enabled: false },
    ],
    [
      'properties merge one level down',
      { properties: { loginEnabled: false, scope: 'openid' } },
      { ...current, properties: { ...current.properties, loginEnabled: false, scope: 'openid' } },
    ],
    [
      'a client secret appears only when the patch sets it',
      { properties: { clientSecret: 'new-secret' } },
      { ...current, properties: { ...current.properties, clientSecret: 'new-secret' } },
    ],
    ['repeating the scheme is allowed', { scheme: 'entra', enabled: false }, { ...current, enabled: false }],
    ['type is never taken from the patch', { type: 'oidc' }, current],
  ];
  it.each(cases)('%s', (_name, patch, expected) => {
    const merged = mergeSsoProviderPatch(current, patch);
    expect(merged).toEqual(expected);
    expect(Object.keys(merged.properties)).toEqual(Object.keys(expected.properties));
  });

  it('refuses to change the scheme, naming the field', () => {
    let error: unknown;
    try {
      mergeSsoProviderPatch(current, { scheme: 'other' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'validation.failed',
      fields: [{ field: 'scheme', message: 'cannot be changed' }],
    });
  });

  it('leaves the current provider untouched', () => {
    const before = structuredClone(current);
    mergeSsoProviderPatch(current, { displayName: 'x', properties: { visible: false } });
    expect(current).toEqual(before);
  });
});
