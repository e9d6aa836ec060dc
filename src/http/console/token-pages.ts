// SCIM tokens: create (the token and the Tenant URL shown once, in that one response), list with last use and
// expiry, and revoke after a confirmation page (which works without script; the script only asks sooner).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listDirectoryConnections } from '../../core/directories/connections.ts';
import { DomainError, type FieldProblem } from '../../core/errors.ts';
import { listSsoProviders } from '../../core/sso/providers.ts';
import { createScimToken, listScimTokens, revokeScimToken } from '../../core/tokens/scim-tokens.ts';
import { html, selectedIf, when } from './html.ts';
import { copyable, csrfField, fieldError, formSummary, invalidAttrs, sendConsolePage } from './render.ts';
import { type ConsoleDeps, sessionOf } from './session.ts';
import { schemaProblems } from './validate.ts';

type Form = Record<string, string | undefined>;

const ROTATION =
  'To rotate a token, create the new token first, put it in Entra ID (Provisioning → Admin Credentials → Secret Token), check a provisioning cycle succeeds, and only then revoke the old one.';

export async function tokenPages(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const listPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    form: Form = {},
    problems: readonly FieldProblem[] = [],
    status = 200,
  ) => {
    const { tenantId } = sessionOf(request);
    const [tokens, providers, directories] = await Promise.all([
      listScimTokens(deps, tenantId),
      listSsoProviders(deps, tenantId),
      listDirectoryConnections(deps, tenantId),
    ]);
    // A token names an SSO provider or a directory connection (ADR 0043); the list says which.
    const directoryOf = new Map(directories.map((d) => [d.scheme, d]));
    const linkOf = (t: { provider: string; providerDisplayName: string }) => {
      const d = directoryOf.get(t.provider);
      return html`${t.providerDisplayName} (<code>${t.provider}</code>${d ? html` — directory connection (${d.type})` : ''})`;
    };
    const revoked = (request.query as { revoked?: string }).revoked;
    const rows = tokens.map(
      (t) => html`<tr><td><code>${t.id}</code></td><td>${linkOf(t)}</td>
<td>${when(t.createdAt)}</td><td>${t.lastUsedAt ? when(t.lastUsedAt) : 'Never used'}</td><td>${t.expiresAt ? when(t.expiresAt) : 'Never'}</td>
<td><a href="/console/scim-tokens/${encodeURIComponent(t.id)}/revoke">Revoke<span class="visually-hidden"> token ${t.id}</span></a></td></tr>`,
    );
    const choice = (scheme: string, label: string) =>
      html`<option value="${scheme}"${selectedIf(form.provider === scheme)}>${label}</option>`;
    const options = [
      ...providers.map((p) => choice(p.scheme, `${p.displayName} (${p.scheme})`)),
      ...directories.map((d) => choice(d.scheme, `${d.displayName} (${d.scheme}, directory connection)`)),
    ];
    const createForm =
      options.length === 0
        ? html`<p>A SCIM token belongs to an SSO provider or a directory connection. <a href="/console/sso/new">Register the provider first</a>, or for provisioning without sign-in create a directory connection (<code>POST /iam/v1/directories</code>).</p>`
        : html`${formSummary(problems)}<form method="post" action="/console/scim-tokens" class="stack" novalidate>${csrfField(request)}
<div class="field"><label for="f-provider">SSO provider or directory connection <code>provider</code></label>
<select id="f-provider" name="provider"${invalidAttrs(problems, 'provider')}>${options}</select>${fieldError(problems, 'provider')}</div>
<div class="field"><label for="f-providerDisplayName">Label <code>providerDisplayName</code></label>
<p class="hint">What this token is for, e.g. "Entra ID provisioning".</p>
<input id="f-providerDisplayName" name="providerDisplayName" type="text" value="${form.providerDisplayName ?? 'Entra ID provisioning'}"${invalidAttrs(problems, 'providerDisplayName')}>
${fieldError(problems, 'providerDisplayName')}</div>
<div class="field"><label for="f-expiresAt">Expires at <code>expiresAt</code> (optional)</label>
<p class="hint">An RFC 3339 time such as 2027-12-31T00:00:00Z; empty for no expiry.</p>
<input id="f-expiresAt" name="expiresAt" type="text" value="${form.expiresAt ?? ''}"${invalidAttrs(problems, 'expiresAt')}>${fieldError(problems, 'expiresAt')}</div>
<p class="advice">${ROTATION}</p>
<button type="submit">Create SCIM token</button></form>`;
    return sendConsolePage(deps, request, reply, {
      section: 'tokens',
      title: 'SCIM tokens',
      status,
      content: html`${revoked ? html`<p class="ok" role="status">Token revoked. Requests with it are refused from now on; what it provisioned stays.</p>` : ''}
<h2>Tokens</h2>${
        tokens.length === 0
          ? html`<p>No SCIM token yet.</p>`
          : html`<table><caption>SCIM tokens (their values are never shown again)</caption><thead><tr><th scope="col">Id</th><th scope="col">Provider</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Action</th></tr></thead><tbody>${rows}</tbody></table>`
      }
<h2>Create a token</h2>${createForm}`,
    });
  };

  app.get('/scim-tokens', (request, reply) => listPage(request, reply));
  app.post<{ Body: Form }>('/scim-tokens', async (request, reply) => {
    const form = request.body;
    const { tenantId, actor } = sessionOf(request);
    const input = {
      provider: form.provider ?? '',
      providerDisplayName: form.providerDisplayName ?? '',
      ...(form.expiresAt ? { expiresAt: form.expiresAt } : {}),
    };
    const problems = schemaProblems('scimToken', input);
    if (problems.length > 0) return listPage(request, reply, form, problems, 400);
    let issued: Awaited<ReturnType<typeof createScimToken>>;
    try {
      issued = await createScimToken(deps, actor, tenantId, input);
    } catch (error) {
      if (!(error instanceof DomainError) || error.fields.length === 0) throw error;
      return listPage(request, reply, form, error.fields, 400);
    }
    // The one response that shows the token: rendered here, never stored, never redirected to (no-store).
    return sendConsolePage(deps, request, reply, {
      section: 'tokens',
      title: 'SCIM token created',
      status: 201,
      content: html`<p class="warning" role="alert"><strong>Copy the token now. It will not be shown again</strong>: Roster keeps only a keyed hash of it. If you lose it, create a new one.</p>
<p>In Entra ID: Enterprise applications → your app → Provisioning → Admin Credentials. Enter the Tenant URL and the Secret Token below, then Test Connection.</p>
${copyable('tenant-url', 'Tenant URL', `${deps.publicUrl}/${tenantId}/api/scim/v2`)}
${copyable('scim-token', 'Secret Token', issued.value)}
<p>Token id <code>${issued.record.id}</code>, for provider <code>${issued.record.provider}</code>, expires ${issued.record.expiresAt ? when(issued.record.expiresAt) : 'never'}.</p>
<p><a href="/console/scim-tokens">Back to SCIM tokens</a> · <a href="/console/logs">Watch the provisioning log</a></p>`,
    });
  });

  app.get<{ Params: { id: string } }>('/scim-tokens/:id/revoke', async (request, reply) => {
    const token = (await listScimTokens(deps, sessionOf(request).tenantId)).find((t) => t.id === request.params.id);
    if (!token) throw new DomainError('scim_token.not_found', 'no such SCIM token');
    return sendConsolePage(deps, request, reply, {
      section: 'tokens',
      title: 'Revoke this SCIM token?',
      content: html`<p>Token <code>${token.id}</code> (${token.providerDisplayName}), last used ${token.lastUsedAt ? when(token.lastUsedAt) : 'never'}.</p>
<p>Entra ID's requests with this token are refused at once. Users and groups it provisioned stay.</p>
<p class="advice">${ROTATION}</p>
<form method="post" action="/console/scim-tokens/${encodeURIComponent(token.id)}/revoke" data-confirm="Revoke this SCIM token? Provisioning with it stops at once.">${csrfField(request)}
<button type="submit" class="danger">Revoke token</button> <a href="/console/scim-tokens">Cancel</a></form>`,
    });
  });
  app.post<{ Params: { id: string } }>('/scim-tokens/:id/revoke', async (request, reply) => {
    const { tenantId, actor } = sessionOf(request);
    await revokeScimToken(deps, actor, tenantId, request.params.id);
    return reply.redirect('/console/scim-tokens?revoked=1', 303);
  });
}
