// Which OIDC authorities an Entra ID provider may name: one pinned directory on a Microsoft cloud, or loopback.
import { isIP } from 'node:net';
import { invalid } from '../errors.ts';

/** Microsoft identity platform hosts (global and national clouds). Outbound calls only ever go to these or loopback. */
export const MICROSOFT_LOGIN_HOSTS: readonly string[] = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.partner.microsoftonline.cn',
  'login.microsoftonline.de',
];

/** Multi-tenant aliases: any directory's users could sign in through them, so they are refused. */
const SHARED_DIRECTORIES = new Set(['common', 'organizations', 'consumers']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** The documentation's placeholder, e.g. `{TenantId}`: stored, but sign-in stays off until it names a directory. */
const PLACEHOLDER = /^\{[A-Za-z]{1,40}\}$/;

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

export interface AuthorityCheck {
  /** The authority, normalised (no trailing slash). */
  readonly authority: string;
  /** The Entra directory (GUID or domain) the authority pins; undefined for loopback authorities and placeholders. */
  readonly directory: string | undefined;
  /** Set when sign-in cannot work until the admin fixes the authority. */
  readonly warning: string | undefined;
}

export function checkEntraAuthority(raw: string): AuthorityCheck {
  const field = 'properties.authority';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(field, 'must be an absolute URL, e.g. https://login.microsoftonline.com/<directory-id>/v2.0');
  }
  if (url.username || url.password) throw invalid(field, 'must not contain credentials');
  if (url.search || url.hash) throw invalid(field, 'must not contain a query or fragment');
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw invalid(field, 'must use https (http is accepted only for loopback hosts)');
  }
  // Stored as the admin wrote it (minus trailing slashes): it must equal the issuer the directory announces.
  const authority = raw.trim().replace(/\/+$/, '');
  if (loopback) return { authority, directory: undefined, warning: undefined };
  if (!MICROSOFT_LOGIN_HOSTS.includes(url.hostname.toLowerCase())) {
    throw invalid(field, `host must be a Microsoft sign-in host (${MICROSOFT_LOGIN_HOSTS.join(', ')})`);
  }
  if (url.port) throw invalid(field, 'must not name a port');
  // The path is raw (percent-encoded); decode only for the placeholder check.
  const segments = url.pathname.split('/').filter(Boolean);
  const directory = segments[0] ? decodeURIComponent(segments[0]) : '';
  if (segments.length > 2 || (segments[1] !== undefined && segments[1] !== 'v2.0')) {
    throw invalid(field, 'must have the form https://login.microsoftonline.com/<directory-id>/v2.0');
  }
  if (SHARED_DIRECTORIES.has(directory.toLowerCase())) {
    throw invalid(
      field,
      `"/${directory}" is shared by many directories: users of any Entra tenant could sign in. Name your own directory (its tenant id or verified domain)`,
    );
  }
  if (PLACEHOLDER.test(directory)) {
    return {
      authority,
      directory: undefined,
      warning: `authority still contains the placeholder ${directory}: sign-in through this provider stays off until it names your Entra directory (tenant id or verified domain)`,
    };
  }
  if (!GUID.test(directory) && !DOMAIN.test(directory)) {
    throw invalid(field, 'the directory must be an Entra tenant id (GUID) or a verified domain name');
  }
  return { authority, directory: directory.toLowerCase(), warning: undefined };
}
