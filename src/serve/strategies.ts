/**
 * Coalescing strategies: how several sources' benefit figures become one
 * answer. Each is a function of the non-empty list of answers. The built-in
 * ones are modules of `strategies/`, registered in `strategies/index.ts`; a
 * project adds its own by name (`strategies` in wharf.config.ts). Neither
 * touches the routes.
 *
 * @module
 */

/** Benefit figures in integer cents. */
export interface Benefits {
  oop_max: number;
  remaining_oop_max: number;
  copay: number;
}

/**
 * The largest figure a source may report: $1,000,000,000 in cents. Larger
 * (or fractional, or negative) values are that source's error, never an
 * answer; sums of this many sources' figures stay exact in a double.
 */
export const MAX_CENTS = 100_000_000_000;

/** Turns the answers of several sources (at least one) into one. */
export type Strategy = (answers: readonly Benefits[]) => Benefits;

const FIELDS = ["oop_max", "remaining_oop_max", "copay"] as const;

/** One answer whose every field is `pick` of that field's values in `answers`. */
export function perField(
  answers: readonly Benefits[],
  pick: (values: number[]) => number,
): Benefits {
  const out = {} as Benefits;
  for (const f of FIELDS) out[f] = pick(answers.map((a) => a[f]));
  return out;
}
