/**
 * Waiting without a busy loop, for any length (a server may ask for days)
 * and cut short by an abort signal.
 *
 * @module
 */

/** Longest delay one timer takes; longer ones would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Resolves after `ms` milliseconds, or as soon as `signal` aborts (it
 * resolves then too: the caller checks the signal). Delays longer than a
 * timer allows (about 24.8 days) are waited in several steps.
 *
 * @param ms How long to wait; 0 or less resolves at once.
 * @param signal Ends the wait early.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./sleep.ts";
 * const stop = new AbortController();
 * const waiting = sleep(3_600_000, stop.signal);
 * stop.abort();
 * await waiting; // at once, not in an hour
 * assert.ok(stop.signal.aborted);
 * ```
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  for (let left = ms; left > 0 && !signal?.aborted; left -= MAX_TIMER_MS) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(left, MAX_TIMER_MS));
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
