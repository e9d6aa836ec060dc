// Lookups compiled once per shape. Entra ID and Okta look a resource up before every create and update with
// `attr eq "value"`; the SQL of that page query depends on the attribute, never on the value, so it is compiled
// once per (dialect, table, attribute) and later requests only bind the tenant, the value, the limit and the offset.
//
// Only shapes whose SQL provably cannot depend on the value take this path: an `eq` with a string literal on an
// attribute the column map keeps in a column (userName, externalId, id, displayName…), of type string or reference.
// Their compilation differs by value only in the bound literal, folded or not (filter-sql.ts: compareSource). The
// template is made by compiling with sentinel values and finding each sentinel among the bound parameters; a
// sentinel found nowhere, or found transformed in an unknown way, leaves the shape uncached (the general path).
//
// A lookup is scoped by its tenant, or (ADR 0055) by a SCIM token's id: then the statement reads the token and
// joins the lookup on the token's own tenant, and its template must bind the token and never a tenant.
import type { Compilable } from 'kysely';
import type { FilterNode } from '../../scim/filter/ast.ts';
import { foldCase } from '../../scim/resource/normalize.ts';
import { columnSource, type FilterSqlContext, resolve } from './filter-attributes.ts';

type Compare = FilterNode & { kind: 'compare' };

/** Where each bound parameter of a cached lookup takes its value from. */
type Slot =
  | { readonly kind: 'constant'; readonly value: unknown }
  | { readonly kind: 'tenant' | 'token' | 'value' | 'folded' | 'limit' | 'offset' };

interface Template {
  readonly sql: string;
  readonly slots: readonly Slot[];
}

// Sentinels: strings no request can send to this point (a NUL byte), distinct once folded, and numbers beyond any
// page size or offset a request can ask for.
const TENANT = '\u0000Tenant\u0000';
const TOKEN_ID = '\u0000Token\u0000';
const VALUE = '\u0000Value\u0000';
const LIMIT = 2_000_000_001;
const OFFSET = 2_000_000_002;
const FOLDED_VALUE = foldCase(VALUE);

/** Shapes are bounded by the schema's column attributes; the bound is a guard, not an eviction policy. */
const MAX_SHAPES = 1_000;
const templates = new Map<string, Template | null>();

interface LookupPage {
  readonly filter: FilterNode;
  readonly limit: number;
  readonly offset: number;
}

/** A lookup among one tenant's resources. */
export interface LookupRequest extends LookupPage {
  readonly tenantId: string;
}

/** A lookup joined on a SCIM token's row: among the resources of the token's own tenant (ADR 0055). */
export interface TokenLookupRequest extends LookupPage {
  readonly tokenId: string;
}

type AnyLookupRequest = LookupRequest | TokenLookupRequest;
const byToken = (request: AnyLookupRequest): request is TokenLookupRequest => 'tokenId' in request;

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
  if (value === TOKEN_ID) return { kind: 'token' };
  if (value === VALUE) return { kind: 'value' };
  if (value === FOLDED_VALUE) return { kind: 'folded' };
  if (value === LIMIT) return { kind: 'limit' };
  if (value === OFFSET) return { kind: 'offset' };
  // Any other trace of a sentinel means the value was transformed in a way the template cannot repeat.
  if (typeof value === 'string' && value.includes('\u0000')) return undefined;
  return { kind: 'constant', value };
}

function makeTemplate<R extends AnyLookupRequest>(
  build: (request: R) => Compilable<unknown>,
  request: R,
): Template | null {
  const page = {
    filter: Object.freeze({ ...(request.filter as Compare), value: VALUE }),
    limit: LIMIT,
    offset: OFFSET,
  };
  const probe = build(
    (byToken(request) ? { ...page, tokenId: TOKEN_ID } : { ...page, tenantId: TENANT }) as R,
  ).compile();
  const slots: Slot[] = [];
  for (const parameter of probe.parameters) {
    const slot = slotOf(parameter);
    if (slot === undefined) return null;
    slots.push(slot);
  }
  const has = (kind: Slot['kind']) => slots.some((s) => s.kind === kind);
  // Every input must be bound, or the template would freeze a sentinel's absence into every later request.
  // A token-scoped lookup takes its tenant from the token's row, never from a parameter.
  const scoped = byToken(request) ? has('token') && !has('tenant') : has('tenant');
  if (!scoped || !(has('value') || has('folded')) || !has('limit') || !has('offset')) return null;
  return { sql: probe.sql, slots };
}

/**
 * The SQL and parameters of `request`, from the shape's template (built with `build` on first use), or undefined
 * when the shape is not cacheable: then the caller compiles the query itself.
 */
export function compiledLookup<R extends AnyLookupRequest>(
  shape: string,
  request: R,
  build: (request: R) => Compilable<unknown>,
): { sql: string; parameters: unknown[] } | undefined {
  const key = byToken(request) ? `token|${shape}` : shape;
  let template = templates.get(key);
  if (template === undefined) {
    template = makeTemplate(build, request);
    if (templates.size < MAX_SHAPES) templates.set(key, template);
  }
  if (template === null) return undefined;
  const value = (request.filter as Compare).value as string;
  const parameters = template.slots.map((slot) => {
    switch (slot.kind) {
      case 'constant':
        return slot.value;
      case 'tenant':
        return (request as LookupRequest).tenantId;
      case 'token':
        return (request as TokenLookupRequest).tokenId;
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
