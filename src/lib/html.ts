// The few server-rendered pages (sign-in, refusals, logout): one escaped layout, no scripts, no external assets.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Pages are self-contained: inline CSS only, allowed by a hash-free policy that forbids every script. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'";

/** `body` must already be escaped HTML. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2433;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:32px 36px;max-width:420px;width:100%}
h1{font-size:1.35rem;margin:0 0 20px}
p{line-height:1.5}
a.button,button{display:block;width:100%;box-sizing:border-box;padding:12px 16px;margin:10px 0;border:1px solid #c9cfd8;border-radius:8px;background:#fff;color:#1d2433;font-size:1rem;text-align:center;text-decoration:none;cursor:pointer}
a.button:hover,button:hover{background:#eef1f5}
.muted{color:#5c6577;font-size:.9rem}
</style></head>
<body><main>${body}</main></body></html>`;
}
