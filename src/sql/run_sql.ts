/**
 * Runs SQL text on a warehouse session and writes every result in turn:
 * what `wharf sql` does with a query, a file, stdin, or a statement typed in
 * its shell.
 *
 * @module
 */
import type { Session } from "../engine/db/warehouse.ts";
import { SqlError } from "../engine/errors.ts";
import { copyTarget } from "./copy_target.ts";
import { type OutputFormat, writeResult } from "./write_result.ts";

/** Options of {@linkcode runSql}. */
export interface RunSqlOptions {
  format: OutputFormat;
  /** Where results go. */
  write: (text: string) => Promise<void>;
  /** `table` and `line`: cut values wider than this (for a terminal). Default: never. */
  maxWidth?: number;
  /** The warehouse is open read-only: a refused change says how to allow it. */
  readOnly?: boolean;
}

/** What {@linkcode runSql} did. */
export interface RunSqlSummary {
  /** Statements run. */
  statements: number;
  /** Rows written, over all results. */
  rows: number;
  /** Whether a value was cut to `maxWidth`. */
  cut: boolean;
}

/**
 * Runs each statement of `sql` in order on `session`. Query results are
 * written in `format`; in `table` and `line` formats a change says how many
 * rows it changed (`COPY … TO 'file'`: how many it wrote to the file, since
 * the warehouse did not change), and results are separated by a blank line.
 *
 * @throws {SqlError} DuckDB's message for the statement that failed (the ones
 * before it ran).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openWarehouse } from "../engine/db/warehouse.ts";
 * import { runSql } from "./run_sql.ts";
 *
 * const wh = await openWarehouse(":memory:");
 * const out: string[] = [];
 * const summary = await wh.withConnection((session) =>
 *   runSql(session, "select 42 as answer", { format: "csv", write: async (t) => void out.push(t) })
 * );
 * assert.equal(out.join(""), "answer\n42\n");
 * assert.equal(summary.rows, 1);
 * wh.close();
 * ```
 */
export async function runSql(
  session: Session,
  sql: string,
  options: RunSqlOptions,
): Promise<RunSqlSummary> {
  const human = options.format === "table" || options.format === "line";
  const summary: RunSqlSummary = { statements: 0, rows: 0, cut: false };
  let written = false;
  const write = (text: string) => {
    const sep = written && human && text ? "\n" : "";
    written ||= !!text;
    return options.write(sep + text);
  };
  try {
    for await (const result of session.statements(sql)) {
      summary.statements++;
      if (result.kind === "rows") {
        const { rows, cut } = await writeResult(result, options.format, write, {
          maxWidth: options.maxWidth,
        });
        summary.rows += rows;
        summary.cut ||= cut;
      } else if (result.kind === "changed" && human) {
        const n = result.rowsChanged;
        const rows = `${n} row${n === 1 ? "" : "s"}`;
        // DuckDB counts a COPY's rows as changed, whichever way they go.
        const copy = result.statementType === "COPY"
          ? copyTarget(sql, result.index, result.count)
          : undefined;
        await write(
          copy && "to" in copy
            ? `${rows} written to ${copy.to}\n`
            : result.statementType === "COPY" && !copy
            ? `${rows} copied\n`
            : `${rows} changed\n`,
        );
      }
    }
  } catch (err) {
    if (
      options.readOnly && err instanceof SqlError && /attached in read-only mode/.test(err.detail)
    ) {
      throw new SqlError(
        `${err.detail} (wharf sql opens the warehouse read-only: pass --write to change it)`,
        { cause: err, statement: err.statement, statements: err.statements },
      );
    }
    throw err;
  }
  return summary;
}
