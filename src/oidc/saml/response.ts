// Verifying a SAML Response posted to the ACS (ADR 0038). Structural checks on the whole document first (one
// assertion, in its place; unique IDs; the algorithm allow-list; no comments inside the assertion), then node-saml's
// signature, time and audience checks, then ours on the *signed* assertion only: issuer, recipient, InResponseTo.
// Each refusal is a `saml_*` reason for the audit log.
import type { SamlStatusError } from '@node-saml/node-saml';
import type { Document, Element, Node } from '@xmldom/xmldom';
import type { SamlIdpDescriptor } from '../../core/saml/records.ts';
import { nodeSaml } from './node-saml.ts';
import { allElements, children, descendants, NS, parseXml, plainText, UnsafeXmlError } from './xml.ts';

export type SamlRefusalReason =
  | 'saml_dtd'
  | 'saml_malformed'
  | 'saml_too_large'
  | 'saml_structure'
  | 'saml_encrypted_unsupported'
  | 'saml_duplicate_id'
  | 'saml_weak_algorithm'
  | 'saml_unsigned'
  | 'saml_comment_in_assertion'
  | 'saml_signature_invalid'
  | 'saml_not_yet_valid'
  | 'saml_expired'
  | 'saml_audience_mismatch'
  | 'saml_issuer_mismatch'
  | 'saml_recipient_mismatch'
  | 'saml_destination_mismatch'
  | 'saml_in_response_to_mismatch'
  | 'saml_unsolicited'
  | 'saml_unknown_request'
  | 'saml_replayed'
  | 'saml_no_subject'
  | 'saml_idp_error'
  | 'saml_invalid';

export class SamlRefusal extends Error {
  constructor(readonly reason: SamlRefusalReason) {
    super(reason);
  }
}

export interface AcsExpectations {
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly idp: SamlIdpDescriptor;
  readonly clockSkewMs: number;
}

export interface VerifiedAssertion {
  readonly assertionId: string;
  /** From the signed SubjectConfirmationData; undefined for an unsolicited (IdP-initiated) response. */
  readonly inResponseTo: string | undefined;
  /** Epoch seconds after which the assertion can no longer be accepted (the replay cache keeps it until then). */
  readonly notOnOrAfter: number;
  readonly nameId: string | undefined;
  readonly nameIdFormat: string | undefined;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

/** Signature and digest algorithms accepted: SHA-2 only (no SHA-1, whatever the IdP offers). */
const SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
const BEARER_CONFIRMATION_METHOD = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

function decode(samlResponse: string): string {
  if (!BASE64.test(samlResponse)) throw new SamlRefusal('saml_malformed');
  return Buffer.from(samlResponse, 'base64').toString('utf8');
}

function parse(xml: string): Document {
  try {
    return parseXml(xml);
  } catch (error) {
    if (error instanceof UnsafeXmlError) throw new SamlRefusal(error.reason);
    throw error;
  }
}

function hasComment(node: Node): boolean {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 8 || hasComment(child)) return true;
  }
  return false;
}

/**
 * What must hold of the document as a whole before any signature is looked at. Exactly one Assertion, a direct
 * child of the Response, defeats the signature-wrapping family (XSW1–8 all add a second Response or Assertion
 * somewhere); unique IDs stop a reference resolving to a different element than the one processed.
 */
function checkStructure(doc: Document): void {
  const root = doc.documentElement!;
  if (root.namespaceURI !== NS.samlp || root.localName !== 'Response') throw new SamlRefusal('saml_structure');
  if (descendants(doc, NS.saml, 'EncryptedAssertion').length > 0) throw new SamlRefusal('saml_encrypted_unsupported');
  const assertions = descendants(doc, NS.saml, 'Assertion');
  if (assertions.length !== 1 || assertions[0]!.parentNode !== root) throw new SamlRefusal('saml_structure');
  if (descendants(root, NS.samlp, 'Response').length > 0) throw new SamlRefusal('saml_structure');
  const ids = new Set<string>();
  for (const element of allElements(doc)) {
    for (const name of ['ID', 'Id', 'id']) {
      const value = element.getAttribute(name);
      if (value === null) continue;
      if (ids.has(value)) throw new SamlRefusal('saml_duplicate_id');
      ids.add(value);
    }
  }
  const signatures = descendants(doc, NS.ds, 'Signature');
  if (signatures.length === 0) throw new SamlRefusal('saml_unsigned');
  for (const method of descendants(doc, NS.ds, 'SignatureMethod')) {
    if (!SIGNATURE_ALGORITHMS.has(method.getAttribute('Algorithm') ?? '')) throw new SamlRefusal('saml_weak_algorithm');
  }
  for (const method of descendants(doc, NS.ds, 'DigestMethod')) {
    if (!DIGEST_ALGORITHMS.has(method.getAttribute('Algorithm') ?? '')) throw new SamlRefusal('saml_weak_algorithm');
  }
  // Canonicalisation drops comments, so a comment can split a signed value into what a careless reader sees as two.
  if (hasComment(assertions[0]!)) throw new SamlRefusal('saml_comment_in_assertion');
}

