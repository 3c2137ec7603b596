/**
 * Coalescing strategies: how several sources' figures for one key become one
 * answer. The figures are the fields `serve.coalesce` configures, each an
 * integer amount; a strategy is a function of the non-empty list of answers.
 * The built-in ones (per field: max, min, avg, mode) are modules of
 * `strategies/`, registered in `strategies/index.ts`; a project adds its own
 * by name (`strategies` in wharf.config.ts). Neither touches the routes.
 *
 * @module
 */

/**
 * One source's figures: an integer amount per configured field. `F` names
 * the fields, so a project's strategy can read them by name.
 */
export type Figures<F extends string = string> = Record<F, number>;

/**
 * The largest amount a source may report: 100,000,000,000 (a billion in
 * currency units of a hundredth, such as dollars in cents). Larger (or
 * fractional, or negative) values are that source's error, never an answer;
 * sums of this many sources' figures stay exact in a double.
 */
export const MAX_AMOUNT = 100_000_000_000;

/**
 * Turns the answers of several sources (at least one, each with every
 * configured field) into one answer with the same fields.
 *
 * @example A project's strategy, reading its fields by name
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Strategy } from "./strategies.ts";
 *
 * const lowestPrice: Strategy<"price" | "stock"> = (answers) =>
 *   answers.reduce((best, a) => a.price < best.price ? a : best);
 * assert.deepEqual(lowestPrice([{ price: 3, stock: 1 }, { price: 2, stock: 0 }]), {
 *   price: 2,
 *   stock: 0,
 * });
 * ```
 */
export type Strategy<F extends string = string> = (answers: readonly Figures<F>[]) => Figures<F>;

/**
 * One answer whose every field is `pick` of that field's values in
 * `answers` (the fields of the first answer: every answer has the same).
 */
export function perField<F extends string>(
  answers: readonly Figures<F>[],
  pick: (values: number[]) => number,
): Figures<F> {
  const out = {} as Figures<F>;
  for (const f of Object.keys(answers[0]!) as F[]) out[f] = pick(answers.map((a) => a[f]));
  return out;
}
