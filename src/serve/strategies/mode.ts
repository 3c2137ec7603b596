/**
 * `mode`: the most frequent figure of each field.
 *
 * @module
 */
import { perField, type Strategy } from "../strategies.ts";

/**
 * The most frequent value; a tie goes to the smallest of the tied values
 * (the conservative reading of an amount owed or left).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modeOf } from "./mode.ts";
 *
 * assert.equal(modeOf([3, 1, 3, 2]), 3);
 * assert.equal(modeOf([7, 7, 4, 4]), 4);
 * ```
 */
export function modeOf(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0]!;
  let bestCount = 0;
  for (const [v, n] of counts) {
    if (n > bestCount || (n === bestCount && v < best)) {
      best = v;
      bestCount = n;
    }
  }
  return best;
}

/** The most frequent value of each field (see {@linkcode modeOf}). */
export const mode: Strategy = (answers) => perField(answers, modeOf);
