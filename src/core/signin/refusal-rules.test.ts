import { describe, expect, it } from 'vitest';
import type { SsoProviderRecord } from '../records.ts';
import { finishRefusal, startRefusal, stateRefusal, upstreamAuditReason } from './refusal-rules.ts';

const base: SsoProviderRecord = {
  id: 'p1',
  tenantId: 't',
  kind: 'azuread',
  scheme: 'entra',
  displayName: 'Entra',
  enabled: true,
  type: 'oidc',
  properties: {
    loginEnabled: true,
    visible: false,
    delegationEnabled: false,
    autoProvisioningEnabled: false,
    clientId: 'c',
    usePkce: true,
    authority: 'https://login.microsoftonline.com/0f3c2a8e-1b7d-4c5e-9a6f-2d8b7e4c1a90/v2.0',
    responseType: 'code',
    scope: 'openid',
  },
  clientSecretSealed: null,
  createdAt: '',
  updatedAt: '',
};
const disabled = { ...base, enabled: false };
const noLogin = { ...base, properties: { ...base.properties, loginEnabled: false } };

describe('startRefusal', () => {
  it.each([
    ['a usable provider (visible or not)', base, undefined],
    ['no such provider', undefined, 'provider_unavailable'],
    ['disabled', disabled, 'provider_unavailable'],
    ['loginEnabled off', noLogin, 'provider_unavailable'],
  ] as const)('%s → %s', (_name, sso, expected) => {
    expect(startRefusal(sso)).toBe(expected);
  });
});

describe('stateRefusal', () => {
  it.each([
    ['state issued for this interaction, same browser', { stateUid: 'u1', uid: 'u1', cookieUid: 'u1' }, undefined],
    [
      'no state matched (missing, wrong, used or expired)',
      { stateUid: undefined, uid: 'u1', cookieUid: 'u1' },
      'state_mismatch',
    ],
    ['state of another interaction', { stateUid: 'u2', uid: 'u1', cookieUid: 'u1' }, 'state_mismatch'],
    [
      "the browser's cookie names another interaction",
      { stateUid: 'u1', uid: 'u1', cookieUid: 'u2' },
      'state_mismatch',
    ],
  ] as const)('%s → %s', (_name, facts, expected) => {
    expect(stateRefusal(facts)).toBe(expected);
  });
});

describe('finishRefusal', () => {
  it.each([
    ['the provider the sign-in started with, still usable', base, 'p1', undefined],
    ['deleted since', undefined, 'p1', 'provider_unavailable'],
    ['recreated under the same scheme (another id)', { ...base, id: 'p2' }, 'p1', 'provider_unavailable'],
    ['the login record names no provider', base, undefined, 'provider_unavailable'],
    ['disabled since', disabled, 'p1', 'provider_unavailable'],
    ['loginEnabled turned off since', noLogin, 'p1', 'provider_unavailable'],
  ] as const)('%s → %s', (_name, sso, startedWith, expected) => {
    expect(finishRefusal(sso, startedWith)).toBe(expected);
  });
});

describe('upstreamAuditReason', () => {
  it.each([
    ['token_rejected', undefined, 'token_rejected'],
    ['token_rejected', 'invalid_grant', 'token_rejected:invalid_grant'],
    ['upstream_error', 'access_denied', 'upstream_error:access_denied'],
    ['discovery_failed', '', 'discovery_failed'],
  ] as const)('%s + %s → %s', (reason, code, expected) => {
    expect(upstreamAuditReason(reason, code)).toBe(expected);
  });
});
