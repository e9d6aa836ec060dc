// IdP metadata (ADR 0038): the entity id, the HTTP-Redirect SingleSignOnService and the signing certificates, read
// from an EntityDescriptor with an IDPSSODescriptor. Anything missing is a validation error naming the field.
import { X509Certificate } from 'node:crypto';
import { invalid } from '../../core/errors.ts';
import type { SamlIdpDescriptor } from '../../core/saml/records.ts';
import { children, descendants, NS, parseXml, UnsafeXmlError } from './xml.ts';

const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const MAX_CERTIFICATES = 8;

export function parseIdpMetadata(xml: string, field: string): SamlIdpDescriptor {
  let doc: ReturnType<typeof parseXml>;
  try {
    doc = parseXml(xml);
  } catch (error) {
    if (!(error instanceof UnsafeXmlError)) throw error;
    const why =
      error.reason === 'saml_dtd' ? 'must not contain a DTD or entity declarations' : 'is not well-formed XML';
    throw invalid(field, `the metadata ${why}`);
  }
  const root = doc.documentElement!;
  const entity =
    root.namespaceURI === NS.md && root.localName === 'EntityDescriptor'
      ? root
      : descendants(root, NS.md, 'EntityDescriptor')[0];
  const entityId = entity?.getAttribute('entityID')?.trim();
  if (!entity || !entityId) throw invalid(field, 'the metadata has no EntityDescriptor with an entityID');
  const idp = children(entity, NS.md, 'IDPSSODescriptor')[0];
  if (!idp) throw invalid(field, 'the metadata has no IDPSSODescriptor');
  const sso = children(idp, NS.md, 'SingleSignOnService').find((s) => s.getAttribute('Binding') === REDIRECT_BINDING);
  const ssoUrl = sso?.getAttribute('Location')?.trim() ?? '';
  if (!/^https?:\/\//.test(ssoUrl)) {
    throw invalid(
      field,
      'the metadata has no SingleSignOnService with the HTTP-Redirect binding and an http(s) Location',
    );
  }
  const certificates = children(idp, NS.md, 'KeyDescriptor')
    .filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((k) => descendants(k, NS.ds, 'X509Certificate'))
    .map((c) => (c.textContent ?? '').replace(/\s+/g, ''))
    .filter((c) => c.length > 0);
  if (certificates.length === 0) throw invalid(field, 'the metadata names no signing certificate');
  if (certificates.length > MAX_CERTIFICATES)
    throw invalid(field, `the metadata names more than ${MAX_CERTIFICATES} certificates`);
  for (const cert of certificates) {
    try {
      new X509Certificate(Buffer.from(cert, 'base64'));
    } catch {
      throw invalid(field, 'a signing certificate in the metadata is not a valid X.509 certificate');
    }
  }
  return { entityId, ssoUrl, certificates: [...new Set(certificates)] };
}
