// What reaches the logs: paths without query values (SCIM filter values are personal data), no credentials.

/** A setup link's path carries its secret (ADR 0029): `/console/setup/<secret>` is logged without it. */
const SETUP_LINK = /^(\/console\/setup\/)[^/?#]+/;

/** Roster ID's invitation and reset links carry theirs too (ADR 0040): `/{tenantId}/signin/activate|reset/<secret>`. */
const CREDENTIAL_LINK = /^(\/[^/?#]+\/signin\/(?:activate|reset)\/)[^/?#]+/;

/** `/Users?filter=userName eq "bob"&count=5` → `/Users?filter=[redacted]&count=[redacted]`. */
export function redactUrl(raw: string): string {
  const url = raw.replace(SETUP_LINK, '$1[redacted]').replace(CREDENTIAL_LINK, '$1[redacted]');
  const q = url.indexOf('?');
  if (q === -1) return url;
  const names = url
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const name = pair.split('=')[0] ?? '';
      return `${name.slice(0, 40).replace(/[^A-Za-z0-9_.-]/g, '_')}=[redacted]`;
    });
  return `${url.slice(0, q)}?${names.join('&')}`;
}

/** Paths redacted by pino wherever they appear in a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'res.headers["set-cookie"]',
  '*.token',
  '*.adminToken',
  '*.clientSecret',
  '*.client_secret',
  '*.password',
  '*.secret',
  '*.code_verifier',
];
