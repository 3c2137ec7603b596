/**
 * `microbatch`: the model's rows are built in batches of `event_time` (an
 * hour, a day or a month, in UTC), each batch in a transaction of its own
 * that replaces the table's rows of that time range with the model's.
 *
 * - The first build (and `--full-refresh`) creates the table empty, then
 *   builds every batch from the one that holds `begin` to the current one.
 * - A later run rebuilds from the batch of the table's latest `event_time`,
 *   `lookback` batches earlier (default 1), to the current one: rows
 *   updated or deleted at the source within that window are seen, older
 *   ones are not.
 * - `--event-time-start/--event-time-end` rebuild the batches of that range
 *   instead (a backfill), never before `begin`'s.
 * - A batch that fails does not stop the others; it is retried alone once
 *   they are done, and, if it fails again, the build fails naming it and
 *   the command that rebuilds it (the other batches stay built).
 *
 * Rows whose `event_time` is NULL, before `begin`'s batch or after the
 * current batch belong to no batch: a full build counts them in its message.
 *
 * `incremental_predicates` are ANDed into each batch's DELETE (the table
 * aliased `DBT_INTERNAL_DEST`), as dbt-duckdb scopes it: a row of the batch
 * they do not hold for is kept, and the batch's rows are inserted all the
 * same.
 *
 * @module
 */
import { z } from "../../zod.ts";
import { quoteIdent } from "../../db/sql.ts";
import { relationKind } from "../../db/relation_kind.ts";
import type { Warehouse } from "../../db/warehouse.ts";
import { ModelError } from "../../errors.ts";
import { describe } from "../../yaml/yaml_file.ts";
import { oneOf, text } from "../../yaml/yaml_schema.ts";
import type { BuildContext, BuildOutcome, ConfigProblem } from "../materialization.ts";
import {
  addBatches,
  type Batch,
  BATCH_SIZES,
  batchesBetween,
  batchLabel,
  type BatchSize,
  batchStart,
  EVENT_TIME_FORMAT,
  formatEventTime,
  parseEventTime,
} from "./batch_time.ts";
import {
  countRows,
  createTable,
  describeColumns,
  findColumn,
  inBuild,
  insertSql,
  laterRunScript,
  predicateTerms,
  rowsSql,
  stagedOf,
  stageNewRows,
  targetOf,
} from "./steps.ts";
import { defineStrategy, DEST, type IncrementalModel } from "./strategy.ts";
import { inBatch, shownBatch } from "./event_time_filter.ts";

/** A literal of `t` typed for a column of DuckDB type `type` (one {@linkcode checkEventTimeType} accepts). */
function timeLiteral(t: Date, type: string): string {
  const iso = t.toISOString();
  if (type === "DATE") return `DATE '${iso.slice(0, 10)}'`;
  const stamp = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  if (type === "TIMESTAMP WITH TIME ZONE") return `TIMESTAMPTZ '${stamp}+00'`;
  return `TIMESTAMP '${stamp}'`;
}

/** Checks the type of the model's `event_time` column suits its batches. */
function checkEventTimeType(relation: string, name: string, type: string, size: BatchSize): void {
  const times = [
    "DATE",
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
  ];
  if (!times.includes(type)) {
    throw new ModelError(
      relation,
      `Cannot build ${relation} in batches: its event_time "${name}" is ${type}, not a DATE or TIMESTAMP: cast it in the model (e.g. CAST(${name} AS TIMESTAMP))`,
    );
  }
  if (type === "DATE" && size === "hour") {
    throw new ModelError(
      relation,
      `Cannot build ${relation} in hour batches: its event_time "${name}" is a DATE: use batch_size day or month, or make it a TIMESTAMP`,
    );
  }
}

/** What one batch did. */
interface BatchResult {
  written: number;
  removed: number;
  notes: string[];
}

/** The first line of an error's message. */
function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** `n` batches of `size`: "1 day batch", "3 day batches". */
function batchCount(n: number, size: BatchSize): string {
  return `${n} ${size} batch${n === 1 ? "" : "es"}`;
}