function refusalOf(error: unknown, statusError: typeof SamlStatusError): SamlRefusal {
  if (error instanceof SamlRefusal) return error;
  if (error instanceof statusError) return new SamlRefusal('saml_idp_error');
  const message = error instanceof Error ? error.message : '';
  if (/not yet valid/i.test(message)) return new SamlRefusal('saml_not_yet_valid');
  if (/expired|too old|no valid subject confirmation/i.test(message)) return new SamlRefusal('saml_expired');
  if (/audience/i.test(message)) return new SamlRefusal('saml_audience_mismatch');
  if (/signature|signed|reference/i.test(message)) return new SamlRefusal('saml_signature_invalid');
  return new SamlRefusal('saml_invalid');
}

const epochSeconds = (value: string | null | undefined): number | undefined => {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
};

/** Reads the assertion node-saml verified: its bytes are exactly what the signature covers. */
function readSigned(assertionXml: string, expect: AcsExpectations, response: Element): VerifiedAssertion {
  const assertion = parse(assertionXml).documentElement!;
  const issuer = children(assertion, NS.saml, 'Issuer')[0];
  if (!issuer || plainText(issuer) !== expect.idp.entityId) throw new SamlRefusal('saml_issuer_mismatch');
  const assertionId = assertion.getAttribute('ID');
  if (!assertionId) throw new SamlRefusal('saml_malformed');
  const subject = children(assertion, NS.saml, 'Subject')[0];
  const confirmations = subject
    ? children(subject, NS.saml, 'SubjectConfirmation').filter(
        (c) => c.getAttribute('Method') === BEARER_CONFIRMATION_METHOD,
      )
    : [];
  const data = confirmations.flatMap((c) => children(c, NS.saml, 'SubjectConfirmationData'));
  // Recipient is the signed statement of where this assertion may be used: this provider's ACS and nowhere else.
  const confirmed = data.find((d) => d.getAttribute('Recipient') === expect.acsUrl);
  if (!confirmed) throw new SamlRefusal('saml_recipient_mismatch');
  const destination = response.getAttribute('Destination');
  if (destination !== null && destination !== expect.acsUrl) throw new SamlRefusal('saml_destination_mismatch');
  const inResponseTo = confirmed.getAttribute('InResponseTo') ?? undefined;
  const outer = response.getAttribute('InResponseTo');
  if (outer !== null && outer !== inResponseTo) throw new SamlRefusal('saml_in_response_to_mismatch');
  const conditions = children(assertion, NS.saml, 'Conditions')[0];
  const limits = [confirmed.getAttribute('NotOnOrAfter'), conditions?.getAttribute('NotOnOrAfter')]
    .map(epochSeconds)
    .filter((s): s is number => s !== undefined);
  // The SAML profile requires NotOnOrAfter on bearer confirmation data: without it the replay cache has no horizon.
  if (limits.length === 0) throw new SamlRefusal('saml_expired');
  const nameIdElement = subject ? children(subject, NS.saml, 'NameID')[0] : undefined;
  const attributes: Record<string, string[]> = {};
  for (const statement of children(assertion, NS.saml, 'AttributeStatement')) {
    for (const attribute of children(statement, NS.saml, 'Attribute')) {
      const name = attribute.getAttribute('Name');
      if (!name) continue;
      const values = children(attribute, NS.saml, 'AttributeValue')
        .map(plainText)
        .filter((v): v is string => v !== undefined && v !== '');
      attributes[name] = [...(attributes[name] ?? []), ...values];
    }
  }
  return {
    assertionId,
    inResponseTo,
    notOnOrAfter: Math.min(...limits) + Math.ceil(expect.clockSkewMs / 1000),
    nameId: nameIdElement ? plainText(nameIdElement) || undefined : undefined,
    nameIdFormat: nameIdElement?.getAttribute('Format') ?? undefined,
    attributes,
  };
}

/** Throws SamlRefusal; returns only what a signature from the IdP's own certificates covers. */
export async function verifySamlResponse(samlResponse: string, expect: AcsExpectations): Promise<VerifiedAssertion> {
  const { SAML, SamlStatusError, ValidateInResponseTo } = await nodeSaml();
  try {
    const doc = parse(decode(samlResponse));
    checkStructure(doc);
    const saml = new SAML({
      idpCert: [...expect.idp.certificates],
      issuer: expect.spEntityId,
      callbackUrl: expect.acsUrl,
      audience: expect.spEntityId,
      // Either signature suffices, as long as it covers the assertion: a signed Response or a signed Assertion.
      wantAuthnResponseSigned: false,
      wantAssertionsSigned: false,
      acceptedClockSkewMs: expect.clockSkewMs,
      // InResponseTo is bound to the request state by the caller (single use, in the store).
      validateInResponseTo: ValidateInResponseTo.never,
    });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse });
    if (!profile) throw new SamlRefusal('saml_invalid');
    return readSigned(profile.getAssertionXml!(), expect, doc.documentElement!);
  } catch (error) {
    throw refusalOf(error, SamlStatusError);
  }
}
