// Which person a SAML assertion names (ADR 0038), as a pure function. The same rule as Entra and OIDC
// (docs/signin.md): the configured attribute, else the NameID, keys the person (externalId) and gives the userName
// a first sign-in may link to; email is copied onto a just-in-time subject but never finds or links anyone.
import type { UpstreamIdentity } from '../signin/identity.ts';
import type { SamlProviderRecord } from './records.ts';

export interface AssertedSubject {
  readonly nameId: string | undefined;
  readonly nameIdFormat: string | undefined;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const MAX_VALUE = 512;

/** A single-valued attribute: several values cannot key one person, so they count as none. */
function single(attributes: AssertedSubject['attributes'], name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const values = attributes[name];
  return values?.length === 1 && values[0]!.length <= MAX_VALUE ? values[0] : undefined;
}

export function samlIdentity(
  provider: Pick<SamlProviderRecord, 'idp' | 'properties'>,
  asserted: AssertedSubject,
): UpstreamIdentity | { readonly refused: 'saml_no_subject' } {
  const map = provider.properties.attributeMapping;
  // A transient NameID is new at every sign-in: it can key nobody.
  const nameId =
    asserted.nameId && asserted.nameIdFormat !== TRANSIENT && asserted.nameId.length <= MAX_VALUE
      ? asserted.nameId
      : undefined;
  const subject = map.externalId === undefined ? nameId : single(asserted.attributes, map.externalId);
  if (!subject) return { refused: 'saml_no_subject' };
  return {
    directory: provider.idp.entityId,
    subject,
    userName: map.userName === undefined ? nameId : single(asserted.attributes, map.userName),
    name: single(asserted.attributes, map.displayName),
    givenName: single(asserted.attributes, map.givenName),
    familyName: single(asserted.attributes, map.familyName),
    email: single(asserted.attributes, map.email),
  };
}
