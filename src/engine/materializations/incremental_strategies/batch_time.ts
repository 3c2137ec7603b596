/**
 * Time for microbatch models: reading the times users write (`begin`,
 * `--event-time-start`), and the batches (an hour, a day or a month, in
 * UTC) that cover a range of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchesBetween, batchLabel, parseEventTime } from "./batch_time.ts";
 *
 * const start = parseEventTime("2024-01-30 18:30")!;
 * const end = parseEventTime("2024-02-02")!;
 * assert.deepEqual(batchesBetween(start, end, "day").map((b) => batchLabel(b.start, "day")), [
 *   "2024-01-30",
 *   "2024-01-31",
 *   "2024-02-01",
 * ]);
 * ```
 *
 * @module
 */

/** The batch sizes of `batch_size`. */
export const BATCH_SIZES = ["hour", "day", "month"] as const;

/** How much time one batch covers. */
export type BatchSize = typeof BATCH_SIZES[number];

/** One batch: the event times from `start` (included) to `end` (not). */
export interface Batch {
  start: Date;
  end: Date;
}

/** What {@linkcode parseEventTime} reads, for messages. */
export const EVENT_TIME_FORMAT = "YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS (UTC)";

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?Z?$/;

/**
 * The UTC instant `text` names (`2024-01-31`, `2024-01-31 06:00`,
 * `2024-01-31T06:00:00Z`), or undefined when it names none (`2024-02-30`).
 */
export function parseEventTime(text: string): Date | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => v === undefined ? 0 : Number(v)) as number[];
  const t = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  const same = t.getUTCFullYear() === y && t.getUTCMonth() === mo! - 1 && t.getUTCDate() === d &&
    t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === s;
  return same ? t : undefined;
}

/** The start of the batch that holds `t`. */
export function batchStart(t: Date, size: BatchSize): Date {
  const y = t.getUTCFullYear();
  const mo = t.getUTCMonth();
  if (size === "month") return new Date(Date.UTC(y, mo, 1));
  const d = t.getUTCDate();
  if (size === "day") return new Date(Date.UTC(y, mo, d));
  return new Date(Date.UTC(y, mo, d, t.getUTCHours()));
}

/** The start of the batch `n` batches after the one that starts at `start` (before, for negative `n`). */
export function addBatches(start: Date, size: BatchSize, n: number): Date {
  const t = new Date(start);
  if (size === "month") t.setUTCMonth(t.getUTCMonth() + n);
  else if (size === "day") t.setUTCDate(t.getUTCDate() + n);
  else t.setUTCHours(t.getUTCHours() + n);
  return t;
}

/** The whole batches that hold the times from `start` (included) to `end` (not). */
export function batchesBetween(start: Date, end: Date, size: BatchSize): Batch[] {
  const out: Batch[] = [];
  for (let t = batchStart(start, size); t < end; t = addBatches(t, size, 1)) {
    out.push({ start: t, end: addBatches(t, size, 1) });
  }
  return out;
}

/** How a batch is named in messages and commands: `2024-01`, `2024-01-31`, `2024-01-31 06:00`. */
export function batchLabel(start: Date, size: BatchSize): string {
  const iso = start.toISOString();
  if (size === "month") return iso.slice(0, 7);
  if (size === "day") return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** `t` as a time users write back (`2024-01-31`, or `2024-01-31 06:00` when not midnight). */
export function formatEventTime(t: Date): string {
  const iso = t.toISOString();
  const time = iso.slice(11, 19);
  if (time === "00:00:00") return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${time.endsWith(":00") ? time.slice(0, 5) : time}`;
}
