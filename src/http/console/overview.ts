// Overview: where the tenant's setup stands, and the way to the next step.
import type { FastifyInstance } from 'fastify';
import { html } from './html.ts';
import { sendConsolePage } from './render.ts';
import type { ConsoleDeps } from './session.ts';

export async function overviewPage(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get('/', async (request, reply) =>
    sendConsolePage(deps, request, reply, {
      section: 'overview',
      title: 'Overview',
      content: html`<p>Set up sign-in with Microsoft Entra ID and user provisioning with SCIM.</p>`,
    }),
  );
}
