// The sign-in pages a person sees: choose a provider, or read why sign-in was refused.
import { escapeHtml, page } from '../../lib/html.ts';

export interface Choice {
  readonly scheme: string;
  readonly displayName: string;
}

export function choosePage(tenantId: string, uid: string, choices: readonly Choice[], notice?: string): string {
  const buttons = choices
    .map(
      (c) =>
        `<a class="button" href="/${escapeHtml(tenantId)}/signin/${escapeHtml(uid)}/start/${encodeURIComponent(c.scheme)}">Sign in with ${escapeHtml(c.displayName)}</a>`,
    )
    .join('\n');
  const body =
    choices.length > 0
      ? buttons
      : '<p>No sign-in method is available for this organisation. Ask your administrator.</p>';
  return page(
    'Sign in',
    `<h1>Sign in</h1>${notice ? `<p role="alert">${escapeHtml(notice)}</p>` : ''}${body}
<p><a class="muted" href="/${escapeHtml(tenantId)}/signin/${escapeHtml(uid)}/abort">Cancel and return to the application</a></p>`,
  );
}

export function refusedPage(tenantId: string, uid: string | undefined, message: string): string {
  const back = uid
    ? `<a class="button" href="/${escapeHtml(tenantId)}/signin/${escapeHtml(uid)}/abort">Return to the application</a>`
    : '';
  return page('Sign-in refused', `<h1>You cannot sign in</h1><p>${escapeHtml(message)}</p>${back}`);
}

export function problemPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}
