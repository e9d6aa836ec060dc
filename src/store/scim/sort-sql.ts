// sortBy compiled to an ORDER BY expression for SQLite and PostgreSQL (RFC 7644 §3.4.2.3), ordered by code point.
import { type RawBuilder, sql } from 'kysely';
import { scimErrors } from '../../scim/errors.ts';
import type { AttrRef } from '../../scim/path/types.ts';
import {
  checkName,
  columnSource,
  type FilterSqlContext,
  keysOf,
  label,
  membershipOf,
  resolve,
} from './filter-attributes.ts';
import { type Expr, FILTER_DIALECTS } from './filter-dialect.ts';
import { isFolded } from './search-document.ts';

/** A checked sortBy attribute → an ORDER BY expression over `<resource table> as r` (NULL when it has no value). */
export function compileSort(ref: AttrRef, ctx: FilterSqlContext): RawBuilder<unknown> {
  const d = FILTER_DIALECTS[ctx.dialect];
  const r = resolve(ctx, ref);
  const name = label(r.top, r.def);
  if (membershipOf(ctx.resourceTypeId, r)) throw scimErrors.invalidValue(`sortBy cannot name ${name}`);
  const source = columnSource(ctx.resourceTypeId, r.def, r);
  if (source) {
    switch (source.kind) {
      case 'column':
        return d.sortText(
          source.case === 'ascii' && isFolded(r.def) ? sql`lower(${sql.ref(source.ref)})` : sql.ref(source.ref),
        );
      case 'constant':
        return sql`cast(${source.value} as text)`;
      default:
        throw scimErrors.invalidValue(`sortBy cannot name ${name}`);
    }
  }
  const topKeys = keysOf(r, r.top);
  let def = r.def;
  if (def.type === 'complex') {
    // A complex attribute sorts by its `value` (RFC 7644 §3.4.2.3 "primary value … or else the first value").
    const value = def.subAttributes?.find((s) => s.name === 'value');
    if (!value || !def.multiValued) throw scimErrors.invalidValue(`sortBy ${name}: name a sub-attribute`);
    def = value;
  }
  const scalar = (doc: Expr, keys: readonly string[]): Expr => {
    if (def.type !== 'integer' && def.type !== 'decimal') return d.sortText(d.jsonValue(doc, keys));
    return d.sortNumber(doc, keys);
  };
  if (!r.top.multiValued) {
    return scalar(sql`r.search`, def === r.top ? topKeys : [...topKeys, checkName(def.name)]);
  }
  // RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary value, else the first one.
  const sub = [checkName(def.name)];
  return d.primaryOrFirst(topKeys, (e) => scalar(e, sub));
}
