// The few server-rendered pages (sign-in, refusals, logout): one escaped layout, no scripts, no external assets.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Pages are self-contained: inline CSS only, allowed by a hash-free policy that forbids every script. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'";

/** The operator's or tenant's branding (ADR 0035), already validated: the accent is `#rrggbb`, the logo a data: URL. */
export interface PageBrand {
  readonly productName: string;
  readonly logoUrl: string | null;
  readonly accentColor: string;
  readonly accentText: string;
}

const HEX = /^#[0-9a-fA-F]{6}$/;
const ROSTER: PageBrand = { productName: 'Roster', logoUrl: null, accentColor: '#1f4fd1', accentText: '#ffffff' };

/** The colours go into the inline style block the policy already allows; anything but `#rrggbb` is not written. */
function brandStyle(brand: PageBrand): string {
  const accent = HEX.test(brand.accentColor) ? brand.accentColor : ROSTER.accentColor;
  const ink = HEX.test(brand.accentText) ? brand.accentText : ROSTER.accentText;
  return `:root{--accent:${accent};--accent-ink:${ink}}`;
}

function brandHeader(brand: PageBrand): string {
  const logo = brand.logoUrl ? `<img src="${escapeHtml(brand.logoUrl)}" alt="" height="32">` : '';
  return `<header class="brand">${logo}<span>${escapeHtml(brand.productName)}</span></header>`;
}

/** `body` must already be escaped HTML. */
export function page(title: string, body: string, brand: PageBrand = ROSTER): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · ${escapeHtml(brand.productName)}</title>
<style>
${brandStyle(brand)}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2433;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);border-top:6px solid var(--accent);padding:32px 36px;max-width:420px;width:100%}
header.brand{display:flex;align-items:center;gap:10px;font-weight:600;margin:0 0 16px}
header.brand img{max-height:32px;width:auto}
h1{font-size:1.35rem;margin:0 0 20px}
p{line-height:1.5}
a.button,button{display:block;width:100%;box-sizing:border-box;padding:12px 16px;margin:10px 0;border:1px solid #c9cfd8;border-radius:8px;background:#fff;color:#1d2433;font-size:1rem;text-align:center;text-decoration:none;cursor:pointer}
a.button:hover,button:hover{background:#eef1f5}
a.button.primary,button.primary{background:var(--accent);color:var(--accent-ink);border-color:var(--accent)}
a.button.primary:hover,button.primary:hover{filter:brightness(.92)}
.muted{color:#5c6577;font-size:.9rem}
</style></head>
<body><main>${brandHeader(brand)}${body}</main></body></html>`;
}
