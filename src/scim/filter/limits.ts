// Hard limits on filters, checked before and while parsing so hostile input fails fast as invalidFilter.

export const FILTER_LIMITS = {
  /** Characters in one filter. */
  maxLength: 2048,
  /** Nesting of parentheses, `not` and value paths. */
  maxDepth: 16,
  /** Comparison and presence terms. */
  maxTerms: 50,
} as const;

export type FilterLimits = { readonly maxLength: number; readonly maxDepth: number; readonly maxTerms: number };
