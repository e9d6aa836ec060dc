import { describe, expect, it } from 'vitest';
import { samlIdentity } from './identity.ts';
import type { SamlProviderRecord } from './records.ts';

const provider = (attributeMapping: SamlProviderRecord['properties']['attributeMapping'] = {}) =>
  ({
    idp: { entityId: 'https://idp.example/entity', ssoUrl: 'https://idp.example/sso', certificates: [] },
    properties: {
      loginEnabled: true,
      visible: true,
      autoProvisioningEnabled: false,
      metadataUrl: null,
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      attributeMapping,
    },
  }) as Pick<SamlProviderRecord, 'idp' | 'properties'>;

describe('samlIdentity', () => {
  it('keys the person on the NameID by default, in the IdP entity id as directory', () => {
    expect(samlIdentity(provider(), { nameId: 'alice', nameIdFormat: undefined, attributes: {} })).toMatchObject({
      directory: 'https://idp.example/entity',
      subject: 'alice',
      userName: 'alice',
      email: undefined,
    });
  });

  it('uses the configured attributes, and copies email only when mapped', () => {
    const identity = samlIdentity(provider({ externalId: 'uid', userName: 'login', email: 'mail' }), {
      nameId: 'ignored',
      nameIdFormat: undefined,
      attributes: { uid: ['00u1'], login: ['alice@x.com'], mail: ['alice@x.com'] },
    });
    expect(identity).toMatchObject({ subject: '00u1', userName: 'alice@x.com', email: 'alice@x.com' });
  });

  it('never keys on email: an email attribute alone names nobody', () => {
    expect(
      samlIdentity(provider({ externalId: 'uid' }), {
        nameId: undefined,
        nameIdFormat: undefined,
        attributes: { email: ['alice@x.com'] },
      }),
    ).toEqual({ refused: 'saml_no_subject' });
  });

  it('refuses a transient NameID and a multi-valued key attribute', () => {
    expect(
      samlIdentity(provider(), {
        nameId: 'abc',
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
        attributes: {},
      }),
    ).toEqual({ refused: 'saml_no_subject' });
    expect(
      samlIdentity(provider({ externalId: 'uid' }), {
        nameId: 'x',
        nameIdFormat: undefined,
        attributes: { uid: ['a', 'b'] },
      }),
    ).toEqual({ refused: 'saml_no_subject' });
  });
});
