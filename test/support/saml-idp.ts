// A real SAML 2.0 IdP on loopback for the SP tests: an RSA key and self-signed certificate made by openssl, its
// metadata served over HTTP, AuthnRequests read from the redirect binding, and Responses signed with xml-crypto
// (exclusive C14N, RSA-SHA256 by default; SHA-1 on request, to prove it is refused). Never a mocked parser.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

export const ALGORITHMS = {
  sha256: {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
  },
  sha1: { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
} as const;

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface AuthnRequestSeen {
  readonly id: string;
  readonly acsUrl: string;
  readonly issuer: string;
}

export interface ResponseOptions {
  readonly inResponseTo?: string | undefined;
  readonly acsUrl: string;
  readonly audience: string;
  readonly nameId: string;
  readonly nameIdFormat?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  /** Which element carries the signature. */
  readonly sign?: 'assertion' | 'response' | 'none';
  readonly algorithm?: keyof typeof ALGORITHMS;
  readonly issuer?: string;
  readonly destination?: string;
  readonly recipient?: string;
  /** Seconds from now. */
  readonly notBefore?: number;
  readonly notOnOrAfter?: number;
  readonly assertionId?: string;
  /** Raw XML replacements applied to the NameID text before signing (comment injection is added this way). */
  readonly nameIdXml?: string;
  /** Another key pair signs (an attacker's). */
  readonly signer?: KeyPair;
}

export interface KeyPair {
  readonly key: string;
  readonly cert: string;
  /** Base64 DER, as in metadata. */
  readonly certBase64: string;
}

export function makeKeyPair(): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'roster-saml-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3', '-subj', '/CN=roster-test-idp'].concat(
        ['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ),
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert,
      certBase64: cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const iso = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toISOString();
export const newSamlId = () => `_${randomBytes(16).toString('hex')}`;

export function sign(
  xml: string,
  element: 'Assertion' | 'Response',
  keys: KeyPair,
  algorithm: keyof typeof ALGORITHMS = 'sha256',
): string {
  const sig = new SignedXml({
    privateKey: keys.key,
    publicCert: keys.cert,
    canonicalizationAlgorithm: EXC_C14N,
    signatureAlgorithm: ALGORITHMS[algorithm].signature,
  });
  const path = element === 'Assertion' ? "//*[local-name(.)='Assertion']" : "/*[local-name(.)='Response']";
  sig.addReference({ xpath: path, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: ALGORITHMS[algorithm].digest });
  sig.computeSignature(xml, { location: { reference: `${path}/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

export class SamlIdp {
  readonly keys = makeKeyPair();
  private server: Server | undefined;
  origin = '';

  get entityId(): string {
    return `${this.origin}/idp`;
  }
  get ssoUrl(): string {
    return `${this.origin}/sso`;
  }
  get metadataUrl(): string {
    return `${this.origin}/metadata`;
  }

  metadataXml(): string {
    return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${xmlEscape(this.entityId)}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${this.keys.certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${xmlEscape(this.ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url === '/metadata') {
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(this.metadataXml());
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The AuthnRequest in a redirect-binding URL, as the IdP reads it. */
  readRequest(url: URL): AuthnRequestSeen {
    const encoded = url.searchParams.get('SAMLRequest');
    if (!encoded) throw new Error(`no SAMLRequest in ${url.href}`);
    const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const root = doc.documentElement!;
    const issuer = doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Issuer')[0];
    return {
      id: root.getAttribute('ID') ?? '',
      acsUrl: root.getAttribute('AssertionConsumerServiceURL') ?? '',
      issuer: issuer?.textContent ?? '',
    };
  }

  /** An unsigned Response XML document as the options describe it. */
  responseXml(o: ResponseOptions): string {
    const issuer = xmlEscape(o.issuer ?? this.entityId);
    const inResponseTo = o.inResponseTo === undefined ? '' : ` InResponseTo="${xmlEscape(o.inResponseTo)}"`;
    const attributes = Object.entries(o.attributes ?? {})
      .map(
        ([name, value]) =>
          `<saml:Attribute Name="${xmlEscape(name)}"><saml:AttributeValue>${xmlEscape(value)}</saml:AttributeValue></saml:Attribute>`,
      )
      .join('');
    return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newSamlId()}" Version="2.0" IssueInstant="${iso(0)}" Destination="${xmlEscape(o.destination ?? o.acsUrl)}"${inResponseTo}><saml:Issuer>${issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="${o.assertionId ?? newSamlId()}" Version="2.0" IssueInstant="${iso(0)}"><saml:Issuer>${issuer}</saml:Issuer><saml:Subject><saml:NameID Format="${xmlEscape(o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified')}">${o.nameIdXml ?? xmlEscape(o.nameId)}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(o.notOnOrAfter ?? 300)}" Recipient="${xmlEscape(o.recipient ?? o.acsUrl)}"${inResponseTo}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${iso(o.notBefore ?? -30)}" NotOnOrAfter="${iso(o.notOnOrAfter ?? 300)}"><saml:AudienceRestriction><saml:Audience>${xmlEscape(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${iso(0)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>${attributes}</saml:AttributeStatement></saml:Assertion></samlp:Response>`;
  }

  /** A signed Response document (XML text). */
  signedXml(o: ResponseOptions): string {
    const xml = this.responseXml(o);
    const how = o.sign ?? 'assertion';
    if (how === 'none') return xml;
    return sign(xml, how === 'assertion' ? 'Assertion' : 'Response', o.signer ?? this.keys, o.algorithm);
  }

  /** The form value of SAMLResponse. */
  response(o: ResponseOptions): string {
    return Buffer.from(this.signedXml(o)).toString('base64');
  }
}
