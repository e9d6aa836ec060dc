// The provisioning log: every SCIM request of the tenant, filterable, failures highlighted and explained, with a
// chart of requests and failures over time. Reads through the same use case as GET /iam/v1/scim/logs.
import type { FastifyInstance } from 'fastify';
import { listScimLog } from '../../core/scim/log.ts';
import type { ScimLogEntry } from '../../core/scim/records.ts';
import { scimLogView } from '../admin/views.ts';
import { bucketize, requestChart } from './chart.ts';
import { html, type Markup, selectedIf, when } from './html.ts';
import { sendConsolePage } from './render.ts';
import { type ConsoleDeps, sessionOf } from './session.ts';

const OPERATIONS = ['create', 'get', 'search', 'replace', 'patch', 'delete', 'bulk', 'discovery', 'authenticate'];
const PAGE = 100;

interface LogQuery {
  outcome?: string;
  operation?: string;
  resourceId?: string;
  before?: string;
}

/** What went wrong in plain words (the same explanation GET /iam/v1/scim/logs gives), then the SCIM detail. */
export function failureDetail(entry: ScimLogEntry): Markup {
  const detail = typeof entry.summary.error === 'string' ? entry.summary.error : undefined;
  const explanation = scimLogView(entry).explanation;
  return html`${explanation ? html`<p class="explanation">${explanation}</p>` : ''}<p class="muted">${entry.scimType ? html`<code>${entry.scimType}</code> ` : ''}${detail ?? ''}</p>`;
}

export async function logPages(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get<{ Querystring: LogQuery }>('/logs', async (request, reply) => {
    const q = request.query;
    const outcome = q.outcome === 'failure' || q.outcome === 'success' ? q.outcome : undefined;
    const operation = OPERATIONS.includes(q.operation ?? '') ? q.operation : undefined;
    const resourceId = q.resourceId ? q.resourceId.slice(0, 128) : undefined;
    const { tenantId } = sessionOf(request);
    const page = await listScimLog(deps, tenantId, {
      outcome,
      operation,
      resourceId,
      before: q.before?.slice(0, 64),
      limit: PAGE,
    });
    const chart = requestChart(bucketize(page.items.map((e) => ({ at: Date.parse(e.at), failed: e.status >= 400 }))));
    const rows = page.items.map((e) => {
      const failed = e.status >= 400;
      return html`<tr${failed ? html` class="failure"` : ''}><td>${when(e.at)}</td><td>${e.operation}</td>
<td>${e.resourceType ?? ''}${e.resourceId ? html` <a href="/console/${e.resourceType === 'Group' ? 'groups' : 'users'}/${encodeURIComponent(e.resourceId)}"><code>${e.resourceId}</code></a>` : ''}
${typeof e.summary.userName === 'string' ? html`<br>${e.summary.userName}` : ''}${typeof e.summary.displayName === 'string' ? html`<br>${e.summary.displayName}` : ''}</td>
<td>${failed ? html`<strong>${e.status} failed</strong>` : html`${e.status}`}</td>
<td>${failed ? failureDetail(e) : ''}</td></tr>`;
    });
    const next = page.nextCursor
      ? html`<p><a href="/console/logs?${new URLSearchParams({ ...(outcome ? { outcome } : {}), ...(operation ? { operation } : {}), ...(resourceId ? { resourceId } : {}), before: page.nextCursor }).toString()}">Older entries</a></p>`
      : '';
    return sendConsolePage(deps, request, reply, {
      section: 'logs',
      title: 'Provisioning log',
      content: html`<p>Every SCIM request Entra ID made to this tenant, newest first.</p>
<form method="get" action="/console/logs" class="filters" role="search" aria-label="Filter the provisioning log">
<div class="field"><label for="f-outcome">Outcome</label><select id="f-outcome" name="outcome"><option value="">All</option>
<option value="failure"${selectedIf(outcome === 'failure')}>Failures only</option><option value="success"${selectedIf(outcome === 'success')}>Successes only</option></select></div>
<div class="field"><label for="f-operation">Operation</label><select id="f-operation" name="operation"><option value="">All</option>
${OPERATIONS.map((o) => html`<option value="${o}"${selectedIf(operation === o)}>${o}</option>`)}</select></div>
<div class="field"><label for="f-resource">Resource id</label><input id="f-resource" name="resourceId" type="text" value="${resourceId ?? ''}"></div>
<button type="submit">Filter</button></form>
${chart}
${
  page.items.length === 0
    ? html`<p>No entries${outcome || operation || resourceId ? ' match these filters' : ' yet: Entra ID has not called Roster'}.</p>`
    : html`<table class="log"><caption>Provisioning requests</caption><thead><tr><th scope="col">Time</th><th scope="col">Operation</th><th scope="col">Resource</th><th scope="col">Status</th><th scope="col">What went wrong</th></tr></thead><tbody>${rows}</tbody></table>`
}${next}`,
    });
  });
}
