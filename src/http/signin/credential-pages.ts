// The Roster ID pages (ADR 0040): sign in with email and password (with a slot for passkeys), the TOTP step,
// redeeming an invitation or reset link, setting a password, enrolling TOTP, asking for a reset. Every word here;
// no scripts (the sign-in CSP), every value escaped.
import { escapeHtml as e, type PageBrand, page } from '../../lib/html.ts';
import type { SignInContext } from './pages.ts';
import { passkeySignInForm } from './passkey-pages.ts';

const FIELD = 'style="width:100%;box-sizing:border-box;padding:10px;font-size:1rem"';

function input(name: string, label: string, type: string, autocomplete: string, extra = ''): string {
  return `<p><label for="${name}">${label}</label><br><input id="${name}" name="${name}" type="${type}" autocomplete="${autocomplete}" required ${extra} ${FIELD}></p>`;
}

const hidden = (csrf: string) => `<input type="hidden" name="csrf" value="${e(csrf)}">`;
const alert = (message: string | undefined) => (message ? `<p role="alert">${e(message)}</p>` : '');

function heading(context: SignInContext): string {
  const app = context.appName ? `Sign in to ${e(context.appName)}` : 'Sign in';
  return `<h1>${app}</h1><p class="muted">with your ${e(context.tenantName)} account</p>`;
}

/** What the sign-in form says for every failure: one text, whatever failed (no account enumeration). */
export const SIGN_IN_FAILED = 'The email address or password is not right, or this account cannot sign in here.';

export interface LocalSignInOptions {
  readonly csrf: string;
  readonly message?: string | undefined;
  /** HTML the passkey sign-in adds (ADR 0040: the passkey engineer's slot); already escaped. */
  readonly passkeySlot?: string | undefined;
}

export function localSignInPage(tenantId: string, uid: string, context: SignInContext, o: LocalSignInOptions) {
  const base = `/${e(tenantId)}/signin`;
  return page(
    context.appName ? `Sign in to ${context.appName}` : 'Sign in',
    `${heading(context)}${alert(o.message)}
<form method="post" action="${base}/${e(uid)}/local">${hidden(o.csrf)}
${input('email', 'Email address', 'email', 'username', 'maxlength="320"')}
${input('password', 'Password', 'password', 'current-password', 'maxlength="1024"')}
<button type="submit" class="primary">Sign in</button>
</form>
<div id="passkey-slot">${o.passkeySlot ?? passkeySignInForm(tenantId, uid, o.csrf)}</div>
<p><a class="muted" href="${base}/reset">Forgot your password?</a></p>
<p><a class="muted" href="${base}/${e(uid)}/abort">Cancel and return to the application</a></p>`,
    context.brand,
  );
}

export function totpPromptPage(tenantId: string, uid: string, context: SignInContext, csrf: string, message?: string) {
  return page(
    'Enter your code',
    `${heading(context)}${alert(message)}
<form method="post" action="/${e(tenantId)}/signin/${e(uid)}/local/totp">${hidden(csrf)}
${input('code', 'Code from your authenticator app', 'text', 'one-time-code', 'inputmode="numeric" pattern="[0-9]{6}" maxlength="6"')}
<button type="submit" class="primary">Continue</button>
</form>
<p><a class="muted" href="/${e(tenantId)}/signin/${e(uid)}/abort">Cancel and return to the application</a></p>`,
    context.brand,
  );
}

/** The page a link opens: a button, so a mail scanner fetching the link spends nothing. */
export function redeemPage(action: string, purpose: 'invite' | 'reset', brand: PageBrand, csrf: string) {
  const what = purpose === 'invite' ? 'Activate your account' : 'Reset your password';
  return page(
    what,
    `<h1>${what}</h1><form method="post" action="${e(action)}">${hidden(csrf)}<button type="submit" class="primary">Continue</button></form>`,
    brand,
  );
}

export const LINK_REFUSED =
  'This link is not valid: it may have expired or been used already. Ask for a new one (or your administrator for a new invitation).';

export function messagePage(title: string, message: string, brand: PageBrand) {
  return page(title, `<h1>${e(title)}</h1><p>${e(message)}</p>`, brand);
}

export function setPasswordPage(tenantId: string, brand: PageBrand, csrf: string, message?: string) {
  return page(
    'Choose a password',
    `<h1>Choose a password</h1>${alert(message)}
<p class="muted">At least 8 characters. Long passphrases are welcome; very common passwords are refused.</p>
<form method="post" action="/${e(tenantId)}/signin/enrol/password">${hidden(csrf)}
${input('password', 'New password', 'password', 'new-password', 'minlength="8" maxlength="1024"')}
<button type="submit" class="primary">Save password</button>
</form>
<p><a class="button" href="/${e(tenantId)}/signin/passkey/register">Create a passkey instead</a></p>`,
    brand,
  );
}

export function totpEnrolPage(
  tenantId: string,
  brand: PageBrand,
  csrf: string,
  setup: { secret: string; uri: string },
  message?: string,
) {
  return page(
    'Two-step verification',
    `<h1>Add an authenticator app (optional)</h1>${alert(message)}
<p>Add this key to your authenticator app, then enter the code it shows.</p>
<p><code>${e(setup.secret)}</code></p><p class="muted" style="word-break:break-all">${e(setup.uri)}</p>
<form method="post" action="/${e(tenantId)}/signin/enrol/totp">${hidden(csrf)}
${input('code', 'Code', 'text', 'one-time-code', 'inputmode="numeric" pattern="[0-9]{6}" maxlength="6"')}
<button type="submit" class="primary">Turn on</button>
</form>
<form method="post" action="/${e(tenantId)}/signin/enrol/done">${hidden(csrf)}<button type="submit">Skip</button></form>`,
    brand,
  );
}

export function resetRequestPage(tenantId: string, brand: PageBrand, csrf: string, message?: string) {
  return page(
    'Reset your password',
    `<h1>Reset your password</h1>${alert(message)}
<form method="post" action="/${e(tenantId)}/signin/reset">${hidden(csrf)}
${input('email', 'Email address', 'email', 'username', 'maxlength="320"')}
<button type="submit" class="primary">Send reset link</button>
</form>`,
    brand,
  );
}

/** What every reset request is told, whether the address has an account or not. */
export const RESET_SENT =
  'If this address belongs to an account that can sign in with a password, a reset link is on its way. It works once, for one hour.';