/** Builds a microbatch model: see the module doc. */
async function buildBatches(
  wh: Warehouse,
  model: IncrementalModel,
  context: BuildContext,
): Promise<BuildOutcome> {
  const { relation, parts } = model;
  const mb = parts.microbatch!;
  const size = mb.batchSize;
  const target = targetOf(relation);
  const ev = quoteIdent(mb.eventTime);
  const begin = batchStart(parseEventTime(mb.begin)!, size);
  const existing = await wh.withConnection((s) => relationKind(s, relation));
  const full = context.fullRefresh || existing !== "TABLE";
  if (full) await inBuild(wh, false, (s) => createTable(s, model, { empty: true, existing }));

  const { type, latest } = await wh.withConnection(async (s) => {
    const column = findColumn(
      relation,
      await describeColumns(s, `SELECT * FROM (\n${parts.select}\n)`),
      mb.eventTime,
      "event_time",
    );
    checkEventTimeType(relation, column.name, column.type, size);
    const max = column.type === "TIMESTAMP WITH TIME ZONE"
      ? `epoch_ms(max(${ev}))`
      : `epoch_ms(CAST(max(${ev}) AS TIMESTAMP))`;
    const [row] = await s.query(`SELECT ${max}::DOUBLE AS ms FROM ${target}`);
    return {
      type: column.type,
      latest: row?.ms === null || row?.ms === undefined ? undefined : new Date(Number(row.ms)),
    };
  });

  const notes: string[] = [];
  // The end of the current batch, or of the range asked for.
  const end = context.eventTime?.end ?? addBatches(batchStart(new Date(), size), size, 1);
  let start: Date;
  if (context.eventTime) start = context.eventTime.start;
  else if (full || latest === undefined) start = begin;
  else start = addBatches(batchStart(latest, size), size, -mb.lookback);
  if (start < begin) {
    if (context.eventTime) {
      notes.push(
        `from ${batchLabel(begin, size)}, its begin (asked from ${formatEventTime(start)})`,
      );
    }
    start = begin;
  }
  const batches = batchesBetween(start, end, size);

  const where = (b: Batch) => [
    `${ev} >= ${timeLiteral(b.start, type)}`,
    `${ev} < ${timeLiteral(b.end, type)}`,
  ];
  // Each batch reads its own time range of the inputs that have an event_time (dbt 1.9).
  const ofBatch = (b: Batch): IncrementalModel =>
    mb.batchSelect === undefined
      ? model
      : { ...model, parts: { ...model.parts, select: inBatch(mb.batchSelect, b) } };
  const runBatch = (b: Batch): Promise<BatchResult> =>
    inBuild(wh, !full, async (s) => {
      const step = await stageNewRows(s, ofBatch(b), where(b));
      const removed = await s.count(
        `DELETE FROM ${target} AS ${DEST} WHERE ${
          [...where(b), ...predicateTerms(parts)].join(" AND ")
        }`,
      );
      const written = await s.count(insertSql(target, step.staged, step.columns));
      await s.exec(`DROP TABLE ${step.staged}`);
      return { written, removed, notes: step.notes };
    });

  const totals = { written: 0, removed: 0 };
  const add = (r: BatchResult) => {
    totals.written += r.written;
    totals.removed += r.removed;
    for (const n of r.notes) if (!notes.includes(n)) notes.push(n);
  };
  const failed: { batch: Batch; error: unknown }[] = [];
  for (const b of batches) {
    try {
      add(await runBatch(b));
    } catch (error) {
      failed.push({ batch: b, error });
    }
  }
  // Each failed batch once more, alone, now that the others are done.
  const retried: string[] = [];
  const lost: { batch: Batch; error: unknown }[] = [];
  for (const f of failed) {
    try {
      add(await runBatch(f.batch));
      retried.push(`${batchLabel(f.batch.start, size)} (first: ${firstLine(f.error)})`);
    } catch (error) {
      lost.push({ batch: f.batch, error });
    }
  }
  const first = batches[0] && batchLabel(batches[0].start, size);
  const last = batches.at(-1) && batchLabel(batches.at(-1)!.start, size);
  const range = !batches.length
    ? `no batch to build (from ${formatEventTime(start)} to ${formatEventTime(end)})`
    : `${batchCount(batches.length, size)} ${first === last ? first : `from ${first} to ${last}`}`;
  if (retried.length) notes.push(`retried alone after failing: ${retried.join(", ")}`);
  if (lost.length) {
    const from = lost[0]!.batch.start;
    const to = lost.at(-1)!.batch.end;
    throw new ModelError(
      relation,
      `${batches.length - lost.length} of ${
        batchCount(batches.length, size)
      } of ${relation} built (${
        [`${plural(totals.written, "row")} written, ${totals.removed} removed`, ...notes].join("; ")
      }); ${
        lost.map((l) =>
          `${batchLabel(l.batch.start, size)} failed, and again when retried alone: ${
            firstLine(l.error)
          }`
        ).join("; ")
      }\n(the other batches are in the table; once fixed, rebuild the failed ones with: wharf run --select ${relation} --event-time-start "${
        formatEventTime(from)
      }" --event-time-end "${formatEventTime(to)}")`,
      { cause: lost[0]!.error },
    );
  }
  if (full && !context.eventTime) notes.push(await notLoaded(wh, model, type, begin, end));
  const rows = await wh.withConnection((s) => countRows(s, relation));
  return {
    rows,
    message: [
      `microbatch: ${range}: ${plural(totals.written, "row")} written, ${totals.removed} removed`,
      ...notes,
    ].join("; "),
  };
}

