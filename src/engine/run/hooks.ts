/**
 * Runs hooks: a model's or seed's `pre_hook`/`post_hook` and the project's
 * `on-run-start`/`on-run-end`. A failing hook is a {@linkcode HookError}
 * naming where the hook is written (first, as `file:line:column: `), the
 * hook, its SQL and where in it DuckDB says it failed: a parser error's
 * position (converted by `parse_sql.ts`), or the line and caret of DuckDB's
 * `LINE n:` context; for a query a hook ran while it rendered, the macro
 * line that query is written on, when that is known.
 *
 * @module
 */
import { parseSql } from "../db/parse_sql.ts";
import type { Session } from "../db/warehouse.ts";
import { formatLocation, HookError } from "../errors.ts";
import { say } from "../say.ts";
import type { CompiledProject } from "../compile/compile_project.ts";
import type { HookRender, HookSql, RunEndContext } from "../types.ts";
import { answerOf } from "./compile_at_run.ts";
import { renderAgainstWarehouse } from "./render_against_warehouse.ts";

/** 1-based line and column of the string index `at` in `text`. */
function lineColumn(text: string, at: number): { line: number; column: number } {
  const before = text.slice(0, at).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** Where in `sql` DuckDB's `message` says it failed, when it says. */
async function positionOf(
  sql: string,
  message: string,
): Promise<{ line: number; column: number } | undefined> {
  const [parsed] = await parseSql([sql]);
  if (parsed && !parsed.ok && parsed.position !== undefined) {
    return lineColumn(sql, parsed.position);
  }
  // Binder and catalog errors quote the line with a caret under the spot.
  const m = /\nLINE (\d+): (.*)\n( *)\^/.exec(message);
  if (!m) return undefined;
  const line = Number(m[1]);
  const shown = m[2]!.replace(/^\.\.\./, "");
  const caret = m[3]!.length - `LINE ${m[1]}: `.length - (m[2]!.length - shown.length);
  const text = sql.split("\n")[line - 1] ?? "";
  const start = text.indexOf(shown.replace(/\.\.\.$/, ""));
  return { line, column: (start < 0 ? 0 : start) + caret + 1 };
}

/**
 * Runs `statements` in order on `s` (in its open transaction, if any). A
 * template (a run hook reading the warehouse or the run's results) is
 * rendered by `render`, on `s`, just before it runs; one rendered empty is
 * not run.
 *
 * @param what names the hooks in messages: `pre_hook of marts.orders`, `on-run-end`.
 * @throws {HookError} for the first that cannot be rendered or fails, its
 *   message beginning with where the hook is written when it is known.
 */
export async function runHooks(
  s: Session,
  what: string,
  statements: readonly HookSql[],
  render?: (template: string, s: Session) => Promise<string>,
): Promise<void> {
  for (const [i, hook] of statements.entries()) {
    const n = statements.length > 1 ? ` ${i + 1} of ${statements.length}` : "";
    const named = `${hook.at ? `${formatLocation(hook.at)}: ` : ""}${what}${n}`;
    let sql: string;
    if ("sql" in hook) sql = hook.sql;
    else {
      try {
        if (!render) throw new Error("it renders as it runs, which this run does not do");
        sql = await render(hook.template, s);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new HookError(
          `${named} cannot be rendered: ${message}\n  ${
            hook.template.trim().split("\n").join("\n  ")
          }`,
          { sql: hook.template },
          { cause: err },
        );
      }
      if (sql.trim() === "") continue;
    }
    try {
      await s.exec(sql);
    } catch (err) {
      const full = err instanceof Error ? err.message : String(err);
      const message = full.split(/\n+LINE \d+:/)[0]!.trim();
      const at = await positionOf(sql, full);
      throw new HookError(
        `${named} failed${at ? ` at line ${at.line}, column ${at.column}` : ""}: ${message}\n  ${
          sql.trim().split("\n").join("\n  ")
        }`,
        { sql, ...at },
        { cause: err },
      );
    }
  }
}

/**
 * How many queries a run hook may run while it renders: on-run-end hooks
 * often run one per node of the run (an audit table's rows).
 */
const HOOK_MAX_QUERIES = 2_000;

/** Renders `hook` in passes against the warehouse on `s`; what it says goes where the command sends it (`say.ts`). */
async function renderOn(hook: HookRender, s: Session): Promise<string> {
  const { done, said } = await renderAgainstWarehouse(hook.render, {
    query: async (sql) => answerOf(await s.read(sql)),
    origin: (query) => hook.origin(query),
    maxQueries: HOOK_MAX_QUERIES,
  });
  said.forEach(say);
  return done;
}

/**
 * How on-run-start's or on-run-end's hooks kept as templates render as they
 * run (a dbt project's; undefined for a plain-SQL project, whose hooks are
 * SQL): in passes against the warehouse on the hook's connection (see
 * `render_against_warehouse.ts`), with the run's results for on-run-end
 * (`context`); what `log(…, info=True)` and
 * `exceptions.warn()` say goes where the command sends it (`say.ts`).
 */
export function runHookRenderer(
  cp: CompiledProject,
  context?: RunEndContext,
): ((template: string, s: Session) => Promise<string>) | undefined {
  const renderer = cp.renderRunHook;
  if (!renderer) return undefined;
  return async (template, s) => {
    using hook = renderer(template, context);
    return await renderOn(hook, s);
  };
}

/**
 * How nodes' pre_hooks and post_hooks kept as templates render as they run
 * (a dbt project's), as {@linkcode runHookRenderer}'s, with `{{ this }}` the
 * node's relation and `is_incremental()` the build's (`incremental`: an
 * incremental model's later run); on the connection of the node's build, in
 * its transaction when the hook runs in it.
 */
export function nodeHookRenderer(
  cp: CompiledProject,
):
  | ((id: string, template: string, s: Session, incremental: boolean) => Promise<string>)
  | undefined {
  const renderer = cp.renderNodeHook;
  if (!renderer) return undefined;
  return async (id, template, s, incremental) => {
    using hook = renderer(id, template, incremental);
    return await renderOn(hook, s);
  };
}
