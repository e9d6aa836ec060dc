// The sign-in pages a person sees, and every word on them: choose a provider, why sign-in was refused, and the
// pages for failures. The engine answers in codes (core/signin/outcomes.ts, DomainError); each maps here once.
import type { DomainErrorCode } from '../../core/errors.ts';
import type { ChoiceNotice, ProviderChoice, SignInRefusalReason } from '../../core/signin/outcomes.ts';
import { escapeHtml, type PageBrand, page } from '../../lib/html.ts';
import { statusOf } from '../problem.ts';

/** What a person reads when sign-in is refused; the precise reason goes to the audit log, not to the page. */
const REFUSALS: Record<SignInRefusalReason, string> = {
  no_subject: 'Your account has not been set up in this application yet. Ask your administrator to assign you to it.',
  subject_inactive: 'Your account is disabled. Ask your administrator.',
  identity_conflict:
    'Your account is linked to a different identity in your organisation. Your administrator can resolve this.',
  provisioned_by_other_provider: 'This account is managed through another sign-in method.',
  ambiguous_external_id: 'More than one account matches you. Your administrator can resolve this.',
  no_username_claim: 'Your organisation did not send a user name, so no account can be created.',
  domain_not_verified:
    'Accounts for your email domain cannot be created automatically. Ask your administrator to give you access.',
  provider_unavailable: 'This sign-in method is not available.',
  directory_mismatch: 'You signed in with an account from another organisation.',
  issuer_mismatch: 'The identity provider is not configured correctly. Your administrator can fix this.',
  missing_oid: 'Your organisation did not identify your account.',
  state_mismatch: 'This sign-in link has expired or was already used. Start again from the application.',
  upstream_error: 'Your organisation did not complete the sign-in.',
  token_rejected: 'Your organisation’s answer could not be verified. Start again from the application.',
  discovery_failed: 'Your organisation’s identity provider cannot be reached right now. Try again later.',
  client_secret_unreadable: 'This sign-in method is not configured correctly. Your administrator can fix this.',
};

const NOTICES: Record<ChoiceNotice, string> = {
  hint_unavailable: 'The requested sign-in method is not available.',
};

/** Who a sign-in page speaks for (ADR 0035): the branding, the tenant's name and, once known, the app's. */
export interface SignInContext {
  readonly brand: PageBrand;
  readonly tenantName: string;
  readonly appName?: string | undefined;
}

function heading(context: SignInContext): string {
  const app = context.appName ? `Sign in to ${escapeHtml(context.appName)}` : 'Sign in';
  return `<h1>${app}</h1><p class="muted">with your ${escapeHtml(context.tenantName)} account</p>`;
}

export function choosePage(
  tenantId: string,
  uid: string,
  choices: readonly ProviderChoice[],
  context: SignInContext,
  notice?: ChoiceNotice,
  local = false,
): string {
  const links = choices.map(
    (c) =>
      `<a class="button primary" href="/${escapeHtml(tenantId)}/signin/${escapeHtml(uid)}/start/${encodeURIComponent(c.scheme)}">Sign in with ${escapeHtml(c.displayName)}</a>`,
  );
  // Roster ID's own credentials (ADR 0040), offered in SCIM-alone mode.
  if (local) {
    links.push(
      `<a class="button" href="/${escapeHtml(tenantId)}/signin/${escapeHtml(uid)}/local">Sign in with Roster ID</a>`,
    );
  }
  const buttons = links.join('\n');
  const body =
    links.length > 0 ? buttons : '<p>No sign-in method is available for this organisation. Ask your administrator.</p>';
  return page(
    context.appName ? `Sign in to ${context.appName}` : 'Sign in',
    `${heading(context)}${notice ? `<p role="alert">${escapeHtml(NOTICES[notice])}</p>` : ''}${body}
<p><a class="muted" href="/${escapeHtml(tenantId)}/signin/${escapeHtml(uid)}/abort">Cancel and return to the application</a></p>`,
    context.brand,
  );
}

export function refusedPage(
  tenantId: string,
  uid: string | undefined,
  reason: SignInRefusalReason,
  context: SignInContext,
): string {
  const back = uid
    ? `<a class="button" href="/${escapeHtml(tenantId)}/signin/${escapeHtml(uid)}/abort">Return to the application</a>`
    : '';
  return page(
    'Sign-in refused',
    `<h1>You cannot sign in</h1><p class="muted">${escapeHtml(context.tenantName)}</p><p>${escapeHtml(REFUSALS[reason])}</p>${back}`,
    context.brand,
  );
}

function problemPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}

/** The domain errors the sign-in pages can meet; each has its page below. */
export type PageErrorCode = Extract<DomainErrorCode, 'validation.failed' | 'tenant.not_found' | `signin.${string}`>;

export const isPageErrorCode = (code: DomainErrorCode): code is PageErrorCode =>
  code === 'validation.failed' || code === 'tenant.not_found' || code.startsWith('signin.');

export interface StatusPage {
  readonly status: number;
  readonly html: string;
}

/** One page per code, with the status docs/errors.md gives it; a new sign-in code does not compile without one. */
export function errorPage(code: PageErrorCode): StatusPage {
  const status = statusOf(code);
  switch (code) {
    case 'validation.failed':
      return {
        status,
        html: problemPage('Bad request', 'This address is not valid. Start again from the application.'),
      };
    case 'tenant.not_found':
      return { status, html: notFoundPage() };
    case 'signin.interaction_expired':
    case 'signin.interaction_mismatch':
      return {
        status,
        html: problemPage('Sign-in expired', 'This sign-in has expired or was opened in another browser. Start again.'),
      };
  }
}

export const notFoundPage = () => problemPage('Not found', 'There is nothing here.');
export const unavailablePage = () => problemPage('Try again shortly', 'The service is briefly unavailable.');
export const failedPage = () => problemPage('Something went wrong', 'Sign-in failed unexpectedly. Try again.');
export const tooManyRequestsPage = () =>
  problemPage(
    'Too many requests',
    'Too many sign-in requests came from here or for this organisation. Try again shortly.',
  );

/** The pages oidc-provider renders for the tenant's OpenID Provider (src/oidc/tenant-provider.ts). */
export const providerPages = {
  logout: (form: string) =>
    page(
      'Sign out',
      `<h1>Sign out?</h1>${form}<button form="op.logoutForm" name="logout" value="yes" type="submit">Sign out</button>`,
    ),
  signedOut: () => page('Signed out', '<h1>You are signed out</h1><p>You can close this window.</p>'),
  protocolError: (description: string, error: string) =>
    page(
      'Sign-in error',
      `<h1>Sign-in could not continue</h1><p>${escapeHtml(description)}</p><p class="muted">${escapeHtml(error)}</p>`,
    ),
};
