/**
 * Rendering a template that reads the warehouse (dbt's `run_query()`,
 * `statement`), with a synchronous renderer and DuckDB's asynchronous
 * client: render in passes. A pass replays the answers of the queries the
 * template ran so far, in order; the first query it runs beyond them ends
 * the pass, runs, and its answer joins the next pass's. Each query the
 * template runs, runs once, in the order the template runs them, and only
 * once the queries before it have their real answers.
 *
 * @module
 */
import type { AnsweredQuery, QueryAnswer, Said, WarehouseRenderer } from "../types.ts";

/** How many queries one template may run by default (a template that runs more is stopped). */
export const MAX_QUERIES = 100;

/** Options of {@linkcode renderAgainstWarehouse}. */
export interface RenderAgainstWarehouseOptions {
  /** Runs one query on the warehouse; rejects with DuckDB's error. */
  query: (sql: string) => Promise<QueryAnswer>;
  /**
   * Names the template in messages: `model marts.pivot`, `macro grant_all
   * (macros/ops.sql:3)`; without it, they call it "it" (for a caller that
   * names it before them, as a hook's do).
   */
  what?: string;
  /** Where a query is written in the project (`in macro finish, macros/finish.sql:3`), when known. */
  origin?: (query: string) => string | undefined;
  /** How many queries it may run. Default {@linkcode MAX_QUERIES}. */
  maxQueries?: number;
}

/**
 * Renders with `render` in passes until it is done, running what it asks.
 *
 * @returns what it rendered, and what its `log()` calls said in the pass that rendered it.
 * @throws {Error} naming `what`, the query (where it is written, when
 *   `options.origin` tells) and DuckDB's message when a query fails; naming
 *   `what` when it runs more than `options.maxQueries` queries; and what
 *   `render` throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderAgainstWarehouse } from "./render_against_warehouse.ts";
 *
 * const out = await renderAgainstWarehouse(
 *   (answered) => answered.length === 0 ? { ask: "select 1" } : { done: String(answered[0]!.answer.rows[0]![0]), said: [] },
 *   { query: () => Promise.resolve({ columns: ["x"], types: ["INTEGER"], rows: [[1]] }), what: "model m" },
 * );
 * assert.equal(out.done, "1");
 * ```
 */
export async function renderAgainstWarehouse<T>(
  render: WarehouseRenderer<T>,
  options: RenderAgainstWarehouseOptions,
): Promise<{ done: T; said: Said[] }> {
  const answered: AnsweredQuery[] = [];
  const most = options.maxQueries ?? MAX_QUERIES;
  for (;;) {
    const pass = render(answered);
    if ("done" in pass) return pass;
    if (answered.length === most) {
      throw new Error(
        `${
          options.what ?? "it"
        } runs more than ${most} queries (run_query(), statement) while it renders: render fewer, or loop in SQL instead`,
      );
    }
    let answer: QueryAnswer;
    try {
      answer = await options.query(pass.ask);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const origin = options.origin?.(pass.ask);
      throw new Error(
        `${
          options.what === undefined ? "" : `${options.what}: `
        }a query it runs while it renders failed${
          origin === undefined ? "" : ` (${origin})`
        }: ${message}\n  ${pass.ask.trim().split("\n").join("\n  ")}`,
        { cause: err },
      );
    }
    answered.push({ sql: pass.ask, answer });
  }
}
