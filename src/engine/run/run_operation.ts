/**
 * dbt's `run-operation`: one macro of a dbt project (its own or a
 * package's) called with arguments, against the warehouse opened for
 * writing. The queries it runs (`run_query()`, `statement`) run there, in
 * order, each once (see `render_against_warehouse.ts`), on one connection,
 * each committed as it runs; what the macro renders besides is not run, as
 * in dbt. Recorded in the run log (`wharf.runs`) as `run-operation`.
 *
 * @module
 */
import type { EngineConfig } from "../config.ts";
import { openWarehouse } from "../db/warehouse.ts";
import { OperationError, UsageError } from "../errors.ts";
import type { Said } from "../types.ts";
import { attachedFor } from "./attached_writes.ts";
import { withCommandVars } from "./command_vars.ts";
import { answerOf } from "./compile_at_run.ts";
import { renderAgainstWarehouse } from "./render_against_warehouse.ts";
import { finishRun, startRun } from "./run_log.ts";
import { compileWithWarehouse } from "./run_project.ts";

/** Options of {@linkcode runOperation}. */
export interface RunOperationOptions {
  /** The warehouse (default: the project's). */
  db?: string;
  /** The macro's arguments (`--args`), by name. */
  args?: Readonly<Record<string, unknown>>;
  /** `--vars`: the project's variables overridden. */
  vars?: Readonly<Record<string, unknown>>;
}

/** What an operation did. */
export interface OperationSummary {
  runId: string;
  /** The macro called: `name`, or `package.name`. */
  macro: string;
  /** What its `log(…, info=True)` and `exceptions.warn()` said, in order. */
  said: Said[];
  /** How many queries it ran. */
  queries: number;
}

/**
 * Calls the macro `macro` (`name` or `package.name`) of the dbt project of
 * `config` with `options.args`, against its warehouse.
 *
 * @throws {UsageError} when the project is not a dbt project, or the macro
 *   or its arguments are not one it has.
 * @throws {OperationError} naming the macro and its file when it fails: a
 *   query it runs (DuckDB's message and the query), or its render.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "../../config.ts";
 * import { runOperation } from "./run_operation.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/dbt_project.yml`, "name: shop\nprofile: shop\n");
 * await Deno.writeTextFile(
 *   `${root}/profiles.yml`,
 *   "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n",
 * );
 * await Deno.mkdir(`${root}/macros`);
 * await Deno.writeTextFile(
 *   `${root}/macros/ops.sql`,
 *   "{% macro make(n) %}{% do run_query('create table t as select ' ~ n ~ ' as x') %}{% endmacro %}",
 * );
 * const summary = await runOperation(await loadConfig(root), "make", { args: { n: 7 } });
 * assert.equal(summary.queries, 1);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function runOperation(
  config: EngineConfig,
  macro: string,
  options: RunOperationOptions = {},
): Promise<OperationSummary> {
  if (!config.dbt) {
    throw new UsageError(
      `run-operation calls a macro of a dbt project (one with dbt_project.yml), and ${config.root} is a plain-SQL project: run SQL against the warehouse with \`wharf sql --write\``,
    );
  }
  const withVars = withCommandVars(config, options.vars);
  const db = options.db ?? config.warehouse;
  const wh = await openWarehouse(db, {
    holder: "wharf run-operation",
    // On another warehouse (--db), the project's attached files are read, never written.
    attach: attachedFor(config, options.db),
    extensions: config.dbt.target.extensions,
    settings: config.dbt.target.settings,
  });
  try {
    const runId = crypto.randomUUID();
    const opened = db === config.warehouse ? withVars : { ...withVars, opened: db };
    const cp = await compileWithWarehouse(opened, wh, {
      invocation: { id: runId, startedAt: new Date() },
    });
    const found = cp.operation!(macro, options.args ?? {});
    if ("problem" in found) {
      throw new UsageError(`Cannot run operation "${macro}": ${found.problem}`);
    }
    // Where the macro is defined: the query that failed may be on any line of it.
    const what = `macro ${found.macro} (defined at ${found.path}:${found.line})`;
    const args = JSON.stringify({ macro: found.macro, args: options.args ?? {} });
    await wh.withConnection((s) => startRun(s, runId, "run-operation", args));
    let queries = 0;
    try {
      // One connection for all its queries, as dbt's: a temporary table or a setting lasts.
      const { said } = await wh.withConnection((s) =>
        renderAgainstWarehouse(found.call, {
          query: async (sql) => {
            queries++;
            return answerOf(await s.read(sql));
          },
          what,
        })
      );
      await wh.withConnection((s) => finishRun(s, runId, "success", 0, 0));
      return { runId, macro: found.macro, said, queries };
    } catch (err) {
      await wh.withConnection((s) => finishRun(s, runId, "error", 0, 1));
      throw new OperationError(
        found.macro,
        found.path,
        `Operation ${found.macro} failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  } finally {
    wh.close();
  }
}
