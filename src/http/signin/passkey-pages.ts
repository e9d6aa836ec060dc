// The passkey parts of the Roster ID pages (ADR 0042): the forms the sign-in and activation pages embed, the pages
// the verify routes answer with, and the CSP those pages need (scripts from this origin only, nothing inline).
import { escapeHtml, PAGE_CSP, type PageBrand, page } from '../../lib/html.ts';

/** PAGE_CSP plus this origin's scripts and fetches: the passkey glue is a file (/signin-assets/passkey.js). */
export const PASSKEY_PAGE_CSP = `${PAGE_CSP}; script-src 'self'; connect-src 'self'`;

const SCRIPTS = '<script src="/signin-assets/webauthn.js"></script><script src="/signin-assets/passkey.js"></script>';

const hidden = (csrf: string) =>
  `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><input type="hidden" name="response" value="">`;

/** "Sign in with a passkey" for the Roster ID sign-in page of interaction `uid` (usernameless). */
export function passkeySignInForm(tenantId: string, uid: string, csrf: string): string {
  const base = `/${escapeHtml(tenantId)}/signin/${escapeHtml(uid)}/passkey`;
  return `<form method="post" action="${base}/verify" data-passkey="signin" data-options="${base}/options">
${hidden(csrf)}
<button type="submit" class="primary">Sign in with a passkey</button>
<p class="muted" role="status" data-passkey-status></p>
</form>${SCRIPTS}`;
}

/** "Create a passkey", while an enrolment cookie is held (the activation pages link or embed it). */
export function passkeyEnrolForm(tenantId: string, csrf: string): string {
  const base = `/${escapeHtml(tenantId)}/signin/passkey/register`;
  return `<form method="post" action="${base}/verify" data-passkey="register" data-options="${base}/options">
${hidden(csrf)}
<p><label for="passkey-name">Name for this passkey (optional)</label><br>
<input id="passkey-name" name="name" maxlength="100" autocomplete="off"></p>
<button type="submit" class="primary">Create a passkey</button>
<p class="muted" role="status" data-passkey-status></p>
</form>${SCRIPTS}`;
}

/** The enrolment page of the passkey: one button, the ceremony runs in passkey.js. */
export function passkeyEnrolPage(tenantId: string, brand: PageBrand, csrf: string): string {
  return page(
    'Create a passkey',
    `<h1>Create a passkey</h1>
<p>Sign in with your fingerprint, face, screen lock or security key instead of a password.</p>
${passkeyEnrolForm(tenantId, csrf)}`,
    brand,
  );
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
