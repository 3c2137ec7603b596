/**
 * Exponential backoff with full jitter: after the n-th failure in a row,
 * wait a random time between 0 and `min(maxDelayMs, baseDelayMs × 2^(n−1))`.
 * The randomness spreads clients that failed together (a server restart, a
 * rate limit) so they do not come back together.
 *
 * @module
 */

/** Options of {@linkcode backoff}. */
export interface BackoffOptions {
  /** The ceiling of the first wait, ms; doubled after each failure. Default 250. */
  baseDelayMs?: number;
  /** The highest ceiling, ms. Default 10,000. */
  maxDelayMs?: number;
  /** Random numbers in [0, 1) for the jitter; `() => 1` waits the whole ceiling. */
  random?: () => number;
}

/**
 * The wait before the next attempt, ms, after `failures` failures in a row.
 *
 * @param failures Failures in a row so far, 1 for the first.
 * @param options Base, cap and random source.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoff } from "./backoff.ts";
 * const whole = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 };
 * assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoff(n, whole)), [100, 200, 400, 800, 1000]);
 * assert.equal(backoff(3, { ...whole, random: () => 0.5 }), 200);
 * ```
 */
export function backoff(failures: number, options: BackoffOptions = {}): number {
  const ceiling = Math.min(
    options.maxDelayMs ?? 10_000,
    (options.baseDelayMs ?? 250) * 2 ** Math.max(0, failures - 1),
  );
  return (options.random ?? Math.random)() * ceiling;
}
