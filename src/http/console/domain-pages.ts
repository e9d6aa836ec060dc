// Domains: the tenant's claims with their status and the TXT record to publish (with a copy button), a claim form,
// Verify, Remove (after a confirmation page) and the domain policy. The same core use cases as /iam/v1/domains and
// /iam/v1/settings; every form carries the session's CSRF token like the others.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { claimDomain, getDomain, listDomains, removeDomain, verifyDomain } from '../../core/domains/domains.ts';
import { patchDomainPolicy, readDomainPolicy } from '../../core/domains/policy.ts';
import type { DomainFailure, DomainPolicy, DomainRecord } from '../../core/domains/records.ts';
import { DEFAULT_DOMAIN_POLICY } from '../../core/domains/records.ts';
import { challengeName } from '../../core/domains/verification.ts';
import { DomainError, type FieldProblem } from '../../core/errors.ts';
import { checkedIf, html, type Markup, when } from './html.ts';
import { copyable, csrfField, fieldError, formSummary, invalidAttrs, sendConsolePage } from './render.ts';
import { type ConsoleDeps, sessionOf } from './session.ts';

type Form = Record<string, string | undefined>;

const FAILURES: Record<DomainFailure, string> = {
  record_not_found: 'No TXT record was found at the name below. Publish it, wait for DNS to update, then verify again.',
  record_mismatch: 'A TXT record exists at the name below but holds another value. Publish exactly the value shown.',
  dns_unavailable: 'DNS could not be asked just now. Try again in a few minutes.',
};

const POLICY_LABELS: Record<keyof DomainPolicy, string> = {
  scimRestrictToVerifiedDomains: 'SCIM may create and rename users only in verified domains',
  jitRestrictToVerifiedDomains: 'Just-in-time sign-in may create users only in verified domains',
  ssoRequiredForVerifiedDomains:
    'People of verified domains must sign in through single sign-on (stored; enforced once Roster has its own credentials)',
};

function domainBlock(request: FastifyRequest, d: DomainRecord): Markup {
  const id = encodeURIComponent(d.id);
  const status =
    d.status === 'verified'
      ? html`<p class="ok">Verified ${when(d.verifiedAt)}; re-checked daily.</p>`
      : d.status === 'failed'
        ? html`<p class="error">Not verified. ${d.reason ? FAILURES[d.reason] : ''}</p>`
        : html`<p>Pending: publish the TXT record below, then verify.</p>`;
  return html`<section class="panel" aria-labelledby="d-${d.id}"><h3 id="d-${d.id}">${d.domain} <span class="muted">(${d.status})</span></h3>${status}
${copyable(`txt-name-${d.id}`, 'TXT record name', challengeName(d.domain))}
${copyable(`txt-value-${d.id}`, 'TXT record value', d.challenge)}
<form method="post" action="/console/domains/${id}/verify" class="actions">${csrfField(request)}<button type="submit">Verify ${d.domain}</button></form>
<a href="/console/domains/${id}/remove">Remove<span class="visually-hidden"> ${d.domain}</span></a></section>`;
}

export async function domainPages(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const listPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    form: Form = {},
    problems: readonly FieldProblem[] = [],
    status = 200,
  ) => {
    const { tenantId } = sessionOf(request);
    const [domains, policy] = await Promise.all([listDomains(deps, tenantId), readDomainPolicy(deps.store, tenantId)]);
    const notice = (request.query as { done?: string }).done;
    const boxes = (Object.keys(DEFAULT_DOMAIN_POLICY) as (keyof DomainPolicy)[]).map(
      (key) =>
        html`<div class="field"><input type="checkbox" id="p-${key}" name="${key}" value="on"${checkedIf(policy[key] === true)}> <label for="p-${key}">${POLICY_LABELS[key]} <code>${key}</code></label></div>`,
    );
    return sendConsolePage(deps, request, reply, {
      section: 'domains',
      title: 'Domains',
      status,
      content: html`${notice ? html`<p class="ok" role="status">${notice === 'removed' ? 'Domain removed.' : 'Domain policy saved.'}</p>` : ''}
<p>Prove that your organisation owns a DNS domain by publishing a TXT record. Verified domains route sign-in by email address and can restrict who is created.</p>
<h2>Your domains</h2>${domains.length === 0 ? html`<p>No domain claimed yet.</p>` : domains.map((d) => domainBlock(request, d))}
<h2>Claim a domain</h2>${formSummary(problems)}
<form method="post" action="/console/domains" class="stack" novalidate>${csrfField(request)}
<div class="field"><label for="f-domain">Domain <code>domain</code></label>
<input id="f-domain" name="domain" type="text" value="${form.domain ?? ''}" placeholder="contoso.com"${invalidAttrs(problems, 'domain')}>${fieldError(problems, 'domain')}</div>
<button type="submit">Claim domain</button></form>
<h2>Domain policy</h2>
<form method="post" action="/console/domains/policy" class="stack">${csrfField(request)}${boxes}
<button type="submit">Save policy</button></form>`,
    });
  };

  app.get('/domains', (request, reply) => listPage(request, reply));

  app.post<{ Body: Form }>('/domains', async (request, reply) => {
    const { tenantId, actor } = sessionOf(request);
    try {
      await claimDomain(deps, actor, tenantId, request.body.domain ?? '');
    } catch (error) {
      if (!(error instanceof DomainError) || error.fields.length === 0) throw error;
      return listPage(request, reply, request.body, error.fields, 400);
    }
    return reply.redirect('/console/domains', 303);
  });

  app.post<{ Params: { id: string } }>('/domains/:id/verify', async (request, reply) => {
    const { tenantId, actor } = sessionOf(request);
    await verifyDomain(deps, actor, tenantId, request.params.id);
    return reply.redirect('/console/domains', 303);
  });

  app.get<{ Params: { id: string } }>('/domains/:id/remove', async (request, reply) => {
    const d = await getDomain(deps, sessionOf(request).tenantId, request.params.id);
    return sendConsolePage(deps, request, reply, {
      section: 'domains',
      title: `Remove ${d.domain}?`,
      content: html`<p>Sign-in by email address stops routing <code>${d.domain}</code> to your organisation, and the domain policy no longer counts it as verified.</p>
<form method="post" action="/console/domains/${encodeURIComponent(d.id)}/remove" data-confirm="Remove ${d.domain}?">${csrfField(request)}
<button type="submit" class="danger">Remove domain</button> <a href="/console/domains">Cancel</a></form>`,
    });
  });

  app.post<{ Params: { id: string } }>('/domains/:id/remove', async (request, reply) => {
    const { tenantId, actor } = sessionOf(request);
    await removeDomain(deps, actor, tenantId, request.params.id);
    return reply.redirect('/console/domains?done=removed', 303);
  });

  app.post<{ Body: Form }>('/domains/policy', async (request, reply) => {
    const { tenantId, actor } = sessionOf(request);
    // An unticked checkbox is not sent: every known key is set, true exactly when its box came back ticked.
    const patch = Object.fromEntries(
      Object.keys(DEFAULT_DOMAIN_POLICY).map((key) => [key, request.body[key] === 'on']),
    );
    await patchDomainPolicy(deps, actor, tenantId, patch);
    return reply.redirect('/console/domains?done=policy', 303);
  });
}
