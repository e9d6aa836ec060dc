// Overview: the setup checklist as the data shows it (the same use case as GET /iam/v1/setup), each step linking
// to the page where it is done.
import type { FastifyInstance } from 'fastify';
import { type SetupStepId, setupChecklist } from '../../core/setup/checklist.ts';
import { html, when } from './html.ts';
import { sendConsolePage } from './render.ts';
import { type ConsoleDeps, sessionOf } from './session.ts';

const WHERE: Record<SetupStepId, { href: string; action: string }> = {
  provider_registered: { href: '/console/sso', action: 'Register the Azure AD provider' },
  redirect_uri_registered: { href: '/console/sso', action: 'Copy the redirect URI into Entra ID, then confirm' },
  scim_token_created: { href: '/console/scim-tokens', action: 'Create a SCIM token' },
  first_scim_request: { href: '/console/logs', action: 'Enter the Tenant URL and token in Entra ID provisioning' },
  first_user_provisioned: {
    href: '/console/users',
    action: 'Assign users to the app in Entra ID and start provisioning',
  },
  first_sign_in: { href: '/console/sso', action: 'Run a test sign-in, or sign in to the app' },
};

export async function overviewPage(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get('/', async (request, reply) => {
    const checklist = await setupChecklist(deps, sessionOf(request).tenantId);
    const items = checklist.steps.map((s) => {
      const where = WHERE[s.id];
      return html`<li${s.id === checklist.next ? html` aria-current="step"` : ''}>${
        s.done ? html`<span class="done">Done</span>` : html`<span class="todo">To do</span>`
      } ${s.title}${s.at ? html` <span class="muted">(${when(s.at)})</span>` : ''}<br><a href="${where.href}">${where.action}</a></li>`;
    });
    const done = checklist.steps.filter((s) => s.done).length;
    return sendConsolePage(deps, request, reply, {
      section: 'overview',
      title: 'Overview',
      content: html`<p>Connect your Microsoft Entra ID: sign-in (SSO) and user provisioning (SCIM).</p>
<h2 id="checklist-heading">Setup checklist: ${done} of ${checklist.steps.length} done</h2>
<ol class="checklist" aria-labelledby="checklist-heading">${items}</ol>`,
    });
  });
}
