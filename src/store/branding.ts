// Branding rows on Kysely (ADR 0035): the operator's single row and the tenants' overrides, each tenant's by its id.
import type { Kysely } from 'kysely';
import type { BrandingFields, BrandingRepository } from '../core/branding/records.ts';
import type { Database } from './schema.ts';

const OPERATOR_ROW = 'operator';

interface Row {
  product_name: string | null;
  logo_url: string | null;
  accent_color: string | null;
}

const toFields = (row: Row): BrandingFields => ({
  productName: row.product_name,
  logoUrl: row.logo_url,
  accentColor: row.accent_color,
});

export function createBrandingRepository(db: Kysely<Database>): BrandingRepository {
  return {
    async get(tenantId) {
      const row =
        tenantId === null
          ? await db
              .selectFrom('operator_branding')
              .select(['product_name', 'logo_url', 'accent_color'])
              .where('id', '=', OPERATOR_ROW)
              .executeTakeFirst()
          : await db
              .selectFrom('tenant_branding')
              .select(['product_name', 'logo_url', 'accent_color'])
              .where('tenant_id', '=', tenantId)
              .executeTakeFirst();
      return row && toFields(row);
    },
    async put(tenantId, fields, actor, at) {
      const values = {
        product_name: fields.productName,
        logo_url: fields.logoUrl,
        accent_color: fields.accentColor,
        updated_by: actor,
        updated_at: at,
      };
      if (tenantId === null) {
        await db
          .insertInto('operator_branding')
          .values({ id: OPERATOR_ROW, ...values })
          .onConflict((oc) => oc.column('id').doUpdateSet(values))
          .execute();
        return;
      }
      await db
        .insertInto('tenant_branding')
        .values({ tenant_id: tenantId, ...values })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
        .execute();
    },
  };
}
