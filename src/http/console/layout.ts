// The console's page frame: landmarks, a skip link, the navigation and the logout form. Styles and script are
// files under /console/assets, so the CSP needs no 'unsafe-inline'.
import { html, type Markup } from './html.ts';

/** ADR 0028: nothing inline, nothing from elsewhere, no framing, forms post only here. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/** What the frame shows of the branding (ADR 0035); the colours come from /console/assets/brand.css. */
export interface FrameBrand {
  readonly productName: string;
  readonly logoUrl: string | null;
}

const ROSTER: FrameBrand = { productName: 'Roster', logoUrl: null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The colours live in a stylesheet (CSP `style-src 'self'`), one per tenant, the operator's without a tenant. */
const brandSheet = (tenantId: string | undefined) =>
  tenantId && UUID.test(tenantId) ? `/console/assets/brand.css?tenant=${tenantId}` : '/console/assets/brand.css';

const NAV = [
  ['overview', 'Overview', '/console'],
  ['sso', 'SSO providers', '/console/sso'],
  ['tokens', 'SCIM tokens', '/console/scim-tokens'],
  ['logs', 'Provisioning log', '/console/logs'],
  ['users', 'Users', '/console/users'],
  ['groups', 'Groups', '/console/groups'],
  ['domains', 'Domains', '/console/domains'],
  ['audit', 'Audit log', '/console/audit'],
  ['webhooks', 'Webhooks', '/console/webhooks'],
] as const;

export type Section = (typeof NAV)[number][0];

export interface SessionFrame {
  readonly tenantId: string;
  readonly tenantName: string;
  readonly brand: FrameBrand;
  readonly csrf: string;
  readonly section: Section;
}

function document(title: string, body: Markup, brand: FrameBrand, tenantId?: string): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>${title} · ${brand.productName} console</title>
<link rel="stylesheet" href="/console/assets/console.css"><link rel="stylesheet" href="${brandSheet(tenantId)}">
<script src="/console/assets/console.js" defer></script>
</head><body>${body}</body></html>`.text;
}

/** The logo is decorative next to the product name, so its text alternative is empty. */
function brandMark(brand: FrameBrand): Markup {
  return html`${brand.logoUrl ? html`<img class="logo" src="${brand.logoUrl}" alt="" height="28">` : ''}${brand.productName} console`;
}

/** A page of a signed-in session. */
export function consolePage(frame: SessionFrame, title: string, content: Markup): string {
  const links = NAV.map(
    ([key, label, href]) =>
      html`<li><a href="${href}"${key === frame.section ? html` aria-current="page"` : ''}>${label}</a></li>`,
  );
  return document(
    title,
    html`<a class="skip" href="#main">Skip to content</a>
<header class="top"><p class="brand">${brandMark(frame.brand)} <span class="tenant">${frame.tenantName}</span></p>
<form method="post" action="/console/logout"><input type="hidden" name="_csrf" value="${frame.csrf}">
<button type="submit" class="link">Sign out</button></form></header>
<div class="frame"><nav aria-label="Console sections"><ul>${links}</ul></nav>
<main id="main" tabindex="-1"><h1>${title}</h1>${content}</main></div>`,
    frame.brand,
    frame.tenantId,
  );
}

/** A page outside a session: sign-in, setup links, errors. Without a brand given, Roster's own. */
/** A page outside a session; with `tenantId`, its colours are that tenant's (brand.css?tenant=…). */
export function plainPage(title: string, content: Markup, brand: FrameBrand = ROSTER, tenantId?: string): string {
  return document(
    title,
    html`<header class="top"><p class="brand">${brandMark(brand)}</p></header>
<main id="main" class="narrow"><h1>${title}</h1>${content}</main>`,
    brand,
    tenantId,
  );
}
