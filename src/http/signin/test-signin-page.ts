// The page a test sign-in lands on (ADR 0029): what the IdP sent and what Roster made of it, escaped, no script.
import type { TestSignInOutcome } from '../../core/setup/ports.ts';
import { explainHow, explainRefusal } from '../../core/signin/refusal-explanations.ts';
import { escapeHtml, page } from '../../lib/html.ts';

function subjectLine(outcome: TestSignInOutcome): string {
  const s = outcome.subject;
  if (!s) return '';
  const who = s.userName ? `<strong>${escapeHtml(s.userName)}</strong>` : 'a new user';
  const id = s.userId ? ` <span class="muted">(id ${escapeHtml(s.userId)})</span>` : '';
  const rule = s.rule ? ` by ${escapeHtml(s.rule)}` : '';
  return `<p>Subject: ${who}${id} — ${escapeHtml(explainHow(s.how))}${rule}.</p>`;
}

function claimsTable(claims: Readonly<Record<string, unknown>> | undefined): string {
  if (!claims || Object.keys(claims).length === 0) return '<p class="muted">No claims were received.</p>';
  const rows = Object.entries(claims)
    .map(([name, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(text ?? '')}</td></tr>`;
    })
    .join('');
  return `<h2>Claims received</h2><table>${rows}</table>`;
}

const STYLE =
  '<style>table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e3e6eb;word-break:break-all;vertical-align:top}h2{font-size:1.05rem;margin:20px 0 8px}</style>';

export function testOutcomePage(outcome: TestSignInOutcome): string {
  const verdict =
    outcome.result === 'resolved'
      ? '<p>The sign-in <strong>succeeded</strong>.</p>'
      : `<p>The sign-in was <strong>refused</strong>: ${escapeHtml(explainRefusal(outcome.reason ?? ''))}.</p>`;
  return page(
    outcome.result === 'resolved' ? 'Test sign-in: succeeded' : 'Test sign-in: refused',
    `${STYLE}<h1>Test sign-in ${outcome.result === 'resolved' ? 'succeeded' : 'refused'}</h1>${verdict}${subjectLine(outcome)}${claimsTable(outcome.claims)}<p class="muted">This was a test: no one was signed in to an application. You can close this tab.</p>`,
  );
}

const START_REFUSALS = {
  unknown: { status: 404, text: 'This test sign-in link is not valid.' },
  used: { status: 409, text: 'This test sign-in was already started. Start a new test from the console.' },
  expired: { status: 410, text: 'This test sign-in link has expired. Start a new test from the console.' },
} as const;

export function testStartRefusedPage(reason: keyof typeof START_REFUSALS): { status: number; html: string } {
  const { status, text } = START_REFUSALS[reason];
  return { status, html: page('Test sign-in', `<h1>Test sign-in</h1><p>${escapeHtml(text)}</p>`) };
}

export function testGonePage(): string {
  return page('Test sign-in', '<h1>Test sign-in</h1><p>There is no test sign-in outcome to show here.</p>');
}
