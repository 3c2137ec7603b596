/**
 * A dbt model whose Jinja reads the warehouse (`run_query()`, `statement`,
 * `load_result()`): rendered against it just before it builds, once what it
 * reads is built, and compiled again from what it renders.
 *
 * @module
 */
import type { CompiledProject } from "../compile/compile_project.ts";
import { type CompiledModel, compileNode } from "../compile/compile.ts";
import { parseSql } from "../db/parse_sql.ts";
import type { QueryResult, Warehouse } from "../db/warehouse.ts";
import { ModelError } from "../errors.ts";
import { refsIn } from "../project/parse_nodes.ts";
import { trimSql } from "../project/relations.ts";
import { say } from "../say.ts";
import type { ModelNode, QueryAnswer } from "../types.ts";
import { renderAgainstWarehouse } from "./render_against_warehouse.ts";

/** DuckDB's integer types, whose values JSON gives as text beyond 32 bits. */
const INTEGERS = /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|INTEGER|SMALLINT|TINYINT)$/;

/** A query's result as a template reads it: rows of values, whole numbers as numbers. */
export function answerOf(result: QueryResult): QueryAnswer {
  return {
    columns: result.columns,
    types: result.types,
    rows: result.rows.map((row) =>
      result.columns.map((c, i) => {
        const v = row[c];
        return typeof v === "string" && INTEGERS.test(result.types[i]!) &&
            Number.isSafeInteger(Number(v))
          ? Number(v)
          : v;
      })
    ),
  };
}

/** Options of {@linkcode compileAtRun}. */
export interface CompileAtRunOptions {
  root: string;
  /** `--empty`: see `CompileOptions.empty`. */
  empty?: boolean;
  /**
   * The command rendering it on a warehouse open read-only (`wharf show`):
   * the error of a query that writes says that it only reads.
   */
  readOnlyBy?: string;
}

/**
 * `node` (a model `renderedAtRun`) rendered against `wh` (its queries run
 * there, each once, in order), parsed and compiled again. What its
 * `log(…, info=True)` says goes where the command sends it (`say.ts`).
 *
 * @throws {ModelError} naming the model: its render's problem (its file and
 *   line), a query that failed (DuckDB's message and the query), SQL that
 *   does not parse.
 */
export async function compileAtRun(
  wh: Warehouse,
  cp: CompiledProject,
  node: CompiledModel,
  options: CompileAtRunOptions,
): Promise<CompiledModel> {
  const model = cp.graph.nodes.get(node.id) as ModelNode;
  let rendered;
  try {
    rendered = await renderAgainstWarehouse(cp.renderAtRun!(node.id), {
      query: async (sql) => answerOf(await wh.withConnection((s) => s.read(sql))),
      what: `model ${node.id}`,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const writes = options.readOnlyBy && /read-only mode/.test(message)
      ? `\n(${options.readOnlyBy} opens the warehouse read-only: a model's run_query() or statement that writes runs only as it builds, with wharf build or wharf run)`
      : "";
    throw new ModelError(
      node.id,
      `Cannot render ${node.id} against the warehouse: ${message}${writes}`,
      { cause: err },
    );
  }
  rendered.said.forEach(say);
  const sql = rendered.done;
  const [parsed] = await parseSql([trimSql(sql.text)], wh);
  const statements = parsed?.ok ? (parsed.ast as { statements?: unknown[] }).statements ?? [] : [];
  if (!parsed?.ok || statements.length !== 1) {
    throw new ModelError(
      node.id,
      `${model.path}: what ${node.id} renders against the warehouse is not one SELECT${
        parsed && !parsed.ok ? `: ${parsed.message}` : ""
      }:\n  ${sql.text.trim().split("\n").join("\n  ")}`,
    );
  }
  const compiled = compileNode(cp.graph, {
    ...model,
    sql: sql.text,
    refs: refsIn(parsed.ast, sql),
    ...(sql.firstBuild ? { firstBuild: sql.firstBuild } : {}),
  }, { root: options.root, empty: options.empty });
  return compiled as CompiledModel;
}
