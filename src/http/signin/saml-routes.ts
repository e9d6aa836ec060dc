// SAML 2.0 SP routes (ADR 0038): per provider, the SP metadata and the ACS (HTTP-POST binding), and the return hop
// under the interaction's path. The ACS is a cross-site POST, so the interaction cookie (SameSite=Lax) is not sent
// with it: the ACS verifies and then redirects to the return step, a top-level GET that carries the cookie.
import type { FastifyInstance } from 'fastify';
import { type BrandingReader, signInContext } from './branding.ts';
import { notFoundPage, refusedPage } from './pages.ts';
import { sendPage } from './send-page.ts';
import type { SignInSurface } from './surface.ts';

export interface SamlRoutesOptions {
  readonly engine: SignInSurface;
  readonly store: BrandingReader;
  readonly checkParams: (params: { tenantId?: string; uid?: string }) => boolean;
}

const SCHEME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
/** A signed Response with a few certificates and attributes is a few KiB; this leaves room and no more. */
const ACS_BODY_LIMIT = 256 * 1024;

interface Params {
  tenantId: string;
  scheme: string;
  uid: string;
  handle: string;
}

export async function samlRoutes(app: FastifyInstance, options: SamlRoutesOptions): Promise<void> {
  const { engine } = options;
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: ACS_BODY_LIMIT },
    (_request, body, done) => done(null, new URLSearchParams(String(body))),
  );
  const valid = (p: Partial<Params>) => options.checkParams(p) && (p.scheme === undefined || SCHEME.test(p.scheme));

  app.get<{ Params: Params }>('/:tenantId/signin/saml/:scheme/metadata', async (request, reply) => {
    if (!valid(request.params)) return sendPage(reply, 404, notFoundPage());
    const xml = await engine.samlMetadata(request.params.tenantId, request.params.scheme);
    if (xml === undefined) return sendPage(reply, 404, notFoundPage());
    return reply.header('content-type', 'application/samlmetadata+xml; charset=utf-8').send(xml);
  });

  app.post<{ Params: Params }>('/:tenantId/signin/saml/:scheme/acs', async (request, reply) => {
    if (!valid(request.params)) return sendPage(reply, 404, notFoundPage());
    const { tenantId, scheme } = request.params;
    const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
    const outcome = await engine.samlAcs(tenantId, scheme, form.get('SAMLResponse') ?? undefined);
    if (outcome.kind === 'continue') {
      const next = `/${tenantId}/signin/${outcome.uid}/saml-return/${encodeURIComponent(outcome.handle)}`;
      return reply.code(303).header('location', next).send();
    }
    return sendPage(
      reply,
      403,
      refusedPage(tenantId, undefined, outcome.reason, await signInContext(options.store, tenantId)),
    );
  });

  app.get<{ Params: Params }>('/:tenantId/signin/:uid/saml-return/:handle', async (request, reply) => {
    if (!valid(request.params)) return sendPage(reply, 404, notFoundPage());
    const { tenantId, uid, handle } = request.params;
    const outcome = await engine.completeSaml(tenantId, request.raw, reply.raw, uid, handle);
    if (outcome.kind === 'finished') return reply.hijack();
    return sendPage(
      reply,
      403,
      refusedPage(tenantId, uid, outcome.reason, await signInContext(options.store, tenantId)),
    );
  });
}
