/**
 * Durations for messages, at the precision a reader needs.
 *
 * @module
 */

/**
 * A duration as a person reads it: `900 ms`, `45 s`, `2 min 5 s`,
 * `1 h 0 min`, `1157 d`.
 *
 * @param ms The duration in milliseconds.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./format_duration.ts";
 * assert.equal(formatDuration(60_000), "60 s");
 * assert.equal(formatDuration(3_600_000), "60 min 0 s");
 * assert.equal(formatDuration(7_200_000), "2 h 0 min");
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d`;
}
