// Parsing SAML XML safely (ADR 0038): size-capped, DTDs and entity declarations refused before any parser sees the
// text (XXE, billion laughs), and a strict xmldom parse that fails on any error rather than guessing.
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';

export const MAX_SAML_XML_CHARS = 256 * 1024;

export class UnsafeXmlError extends Error {
  constructor(readonly reason: 'saml_dtd' | 'saml_malformed' | 'saml_too_large') {
    super(reason);
  }
}

/** Any DOCTYPE or ENTITY declaration, in any case; XML has no other way to declare entities. */
const DECLARATION = /<!\s*(DOCTYPE|ENTITY)/i;

export function parseXml(text: string): Document {
  if (text.length > MAX_SAML_XML_CHARS) throw new UnsafeXmlError('saml_too_large');
  if (DECLARATION.test(text)) throw new UnsafeXmlError('saml_dtd');
  let failed = false;
  const doc = new DOMParser({
    onError: () => {
      failed = true;
    },
  }).parseFromString(text, 'text/xml');
  if (failed || !doc.documentElement) throw new UnsafeXmlError('saml_malformed');
  return doc;
}

export const NS = {
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const isElement = (node: Node | null | undefined): node is Element => node?.nodeType === 1;

/** Every element below `root` (document order) with this namespace and local name. */
export function descendants(root: Node, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  const walk = (node: Node) => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (!isElement(child)) continue;
      if (child.namespaceURI === ns && child.localName === localName) out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** The element's direct children with this namespace and local name. */
export function children(parent: Node, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let child = parent.firstChild; child; child = child.nextSibling) {
    if (isElement(child) && child.namespaceURI === ns && child.localName === localName) out.push(child);
  }
  return out;
}

/** Every element of the document, for checks that must see all of it (IDs, algorithms, comments). */
export function allElements(doc: Document): Element[] {
  const out: Element[] = [];
  const walk = (node: Node) => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (!isElement(child)) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(doc);
  return out;
}

/** The text of an element whose content is text only: a comment or child element inside makes it unusable. */
export function plainText(element: Element): string | undefined {
  let text = '';
  for (let child = element.firstChild; child; child = child.nextSibling) {
    // 3 text, 4 CDATA; anything else (a comment splitting the value, an element) is refused by the caller.
    if (child.nodeType !== 3 && child.nodeType !== 4) return undefined;
    text += child.nodeValue ?? '';
  }
  return text.trim();
}
