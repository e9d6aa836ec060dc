// Rendering a signed-in page: the session's tenant and synchronizer token go into every frame and form.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { effectiveBranding } from '../../core/branding/branding.ts';
import type { FieldProblem } from '../../core/errors.ts';
import { html, type Markup } from './html.ts';
import { consolePage, type Section } from './layout.ts';
import { type ConsoleDeps, sessionOf } from './session.ts';

export function sendPage(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

export async function sendConsolePage(
  deps: ConsoleDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  page: { section: Section; title: string; content: Markup; status?: number },
): Promise<FastifyReply> {
  const session = sessionOf(request);
  const [tenant, brand] = await Promise.all([
    deps.store.tenants.get(session.tenantId),
    effectiveBranding(deps.store, session.tenantId),
  ]);
  const body = consolePage(
    {
      tenantId: session.tenantId,
      tenantName: tenant?.name ?? session.tenantId,
      brand,
      csrf: session.csrf,
      section: page.section,
    },
    page.title,
    page.content,
  );
  return sendPage(reply, body, page.status);
}

/** The hidden synchronizer-token field every state-changing form carries. */
export function csrfField(request: FastifyRequest): Markup {
  return html`<input type="hidden" name="_csrf" value="${sessionOf(request).csrf}">`;
}

/** The message for one field, shown next to it and tied to it by aria-describedby. */
export function fieldError(problems: readonly FieldProblem[], field: string): Markup {
  const found = problems.filter((p) => p.field === field);
  if (found.length === 0) return html``;
  return html`<p class="field-error" id="${errorId(field)}">${found.map((p) => p.message).join('; ')}</p>`;
}

export function errorId(field: string): string {
  return `error-${field.replaceAll('.', '-')}`;
}

export function invalidAttrs(problems: readonly FieldProblem[], field: string): Markup {
  return problems.some((p) => p.field === field)
    ? html` aria-invalid="true" aria-describedby="${errorId(field)}"`
    : html``;
}

/** Problems not tied to a field the form shows (or none), listed above the form. */
export function formSummary(problems: readonly FieldProblem[], message?: string): Markup {
  if (problems.length === 0 && !message) return html``;
  return html`<div class="error" role="alert"><p>${message ?? 'Please correct the fields marked below.'}</p></div>`;
}

export function copyable(id: string, label: string, value: string): Markup {
  return html`<div class="copyable"><label for="${id}">${label}</label>
<div class="copy-row"><input id="${id}" type="text" readonly value="${value}">
<button type="button" data-copy="${id}">Copy</button></div></div>`;
}
