// The one filter AST (RFC 7644 §3.4.2.2). Every walker (check, evaluate, print, filter-sql) reads these nodes.
import type { AttrRef } from '../path/types.ts';

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** JSON literal of a comparison: string, number, true/false or null. */
export type FilterLiteral = string | number | boolean | null;

export type FilterNode =
  | {
      readonly kind: 'compare';
      readonly attr: AttrRef;
      readonly op: CompareOperator;
      readonly value: FilterLiteral;
      readonly offset: number;
    }
  | { readonly kind: 'present'; readonly attr: AttrRef; readonly offset: number }
  | { readonly kind: 'and'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly filter: FilterNode }
  /**
   * `emails[type eq "work" and value co "@x"]`: `attr` names the multi-valued (or complex) attribute; inside
   * `filter`, each node's attr.attribute is a *sub-attribute* name of it (no schema, no subAttribute).
   */
  | { readonly kind: 'valuePath'; readonly attr: AttrRef; readonly filter: FilterNode; readonly offset: number };

/**
 * A PATCH path (RFC 7644 §3.5.2): `attrPath` or `valuePath [ "." subAttr ]`, e.g.
 * `emails[type eq "work"].value` → { attr: {attribute:'emails'}, valueFilter: …, subAttribute: 'value' }.
 * For a plain `name.givenName` the sub-attribute lives in attr.subAttribute and valueFilter is absent.
 */
export interface PatchPath {
  readonly attr: AttrRef;
  readonly valueFilter?: FilterNode | undefined;
  readonly subAttribute?: string | undefined;
}
