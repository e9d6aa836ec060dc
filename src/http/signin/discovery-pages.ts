// The home-realm discovery pages: one form asking for an email address, and one answer for every address that
// leads to no single sign-on (unknown domain, unverified domain, tenant without a usable provider): same words.
import { escapeHtml, type PageBrand, page } from '../../lib/html.ts';

export const NO_REALM_MESSAGE =
  'No single sign-on is set up for this address. Sign in from your application, or ask your administrator.';

export function discoveryPage(csrf: string, brand: PageBrand, options: { message?: string } = {}): string {
  const notice = options.message ? `<p role="alert">${escapeHtml(options.message)}</p>` : '';
  return page(
    'Sign in',
    `<h1>Sign in</h1>${notice}
<form method="post" action="/signin">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<p><label for="email">Work email address</label><br>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" style="width:100%;box-sizing:border-box;padding:10px;font-size:1rem"></p>
<button type="submit" class="primary">Continue</button>
</form>`,
    brand,
  );
}

export function discoveryRefusedPage(brand?: PageBrand): string {
  return page(
    'Sign in',
    '<h1>Sign in</h1><p role="alert">This form expired or came from another site. Open the sign-in page again.</p><p><a class="button" href="/signin">Sign in</a></p>',
    brand,
  );
}
