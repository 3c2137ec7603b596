/**
 * Writes a query result in one of the output formats of `wharf sql`:
 * `table` (aligned, with column names, types and a row count), `line` (one
 * `column = value` per line), `markdown`, `csv`, `json` (an array of objects)
 * and `ndjson` (one object per line). CSV and JSON formats stream: rows are
 * written as DuckDB produces them.
 *
 * @module
 */
import type { SqlValue } from "../engine/db/run_statements.ts";
import { formatValue, isNumericType, valueJson } from "./format_value.ts";
import { displayWidth, escapeControls, renderTable, truncateToWidth } from "./render_table.ts";

/** The output formats. */
export const OUTPUT_FORMATS = ["table", "line", "markdown", "csv", "json", "ndjson"] as const;

/** One of {@linkcode OUTPUT_FORMATS}. */
export type OutputFormat = typeof OUTPUT_FORMATS[number];

/** A result to write: its columns and its rows in batches. */
export interface ResultSet {
  columns: readonly string[];
  /** Unique column names, for JSON keys. Default: `columns`. */
  keys?: readonly string[];
  /** DuckDB type names, one per column. */
  types: readonly string[];
  batches: AsyncIterable<readonly (readonly SqlValue[])[]>;
}

/** Options of {@linkcode writeResult}. */
export interface WriteResultOptions {
  /**
   * `table` and `line`: cut values wider than this many terminal columns
   * (for a terminal). Default: never.
   */
  maxWidth?: number;
}

/** What {@linkcode writeResult} wrote. */
export interface WriteSummary {
  rows: number;
  /** Whether a value was cut to `maxWidth`. */
  cut: boolean;
}

/**
 * Writes `result` in `format` through `write`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeResult } from "./write_result.ts";
 *
 * async function* batches() {
 *   yield [[{ number: "42" }]];
 * }
 * let out = "";
 * await writeResult(
 *   { columns: ["n"], types: ["BIGINT"], batches: batches() },
 *   "csv",
 *   async (text) => void (out += text),
 * );
 * assert.equal(out, "n\n42\n");
 * ```
 */
export async function writeResult(
  result: ResultSet,
  format: OutputFormat,
  write: (text: string) => Promise<void>,
  options: WriteResultOptions = {},
): Promise<WriteSummary> {
  switch (format) {
    case "csv":
    case "json":
    case "ndjson":
      return { rows: await stream(result, format, write), cut: false };
    default: {
      const rows: (readonly SqlValue[])[] = [];
      for await (const batch of result.batches) rows.push(...batch);
      const { text, cut } = format === "line"
        ? lineText(result, rows, options.maxWidth)
        : format === "markdown"
        ? { text: markdownText(result, rows), cut: false }
        : tableText(result, rows, options.maxWidth);
      await write(text);
      return { rows: rows.length, cut };
    }
  }
}

async function stream(
  result: ResultSet,
  format: "csv" | "json" | "ndjson",
  write: (text: string) => Promise<void>,
): Promise<number> {
  const keys = (result.keys ?? result.columns).map((k) => JSON.stringify(k));
  const object = (row: readonly SqlValue[]) =>
    `{${row.map((v, i) => `${keys[i]}:${valueJson(v)}`).join(",")}}`;
  let rows = 0;
  if (format === "csv") await write(`${result.columns.map(csvField).join(",")}\n`);
  if (format === "json") await write("[");
  for await (const batch of result.batches) {
    if (batch.length === 0) continue;
    const lines = batch.map((row) =>
      format === "csv"
        ? row.map((v) => v === null ? "" : csvField(formatValue(v)!)).join(",")
        : object(row)
    );
    const sep = format === "json" ? (rows === 0 ? "\n" : ",\n") : "";
    await write(
      sep + lines.join(format === "json" ? ",\n" : "\n") + (format === "json" ? "" : "\n"),
    );
    rows += batch.length;
  }
  if (format === "json") await write(rows === 0 ? "]\n" : "\n]\n");
  return rows;
}

/** A CSV field (RFC 4180): quoted when it holds a comma, quote or line break, or is empty. */
function csvField(text: string): string {
  return text === "" || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function shown(v: SqlValue): string {
  const t = formatValue(v);
  return t === null ? "NULL" : escapeControls(t);
}

function rowsCount(n: number): string {
  return `${n} row${n === 1 ? "" : "s"}`;
}

function tableText(
  result: ResultSet,
  rows: readonly (readonly SqlValue[])[],
  maxWidth?: number,
): { text: string; cut: boolean } {
  const { lines, cut } = renderTable(
    [result.columns.map(escapeControls), result.types.map(escapeControls)],
    rows.map((row) => row.map(shown)),
    {
      align: result.types.map((t) => isNumericType(t) ? "right" : "left"),
      maxWidth,
    },
  );
  return { text: `${lines.join("\n")}\n${rowsCount(rows.length)}\n`, cut };
}

function lineText(
  result: ResultSet,
  rows: readonly (readonly SqlValue[])[],
  maxWidth = Infinity,
): { text: string; cut: boolean } {
  const names = result.columns.map(escapeControls);
  const width = Math.max(0, ...names.map(displayWidth));
  let cut = false;
  const records = rows.map((row) =>
    row.map((v, i) => {
      const name = names[i]!;
      let value = shown(v);
      if (displayWidth(value) > maxWidth) {
        value = truncateToWidth(value, maxWidth);
        cut = true;
      }
      return `${" ".repeat(width - displayWidth(name))}${name} = ${value}`;
    }).join("\n")
  );
  return { text: records.length ? `${records.join("\n\n")}\n` : "", cut };
}

function markdownText(result: ResultSet, rows: readonly (readonly SqlValue[])[]): string {
  const cell = (text: string) =>
    escapeControls(text.replaceAll("|", "\\|").replace(/\r?\n/g, "<br>"));
  const align = result.types.map((t) => isNumericType(t) ? "right" as const : "left" as const);
  const { lines } = renderTable(
    [result.columns.map(cell)],
    rows.map((row) => row.map((v) => v === null ? "NULL" : cell(formatValue(v)!))),
    { align },
  );
  // GitHub's alignment row: `---:` for right-aligned columns.
  const widths = lines[1]!.split("|").slice(1, -1).map((s) => s.length);
  lines[1] = `|${
    widths.map((w, i) => align[i] === "right" ? `${"-".repeat(w - 1)}:` : "-".repeat(w)).join("|")
  }|`;
  return `${lines.join("\n")}\n`;
}
