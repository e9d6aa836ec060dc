// The passkey parts of the Roster ID pages (ADR 0042): the forms the sign-in and activation pages embed, the pages
// the verify routes answer with, and the CSP those pages need (scripts from this origin only, nothing inline).
import { escapeHtml, PAGE_CSP, type PageBrand, page } from '../../lib/html.ts';

/** PAGE_CSP plus this origin's scripts and fetches: the passkey glue is a file (/signin-assets/passkey.js). */
export const PASSKEY_PAGE_CSP = `${PAGE_CSP}; script-src 'self'; connect-src 'self'`;

const SCRIPTS = '<script src="/signin-assets/webauthn.js"></script><script src="/signin-assets/passkey.js"></script>';

/** "Sign in with a passkey" for the Roster ID sign-in page of interaction `uid` (usernameless). */
export function passkeySignInForm(tenantId: string, uid: string): string {
  const base = `/${escapeHtml(tenantId)}/signin/${escapeHtml(uid)}/passkey`;
  return `<form method="post" action="${base}/verify" data-passkey="signin" data-options="${base}/options">
<input type="hidden" name="response" value="">
<button type="submit" class="primary">Sign in with a passkey</button>
<p class="muted" role="status" data-passkey-status></p>
</form>${SCRIPTS}`;
}

/** "Create a passkey" for the activation page, while an enrolment cookie is held. */
export function passkeyEnrolForm(tenantId: string): string {
  const base = `/${escapeHtml(tenantId)}/signin/passkey/register`;
  return `<form method="post" action="${base}/verify" data-passkey="register" data-options="${base}/options">
<input type="hidden" name="response" value="">
<label for="passkey-name">Name for this passkey (optional)</label>
<input id="passkey-name" name="name" maxlength="100" autocomplete="off">
<button type="submit" class="primary">Create a passkey</button>
<p class="muted" role="status" data-passkey-status></p>
</form>${SCRIPTS}`;
}

export function passkeyCreatedPage(brand: PageBrand, tenantName: string): string {
  return page(
    'Passkey created',
    `<h1>Your passkey is ready</h1><p class="muted">${escapeHtml(tenantName)}</p>
<p>Return to the application and choose “Sign in with a passkey”.</p>`,
    brand,
  );
}

/** What a person reads when a passkey is not accepted; the precise reason is in the audit log. */
export function passkeyRefusedPage(
  brand: PageBrand,
  tenantName: string,
  retry: string | undefined,
  message = 'This passkey was not accepted. Try again, or use another way to sign in.',
): string {
  const again = retry ? `<a class="button" href="${escapeHtml(retry)}">Try again</a>` : '';
  return page(
    'Passkey not accepted',
    `<h1>Passkey not accepted</h1><p class="muted">${escapeHtml(tenantName)}</p><p>${escapeHtml(message)}</p>${again}`,
    brand,
  );
}

export const SSO_REQUIRED_MESSAGE = 'Your organisation requires you to sign in with its single sign-on.';
export const ENROLMENT_EXPIRED_MESSAGE =
  'Your activation link has expired or was already used. Ask your administrator for a new invitation.';
