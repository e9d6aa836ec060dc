// Test sign-in from the console (ADR 0029's use case): the button creates a test and offers its start URL, opened in
// a new tab, where the sign-in runs through the provider and ends on the outcome page; the console shows the
// same outcome at /console/sso/{scheme}/test-signins/{id}. A link, not a form target: CSP form-action 'self'
// would stop a form's redirect chain at the identity provider.
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import type { TestSignInOutcome } from '../../core/setup/ports.ts';
import { createTestSignIn, getTestSignIn } from '../../core/setup/test-signins.ts';
import { explainHow, explainRefusal } from '../../core/signin/refusal-explanations.ts';
import { isUuid } from '../../lib/ids.ts';
import { html, type Markup, when } from './html.ts';
import { sendConsolePage } from './render.ts';
import { type ConsoleDeps, sessionOf } from './session.ts';

function outcomeOf(outcome: TestSignInOutcome): Markup {
  const s = outcome.subject;
  const claims = Object.entries(outcome.claims ?? {}).map(
    ([name, value]) =>
      html`<tr><th scope="row">${name}</th><td>${typeof value === 'string' ? value : JSON.stringify(value)}</td></tr>`,
  );
  return html`${
    outcome.result === 'resolved'
      ? html`<p class="ok" role="status">The sign-in <strong>succeeded</strong>.</p>`
      : html`<p class="warning" role="status">The sign-in was <strong>refused</strong>: ${explainRefusal(outcome.reason ?? '')}.</p>`
  }${
    s
      ? html`<p>Subject: ${s.userName ? html`<strong>${s.userName}</strong>` : 'a new user'}${
          s.userId ? html` (<a href="/console/users/${encodeURIComponent(s.userId)}">user ${s.userId}</a>)` : ''
        } — ${explainHow(s.how)}${s.rule ? ` by ${s.rule}` : ''}.</p>`
      : ''
  }${claims.length ? html`<table><caption>Claims received</caption><tbody>${claims}</tbody></table>` : html`<p>No claims were received.</p>`}`;
}

export async function testSignInPages(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.post<{ Params: { scheme: string } }>('/sso/:scheme/test-signin', async (request, reply) => {
    const { tenantId, actor } = sessionOf(request);
    const test = await createTestSignIn(deps, actor, tenantId, request.params.scheme);
    const outcome = `/console/sso/${encodeURIComponent(test.record.scheme)}/test-signins/${test.record.id}`;
    return sendConsolePage(deps, request, reply, {
      section: 'sso',
      title: 'Test sign-in ready',
      status: 201,
      content: html`<p>Sign in in a new tab with an Entra ID account. Nobody is signed in to an application: Roster records what Entra ID sent and which user it resolves to.</p>
<p><a class="button" href="${test.url}" target="_blank" rel="noopener">Open the test sign-in in a new tab</a></p>
<p>The link works once, for ten minutes. Afterwards: <a href="${outcome}">see the outcome here</a>.</p>`,
    });
  });

  app.get<{ Params: { scheme: string; id: string } }>('/sso/:scheme/test-signins/:id', async (request, reply) => {
    if (!isUuid(request.params.id)) throw new DomainError('test_signin.not_found', 'no such test sign-in');
    const test = await getTestSignIn(deps, sessionOf(request).tenantId, request.params.id);
    return sendConsolePage(deps, request, reply, {
      section: 'sso',
      title: `Test sign-in with ${test.scheme}`,
      content: html`<p>Started ${when(test.createdAt)} by <code>${test.createdBy}</code>.</p>${
        test.outcome
          ? outcomeOf(test.outcome)
          : html`<p role="status">No outcome yet (${test.status}). Finish the sign-in in the other tab, then reload this page.</p>`
      }`,
    });
  });
}