/**
 * What a full build leaves out, for its message: the model's rows in no
 * batch (or why they could not be counted).
 */
async function notLoaded(
  wh: Warehouse,
  model: IncrementalModel,
  type: string,
  begin: Date,
  end: Date,
): Promise<string> {
  const mb = model.parts.microbatch!;
  const ev = quoteIdent(mb.eventTime);
  let row;
  try {
    [row] = await inBuild(wh, false, (s) =>
      s.query(
        `SELECT count(*) FILTER (WHERE ${ev} IS NULL)::DOUBLE AS no_time, count(*) FILTER (WHERE ${ev} < ${
          timeLiteral(begin, type)
        })::DOUBLE AS early, count(*) FILTER (WHERE ${ev} >= ${
          timeLiteral(end, type)
        })::DOUBLE AS late FROM (\n${model.parts.select}\n)`,
      ));
  } catch (err) {
    return `the rows in no batch could not be counted: ${firstLine(err)}`;
  }
  const n = (k: string) => Number(row?.[k] ?? 0);
  const out = [
    n("no_time") ? `${plural(n("no_time"), "row")} with no ${mb.eventTime}` : "",
    n("early")
      ? `${plural(n("early"), "row")} before ${batchLabel(begin, mb.batchSize)} (begin)`
      : "",
    n("late") ? `${plural(n("late"), "row")} after the current ${mb.batchSize}` : "",
  ].filter(Boolean);
  return out.length ? `not in any batch: ${out.join(", ")}` : "every row in a batch";
}

/** The `microbatch` strategy. */
export const microbatch = defineStrategy({
  name: "microbatch",
  keys: {
    event_time: text("a column name").optional(),
    batch_size: oneOf(BATCH_SIZES).optional(),
    lookback: z.custom<number>((v) => Number.isInteger(v) && (v as number) >= 0, {
      error: (iss) => `expected a whole number of batches (0 or more), got ${describe(iss.input)}`,
    }).optional(),
    begin: text(`a time: ${EVENT_TIME_FORMAT}`).refine((v) => parseEventTime(v) !== undefined, {
      error: (iss) => `expected a time: ${EVENT_TIME_FORMAT}, got ${describe(iss.input)}`,
    }).optional(),
  },
  uniqueKey: "refused",
  problems: (own, common) => {
    const problems: ConfigProblem[] = [];
    const needs: [string, string][] = [
      ["event_time", "the column (DATE or TIMESTAMP) whose time puts a row in a batch"],
      ["batch_size", "hour, day or month"],
      ["begin", `the time its first batch holds (${EVENT_TIME_FORMAT})`],
    ];
    for (const [key, what] of needs) {
      if ((own as Record<string, unknown>)[key] === undefined) {
        problems.push({ key, message: `a microbatch model needs "${key}": ${what}` });
      }
    }
    if (common.watermark) {
      problems.push({
        key: "watermark",
        message:
          'a microbatch model chooses its rows by "event_time", batch by batch: remove the watermark',
      });
    }
    return problems;
  },
  compile: (own) => ({
    microbatch: {
      eventTime: own.event_time ?? "",
      batchSize: own.batch_size ?? "day",
      lookback: own.lookback ?? 1,
      begin: own.begin ?? "",
    },
  }),
  script: (model) => {
    const mb = model.parts.microbatch!;
    const target = targetOf(model.relation);
    const ev = quoteIdent(mb.eventTime);
    const window = [`${ev} >= <batch start>`, `${ev} < <batch end>`];
    return [
      `-- first build or --full-refresh: the table created empty, then every ${mb.batchSize} batch from ${mb.begin}'s to the current one`,
      `CREATE OR REPLACE TABLE ${target} AS\n${rowsSql(model)}\nLIMIT 0;`,
      "",
    ].join("\n") +
      laterRunScript(
        mb.batchSelect === undefined
          ? model
          : { ...model, parts: { ...model.parts, select: shownBatch(mb.batchSelect) } },
        `each batch, in a transaction of its own (later runs: from the batch of the latest ${mb.eventTime}, ${
          batchCount(mb.lookback, mb.batchSize)
        } back, to the current one; wharf_is_incremental() is true then)${
          mb.inputs?.length
            ? `; it reads ${
              mb.inputs.map((i) => `${i.relation} where ${i.eventTime} is in the batch`).join(", ")
            }`
            : ""
        }`,
        [
          `DELETE FROM ${target} AS ${DEST} WHERE ${
            [...window, ...predicateTerms(model.parts)].join(" AND ")
          }`,
          insertSql(target, stagedOf(model.relation)),
        ],
        window,
      );
  },
  build: buildBatches,
});
