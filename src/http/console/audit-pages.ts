// The audit log (who did what, through the API or this console) and the tenant's webhooks, read only here: webhook
// endpoints are set up by the vendor's developers through /iam/v1/webhooks, an IT admin only needs to see them.
import type { FastifyInstance } from 'fastify';
import { listAudit } from '../../core/audit/audit.ts';
import { listWebhooks } from '../../core/webhooks/endpoints.ts';
import { html, when } from './html.ts';
import { sendConsolePage } from './render.ts';
import { type ConsoleDeps, sessionOf } from './session.ts';

export async function auditPages(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get<{ Querystring: { before?: string } }>('/audit', async (request, reply) => {
    const before = request.query.before || undefined;
    const page = await listAudit(deps, sessionOf(request).tenantId, { limit: 100, before });
    const rows = page.items.map(
      (
        e,
      ) => html`<tr><td>${when(e.at)}</td><td><code>${e.actor}</code></td><td>${e.action}</td><td>${e.target ? html`<code>${e.target}</code>` : '—'}</td>
<td>${Object.keys(e.data).length ? html`<code>${JSON.stringify(e.data)}</code>` : ''}</td></tr>`,
    );
    return sendConsolePage(deps, request, reply, {
      section: 'audit',
      title: 'Audit log',
      content: html`<p>Every change to this tenant's setup, through the admin API or this console, newest first. Secrets never appear here.</p>
${rows.length ? html`<table><caption>Audit events</caption><thead><tr><th scope="col">Time</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Details</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p>No events yet.</p>`}
${page.nextCursor ? html`<p><a href="/console/audit?before=${encodeURIComponent(page.nextCursor)}">Older events</a></p>` : ''}`,
    });
  });

  app.get('/webhooks', async (request, reply) => {
    const hooks = await listWebhooks(deps, sessionOf(request).tenantId);
    const rows = hooks.map(
      (
        w,
      ) => html`<tr><td><code>${w.url}</code></td><td>${w.description ?? ''}</td><td>${w.eventTypes ? w.eventTypes.join(', ') : 'All events'}</td>
<td>${w.disabledAt ? html`<strong class="bad">Disabled ${when(w.disabledAt)}${w.disabledReason ? `: ${w.disabledReason}` : ''}</strong>` : w.enabled ? (w.failingSince ? html`<strong class="bad">Failing since ${when(w.failingSince)}</strong>` : 'Delivering') : 'Paused'}</td></tr>`,
    );
    return sendConsolePage(deps, request, reply, {
      section: 'webhooks',
      title: 'Webhooks',
      content: html`<p>Where Roster sends this tenant's directory changes. Your application's developers manage them through <code>/iam/v1/webhooks</code>.</p>
${rows.length ? html`<table><caption>Webhook endpoints</caption><thead><tr><th scope="col">URL</th><th scope="col">Description</th><th scope="col">Events</th><th scope="col">State</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p>No webhook endpoints.</p>`}`,
    });
  });
}
