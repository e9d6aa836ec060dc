// /console/assets/brand.css (ADR 0035): the accent colour as a stylesheet, because the console's CSP allows styles
// only from files ('self'), never inline. The text over the accent is black or white, whichever contrasts more.
import type { FastifyInstance } from 'fastify';
import { effectiveBranding } from '../../core/branding/branding.ts';
import type { EffectiveBranding } from '../../core/branding/records.ts';
import type { ConsoleDeps } from './session.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = /^#[0-9a-f]{6}$/;

/** Only validated `#rrggbb` values reach the sheet, so nothing read from the store can end the declaration. */
export function brandCss(brand: EffectiveBranding): string {
  const accent = HEX.test(brand.accentColor) ? brand.accentColor : '#1f4fd1';
  return `:root{--brand:${accent};--brand-ink:${brand.accentText}}
.top{background:var(--brand);color:var(--brand-ink);border-bottom-color:var(--brand)}
.top .tenant,.top button.link{color:var(--brand-ink)}
nav a[aria-current="page"]{background:var(--brand);color:var(--brand-ink)}
`;
}

export async function brandCssRoute(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get<{ Querystring: { tenant?: string } }>('/assets/brand.css', async (request, reply) => {
    const tenant = request.query.tenant;
    // The branding of a tenant is no secret (its sign-in pages show it); an unknown id gets the operator's.
    const brand = await effectiveBranding(deps.store, tenant && UUID.test(tenant) ? tenant : null);
    return reply.type('text/css; charset=utf-8').send(brandCss(brand));
  });
}

/** The pages before a session (sign-in, unknown setup links) speak for the operator, who sent the link. */
export function operatorBrand(deps: ConsoleDeps): Promise<EffectiveBranding> {
  return effectiveBranding(deps.store, null);
}

/**
 * The branding of an error page: the tenant's when the request has one (a session, a resolved setup link), else the
 * operator's; Roster's own when the store cannot say (the page may be reporting exactly that).
 */
export async function errorPageBrand(
  deps: ConsoleDeps,
  tenantId: string | undefined,
): Promise<EffectiveBranding | undefined> {
  return effectiveBranding(deps.store, tenantId ?? null).catch(() => undefined);
}
