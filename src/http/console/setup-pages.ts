// Opening a setup link (ADR 0028): the GET shows a button, the POST redeems the link and starts the session.
// Redeeming on the POST keeps mail scanners and link previews, which fetch URLs with GET, from spending the link.

import type { FastifyInstance } from 'fastify';
import { effectiveBranding } from '../../core/branding/branding.ts';
import { startConsoleSession } from '../../core/console/sessions.ts';
import { redeemSetupLink, type SetupLinkRefusal, setupLinkTenant } from '../../core/setup/setup-links.ts';
import { html } from './html.ts';
import { plainPage } from './layout.ts';
import { sendPage } from './render.ts';
import {
  type ConsoleDeps,
  type CookiePolicy,
  refuseForgery,
  sameOrigin,
  sessionCookie,
  setSessionCookie,
} from './session.ts';

const REFUSALS: Record<SetupLinkRefusal, { status: number; title: string; text: string }> = {
  used: {
    status: 410,
    title: 'This setup link has already been used',
    text: 'A setup link opens the console once. If that was not you, tell your vendor now. Otherwise ask them for a new link, or sign in with an admin token.',
  },
  expired: {
    status: 410,
    title: 'This setup link has expired',
    text: 'Setup links work for a limited time. Ask your vendor for a new one.',
  },
  revoked: {
    status: 410,
    title: 'This setup link was withdrawn',
    text: 'Your vendor revoked this link. Ask them for a new one.',
  },
  unknown: {
    status: 404,
    title: 'This setup link is not valid',
    text: 'Check that you opened the whole link, exactly as you received it. Otherwise ask your vendor for a new one.',
  },
};

export async function setupPages(app: FastifyInstance, deps: ConsoleDeps, policy: CookiePolicy): Promise<void> {
  /**
   * A link that resolves speaks for its tenant (the person holding it is that tenant's admin, and the console they
   * open wears the tenant's branding); an unknown one stays the operator's, so a guess learns nothing.
   */
  const linkBrand = async (secret: string) => {
    const tenantId = await setupLinkTenant(deps, secret);
    return { brand: await effectiveBranding(deps.store, tenantId ?? null), tenantId };
  };

  app.get<{ Params: { secret: string } }>('/setup/:secret', async (request, reply) => {
    const { brand, tenantId } = await linkBrand(request.params.secret);
    return sendPage(
      reply,
      plainPage(
        'Set up single sign-on and provisioning',
        html`<p>This link opens the console where you connect your Microsoft Entra ID: sign-in (SSO) and user provisioning (SCIM).</p>
<p>It works <strong>once</strong>: after you continue, it cannot be used again. Your session then lasts while you work.</p>
<form method="post" action="/console/setup/${request.params.secret}"><button type="submit">Open the console</button></form>`,
        brand,
        tenantId,
      ),
    );
  });

  app.post<{ Params: { secret: string } }>('/setup/:secret', async (request, reply) => {
    if (!sameOrigin(request, deps.publicUrl)) return refuseForgery(reply);
    const redemption = await redeemSetupLink(deps, request.params.secret, request.ip);
    if (redemption.kind === 'refused') {
      const refusal = REFUSALS[redemption.reason];
      const { brand, tenantId } = await linkBrand(request.params.secret);
      return sendPage(
        reply,
        plainPage(
          refusal.title,
          html`<p>${refusal.text}</p><p><a href="/console/login">Sign in with an admin token</a></p>`,
          brand,
          tenantId,
        ),
        refusal.status,
      );
    }
    const started = await startConsoleSession(
      deps,
      redemption.tenantId,
      `setup_link:${redemption.linkId}`,
      'setup_link',
      sessionCookie(request, policy),
    );
    setSessionCookie(reply, policy, started.cookie);
    return reply.redirect('/console', 303);
  });
}
