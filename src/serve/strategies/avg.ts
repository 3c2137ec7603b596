/**
 * `avg`: the mean of each field, rounded to the nearest cent.
 *
 * @module
 */
import { perField, type Strategy } from "../strategies.ts";

/**
 * The mean rounded to the nearest cent, halves away from zero
 * (`Math.round` on the absolute value): 100.5 → 101, -100.5 → -101.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { averageCents } from "./avg.ts";
 *
 * assert.equal(averageCents([100, 101]), 101);
 * assert.equal(averageCents([-1, -2]), -2);
 * ```
 */
export function averageCents(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sign(mean) * Math.round(Math.abs(mean));
}

/** The mean of each field (see {@linkcode averageCents}). */
export const avg: Strategy = (answers) => perField(answers, averageCents);
