import { describe, expect, it } from 'vitest';
import type { SsoProperties, SsoProviderRecord } from '../records.ts';
import { chooseProvider, isUsable } from './provider-choice.ts';

const GOOD = 'https://login.microsoftonline.com/0f3c2a8e-1b7d-4c5e-9a6f-2d8b7e4c1a90/v2.0';
const PLACEHOLDER = 'https://login.microsoftonline.com/{TenantId}/v2.0';

function provider(
  scheme: string,
  over: { enabled?: boolean; properties?: Partial<SsoProperties> } = {},
): SsoProviderRecord {
  return {
    id: `id-${scheme}`,
    tenantId: 't',
    kind: 'azuread',
    scheme,
    displayName: `Display ${scheme}`,
    enabled: over.enabled ?? true,
    type: 'oidc',
    properties: {
      loginEnabled: true,
      visible: true,
      delegationEnabled: false,
      autoProvisioningEnabled: false,
      clientId: 'c',
      usePkce: true,
      authority: GOOD,
      responseType: 'code',
      scope: 'openid',
      ...over.properties,
    },
    clientSecretSealed: null,
    createdAt: '',
    updatedAt: '',
  };
}

describe('isUsable', () => {
  it.each([
    ['enabled, loginEnabled, pinned authority', provider('a'), true],
    ['invisible (idp_hint still reaches it)', provider('a', { properties: { visible: false } }), true],
    ['disabled', provider('a', { enabled: false }), false],
    ['loginEnabled off', provider('a', { properties: { loginEnabled: false } }), false],
    ['authority still holds {TenantId}', provider('a', { properties: { authority: PLACEHOLDER } }), false],
  ])('%s → %s', (_name, record, usable) => {
    expect(isUsable(record)).toBe(usable);
  });
});

describe('chooseProvider', () => {
  const a = provider('a');
  const b = provider('b');
  const hidden = provider('hidden', { properties: { visible: false } });
  const off = provider('off', { enabled: false });
  const noLogin = provider('nologin', { properties: { loginEnabled: false } });
  const placeholder = provider('placeholder', { properties: { authority: PLACEHOLDER } });
  const view = (...records: SsoProviderRecord[]) =>
    records.map((r) => ({ scheme: r.scheme, displayName: r.displayName }));

  it.each([
    [
      'exactly one usable visible provider: straight to it',
      [a, hidden, off],
      undefined,
      { kind: 'start', scheme: 'a' },
    ],
    ['two: the list', [a, b], undefined, { kind: 'choose', choices: view(a, b) }],
    ['none usable: an empty list', [off, noLogin, placeholder], undefined, { kind: 'choose', choices: [] }],
    ['only an invisible one: an empty list', [hidden], undefined, { kind: 'choose', choices: [] }],
    ['a hint reaches an invisible provider', [a, b, hidden], 'hidden', { kind: 'start', scheme: 'hidden' }],
    ['a hint picks one of several', [a, b], 'b', { kind: 'start', scheme: 'b' }],
    [
      'a hint naming a disabled provider: the list, with a notice',
      [a, off],
      'off',
      { kind: 'choose', choices: view(a), notice: 'hint_unavailable' },
    ],
    [
      'a hint naming a provider with loginEnabled off',
      [a, b, noLogin],
      'nologin',
      { kind: 'choose', choices: view(a, b), notice: 'hint_unavailable' },
    ],
    [
      'a hint naming a placeholder authority',
      [placeholder],
      'placeholder',
      { kind: 'choose', choices: [], notice: 'hint_unavailable' },
    ],
    ['a hint naming nothing', [a], 'nope', { kind: 'choose', choices: view(a), notice: 'hint_unavailable' }],
    ['an empty hint is a hint (to nothing)', [a], '', { kind: 'choose', choices: view(a), notice: 'hint_unavailable' }],
  ] as const)('%s', (_name, providers, hint, expected) => {
    expect(chooseProvider(providers, hint)).toEqual(expected);
  });

  // Roster ID offered (SCIM-alone mode, ADR 0040).
  it.each([
    ['no provider to list: straight to Roster ID', [off], undefined, { kind: 'local' }],
    [
      'one provider: the list, with Roster ID beside it',
      [a],
      undefined,
      { kind: 'choose', choices: view(a), local: true },
    ],
    ['a hint still reaches its provider', [a, b], 'b', { kind: 'start', scheme: 'b' }],
    [
      'a hint naming nothing: the list with the notice, and Roster ID',
      [a],
      'nope',
      { kind: 'choose', choices: view(a), notice: 'hint_unavailable', local: true },
    ],
  ] as const)('with Roster ID: %s', (_name, providers, hint, expected) => {
    expect(chooseProvider(providers, hint, true)).toEqual(expected);
  });
});
