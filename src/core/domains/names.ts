// Domain names as an admin types them → the one form Roster stores and compares: lower case, IDNA A-labels
// (punycode), no trailing dot. Public suffixes (com, co.uk, github.io …) are refused with the Public Suffix List.
import { domainToASCII } from 'node:url';
import psl from 'psl';
import { DomainError, invalid } from '../errors.ts';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The normalised name, or undefined when it is not a valid host name of two or more labels. */
export function normaliseDomainName(input: string): string | undefined {
  const trimmed = input.trim().replace(/\.$/, '').toLowerCase();
  if (trimmed.length === 0 || trimmed.length > 253 || /[\s/@:]/.test(trimmed)) return undefined;
  // WHATWG's domainToASCII applies UTS #46 (IDNA) and answers '' for a name it cannot map.
  const ascii = domainToASCII(trimmed);
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return undefined;
  // A dotted quad is an address, not a domain.
  if (/^[0-9]+$/.test(labels.at(-1)!)) return undefined;
  return ascii;
}

/** Validates a domain an admin wants to claim; throws problem-ready DomainErrors. */
export function claimableDomain(input: unknown): string {
  if (typeof input !== 'string') throw invalid('domain', 'must be a string such as "example.com"');
  const domain = normaliseDomainName(input);
  if (!domain) throw invalid('domain', 'is not a valid domain name (for example "example.com")');
  // psl.get answers the registrable domain, or null when the name is itself a public suffix.
  if (psl.get(domain) === null) {
    throw new DomainError(
      'domains.public_suffix',
      `"${domain}" is a public suffix (Public Suffix List): claim a domain registered under it instead`,
      [{ field: 'domain', message: 'is a public suffix' }],
    );
  }
  return domain;
}

/** The domain part of an email-shaped value, normalised; undefined when there is none. */
export function domainOfAddress(value: string): string | undefined {
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return undefined;
  return normaliseDomainName(value.slice(at + 1));
}
