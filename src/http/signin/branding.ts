// The branding and names a tenant's sign-in pages show (ADR 0035), read per page: two small keyed reads.
import { effectiveBranding } from '../../core/branding/branding.ts';
import type { Repositories } from '../../core/ports.ts';
import type { SignInContext } from './pages.ts';

export type BrandingReader = Pick<Repositories, 'branding' | 'tenants'>;

export async function signInContext(store: BrandingReader, tenantId: string, appName?: string): Promise<SignInContext> {
  const [brand, tenant] = await Promise.all([effectiveBranding(store, tenantId), store.tenants.get(tenantId)]);
  return { brand, tenantName: tenant?.name ?? 'your organisation', appName };
}
