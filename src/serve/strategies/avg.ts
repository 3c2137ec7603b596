/**
 * `avg`: the mean of each field, rounded to the nearest integer amount.
 *
 * @module
 */
import { perField, type Strategy } from "../strategies.ts";

/**
 * The mean rounded to the nearest integer, halves away from zero
 * (`Math.round` on the absolute value): 100.5 → 101, -100.5 → -101.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundedMean } from "./avg.ts";
 *
 * assert.equal(roundedMean([100, 101]), 101);
 * assert.equal(roundedMean([-1, -2]), -2);
 * ```
 */
export function roundedMean(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sign(mean) * Math.round(Math.abs(mean));
}

/** The mean of each field (see {@linkcode roundedMean}). */
export const avg: Strategy = (answers) => perField(answers, roundedMean);
