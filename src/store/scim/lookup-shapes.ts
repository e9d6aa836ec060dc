// Lookups compiled once per shape. Entra ID and Okta look a resource up before every create and update with
// `attr eq "value"`; the SQL of that page query depends on the attribute, never on the value, so it is compiled
// once per (dialect, table, attribute) and later requests only bind the tenant, the value, the limit and the offset.
//
// Only shapes whose SQL provably cannot depend on the value take this path: an `eq` with a string literal on an
// attribute the column map keeps in a column (userName, externalId, id, displayName…), of type string or reference.
// Their compilation differs by value only in the bound literal, folded or not (filter-sql.ts: compareSource). The
// template is made by compiling with sentinel values and finding each sentinel among the bound parameters; a
// sentinel found nowhere, or found transformed in an unknown way, leaves the shape uncached (the general path).
import type { Compilable } from 'kysely';
import type { FilterNode } from '../../scim/filter/ast.ts';
import { foldCase } from '../../scim/resource/normalize.ts';
import { columnSource, type FilterSqlContext, resolve } from './filter-attributes.ts';

type Compare = FilterNode & { kind: 'compare' };

/** Where each bound parameter of a cached lookup takes its value from. */
type Slot =
  | { readonly kind: 'constant'; readonly value: unknown }
  | { readonly kind: 'tenant' | 'value' | 'folded' | 'limit' | 'offset' };

interface Template {
  readonly sql: string;
  readonly slots: readonly Slot[];
}

// Sentinels: strings no request can send to this point (a NUL byte), distinct once folded, and numbers beyond any
// page size or offset a request can ask for.
const TENANT = '\u0000Tenant\u0000';
const VALUE = '\u0000Value\u0000';
const LIMIT = 2_000_000_001;
const OFFSET = 2_000_000_002;
const FOLDED_VALUE = foldCase(VALUE);

/** Shapes are bounded by the schema's column attributes; the bound is a guard, not an eviction policy. */
const MAX_SHAPES = 1_000;
const templates = new Map<string, Template | null>();

export interface LookupRequest {
  readonly tenantId: string;
  readonly filter: FilterNode;
  readonly limit: number;
  readonly offset: number;
}

/** The cache key of a lookup whose SQL cannot depend on its value, or undefined for any other filter. */
export function lookupShape(filter: FilterNode, ctx: FilterSqlContext, table: string): string | undefined {
  if (filter.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string') return undefined;
  let source: ReturnType<typeof columnSource>;
  let type: string;
  try {
    const r = resolve(ctx, filter.attr);
    source = columnSource(ctx.resourceTypeId, r.def, r);
    type = r.def.type;
  } catch {
    return undefined; // the general path reports the error
  }
  if (source?.kind !== 'column' || (type !== 'string' && type !== 'reference')) return undefined;
  const a = filter.attr;
  return `${ctx.dialect}|${table}|${ctx.resourceTypeId}|${a.schema ?? ''}|${a.attribute}|${a.subAttribute ?? ''}`;
}

function slotOf(value: unknown): Slot | undefined {
  if (value === TENANT) return { kind: 'tenant' };
  if (value === VALUE) return { kind: 'value' };
  if (value === FOLDED_VALUE) return { kind: 'folded' };
  if (value === LIMIT) return { kind: 'limit' };
  if (value === OFFSET) return { kind: 'offset' };
  // Any other trace of a sentinel means the value was transformed in a way the template cannot repeat.
  if (typeof value === 'string' && value.includes('\u0000')) return undefined;
  return { kind: 'constant', value };
}

function makeTemplate(build: (request: LookupRequest) => Compilable<unknown>, filter: Compare): Template | null {
  const probe = build({
    tenantId: TENANT,
    filter: Object.freeze({ ...filter, value: VALUE }),
    limit: LIMIT,
    offset: OFFSET,
  }).compile();
  const slots: Slot[] = [];
  for (const parameter of probe.parameters) {
    const slot = slotOf(parameter);
    if (slot === undefined) return null;
    slots.push(slot);
  }
  const has = (kind: Slot['kind']) => slots.some((s) => s.kind === kind);
  // Every input must be bound, or the template would freeze a sentinel's absence into every later request.
  if (!has('tenant') || !(has('value') || has('folded')) || !has('limit') || !has('offset')) return null;
  return { sql: probe.sql, slots };
}

/**
 * The SQL and parameters of `request`, from the shape's template (built with `build` on first use), or undefined
 * when the shape is not cacheable: then the caller compiles the query itself.
 */
export function compiledLookup(
  shape: string,
  request: LookupRequest,
  build: (request: LookupRequest) => Compilable<unknown>,
): { sql: string; parameters: unknown[] } | undefined {
  let template = templates.get(shape);
  if (template === undefined) {
    template = makeTemplate(build, request.filter as Compare);
    if (templates.size < MAX_SHAPES) templates.set(shape, template);
  }
  if (template === null) return undefined;
  const value = (request.filter as Compare).value as string;
  const parameters = template.slots.map((slot) => {
    switch (slot.kind) {
      case 'constant':
        return slot.value;
      case 'tenant':
        return request.tenantId;
      case 'value':
        return value;
      case 'folded':
        return foldCase(value);
      case 'limit':
        return request.limit;
      default:
        return request.offset;
    }
  });
  return { sql: template.sql, parameters };
}

/** How many shapes have a template (for the tests: proof that lookups take this path). */
export function cachedLookupShapes(): number {
  let n = 0;
  for (const template of templates.values()) if (template !== null) n++;
  return n;
}
