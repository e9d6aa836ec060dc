// Branding (issue 12 item 5, ADR 0035): what people see on the sign-in, setup-link and console pages. The operator
// sets it once; a tenant may override each field, where null means "inherit the operator's".

export interface BrandingFields {
  readonly productName: string | null;
  /** A data: URL of a small PNG or SVG (ADR 0035: the pages' `img-src` stays 'self' data:). */
  readonly logoUrl: string | null;
  /** `#rrggbb`, lower case. */
  readonly accentColor: string | null;
}

/** What a page shows: every field resolved, with the text colour that reads on the accent. */
export interface EffectiveBranding {
  readonly productName: string;
  readonly logoUrl: string | null;
  readonly accentColor: string;
  readonly accentText: '#000000' | '#ffffff';
}

export const EMPTY_BRANDING: BrandingFields = { productName: null, logoUrl: null, accentColor: null };

/** Roster's own look when nobody set anything (the console's accent in console.css). */
export const DEFAULT_PRODUCT_NAME = 'Roster';
export const DEFAULT_ACCENT = '#1f4fd1';

export interface BrandingRepository {
  /** `tenantId` null: the operator's branding. */
  get(tenantId: string | null): Promise<BrandingFields | undefined>;
  put(tenantId: string | null, fields: BrandingFields, actor: string, at: string): Promise<void>;
}
