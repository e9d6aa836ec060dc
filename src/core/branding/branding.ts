// Reading, validating and changing branding (ADR 0035). The operator's row is the base; a tenant's row overrides it
// field by field, and a null field inherits. Every check lives here so the admin API and the console agree.
import { recordAudit } from '../audit/audit.ts';
import { invalid } from '../errors.ts';
import type { CoreDeps } from '../ports.ts';
import {
  type BrandingFields,
  type BrandingRepository,
  DEFAULT_ACCENT,
  DEFAULT_PRODUCT_NAME,
  type EffectiveBranding,
  EMPTY_BRANDING,
} from './records.ts';

export interface BrandingStore {
  readonly branding: BrandingRepository;
}

/** A logo is embedded in the page, so it must stay small: 24 KiB of data: URL text (ADR 0035). */
export const MAX_LOGO_CHARS = 24 * 1024;
const LOGO = /^data:image\/(png|svg\+xml);base64,([A-Za-z0-9+/]+={0,2})$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;
const FIELDS = ['productName', 'logoUrl', 'accentColor'] as const;

function productName(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw invalid('productName', 'must be a string or null');
  const name = value.trim();
  if (name.length === 0 || name.length > 60) throw invalid('productName', 'must be 1-60 characters');
  if (/\p{Cc}/u.test(name)) throw invalid('productName', 'must not contain control characters');
  return name;
}

function logoUrl(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw invalid('logoUrl', 'must be a string or null');
  if (value.length > MAX_LOGO_CHARS) throw invalid('logoUrl', `must be at most ${MAX_LOGO_CHARS} characters`);
  const match = LOGO.exec(value);
  if (!match) {
    throw invalid(
      'logoUrl',
      'must be a data: URL of a base64 PNG or SVG (data:image/png;base64,… or data:image/svg+xml;base64,…)',
    );
  }
  const bytes = Buffer.from(match[2]!, 'base64');
  const png = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const svg = /<svg[\s>]/.test(bytes.toString('utf8', 0, Math.min(bytes.length, 4096)));
  if (match[1] === 'png' ? !png : !svg)
    throw invalid('logoUrl', `is not a ${match[1] === 'png' ? 'PNG' : 'SVG'} image`);
  return value;
}

function accentColor(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !COLOR.test(value)) throw invalid('accentColor', 'must be a colour like #1f4fd1');
  return value.toLowerCase();
}

/** JSON merge patch (RFC 7396) of the three fields; unknown fields are refused. */
export function mergeBranding(current: BrandingFields, patch: unknown): BrandingFields {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw invalid('body', 'must be an object');
  for (const key of Object.keys(patch)) {
    if (!(FIELDS as readonly string[]).includes(key))
      throw invalid(key, `is not a branding field (${FIELDS.join(', ')})`);
  }
  const p = patch as Record<string, unknown>;
  return {
    productName: 'productName' in p ? productName(p.productName) : current.productName,
    logoUrl: 'logoUrl' in p ? logoUrl(p.logoUrl) : current.logoUrl,
    accentColor: 'accentColor' in p ? accentColor(p.accentColor) : current.accentColor,
  };
}

/** WCAG 2 relative luminance of `#rrggbb`. */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** Black or white, whichever contrasts more with the accent (one of them always reaches 4.5:1). */
export function textOn(hex: string): '#000000' | '#ffffff' {
  const l = luminance(hex);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

export async function readBranding(repos: BrandingStore, tenantId: string | null): Promise<BrandingFields> {
  return (await repos.branding.get(tenantId)) ?? EMPTY_BRANDING;
}

/** What a page of `tenantId` (or of no tenant) shows: the tenant's field, else the operator's, else Roster's. */
export async function effectiveBranding(repos: BrandingStore, tenantId: string | null): Promise<EffectiveBranding> {
  const [operator, tenant] = await Promise.all([
    readBranding(repos, null),
    tenantId === null ? EMPTY_BRANDING : readBranding(repos, tenantId),
  ]);
  const accent = tenant.accentColor ?? operator.accentColor ?? DEFAULT_ACCENT;
  return {
    productName: tenant.productName ?? operator.productName ?? DEFAULT_PRODUCT_NAME,
    logoUrl: tenant.logoUrl ?? operator.logoUrl,
    accentColor: accent,
    accentText: textOn(accent),
  };
}

/**
 * The operator's branding. Operator actions have no tenant trail (ADR 0020), so the row itself records who changed
 * it and when; a tenant's change is audited in its trail as `branding.updated`.
 */
export async function patchOperatorBranding(deps: CoreDeps, actor: string, patch: unknown): Promise<BrandingFields> {
  return deps.store.transaction(async (tx) => {
    const next = mergeBranding(await readBranding(tx, null), patch);
    await tx.branding.put(null, next, actor, deps.clock.now().toISOString());
    return next;
  });
}

export async function patchTenantBranding(
  deps: CoreDeps,
  actor: string,
  tenantId: string,
  patch: unknown,
): Promise<BrandingFields> {
  const now = deps.clock.now();
  return deps.store.transaction(async (tx) => {
    const next = mergeBranding(await readBranding(tx, tenantId), patch);
    await tx.branding.put(tenantId, next, actor, now.toISOString());
    const changed = Object.keys(patch as object);
    await recordAudit(tx, now, { tenantId, actor, action: 'branding.updated', data: { fields: changed } });
    return next;
  });
}
