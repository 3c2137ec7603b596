/**
 * dbt 1.9's event-time filtering of a microbatch model's inputs: each
 * relation it reads (`ref()`, `source()`) that has an `event_time` is read,
 * in each batch, through a filter of that batch's time range, so a batch
 * reads only its own rows. The filter is dbt's (`where <event_time> >=
 * '<start>' and <event_time> < '<end>'`, the bounds as Python prints a UTC
 * time, `2024-01-05 00:00:00+00:00`, which DuckDB casts to the column's
 * type); compile writes it with placeholders, each batch puts its bounds in.
 *
 * @module
 */

const START = "__wharf_batch_start__";
const END = "__wharf_batch_end__";

/**
 * The relation `reference` (its SQL text) read through the batch filter on
 * `eventTime` (a column or SQL expression, as dbt writes it: unquoted).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eventTimeFilter, inBatch } from "./event_time_filter.ts";
 *
 * const filtered = eventTimeFilter('"main"."events"', "occurred_at");
 * assert.equal(
 *   inBatch(filtered, { start: new Date("2024-01-05T00:00:00Z"), end: new Date("2024-01-06T00:00:00Z") }),
 *   `(select * from "main"."events" where occurred_at >= '2024-01-05 00:00:00+00:00' and occurred_at < '2024-01-06 00:00:00+00:00')`,
 * );
 * ```
 */
export function eventTimeFilter(reference: string, eventTime: string): string {
  return `(select * from ${reference} where ${eventTime} >= '${START}' and ${eventTime} < '${END}')`;
}

/** A UTC instant as dbt writes a batch bound: `2024-01-05 00:00:00+00:00`. */
function bound(t: Date): string {
  const iso = t.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}+00:00`;
}

/** `sql` (holding {@linkcode eventTimeFilter}s) for the batch from `start` to `end`. */
export function inBatch(sql: string, batch: { start: Date; end: Date }): string {
  return sql.replaceAll(`'${START}'`, `'${bound(batch.start)}'`)
    .replaceAll(`'${END}'`, `'${bound(batch.end)}'`);
}

/** `sql` (holding {@linkcode eventTimeFilter}s) as `wharf compile` shows it: the bounds named. */
export function shownBatch(sql: string): string {
  return sql.replaceAll(`'${START}'`, "<batch start>").replaceAll(`'${END}'`, "<batch end>");
}
