/**
 * Previewing a node's rows without building it.
 *
 * @module
 */
import type { EngineConfig } from "../config.ts";
import { openWarehouse, type QueryResult, type Warehouse } from "../db/warehouse.ts";
import { quoteRelationId } from "../db/sql.ts";
import { findNode } from "../graph/find_node.ts";
import { relationOf } from "../graph/build_graph.ts";
import { ModelError } from "../errors.ts";
import { varsMacro } from "../compile/compile.ts";
import type { CompiledProject } from "../compile/compile_project.ts";
import type { CompiledNode } from "../compile/compile.ts";
import { compileWithWarehouse } from "./run_project.ts";
import { compileAtRun } from "./compile_at_run.ts";
import { missingReads } from "./compile_read_only.ts";

/** Options of {@linkcode previewNode}. */
export interface PreviewOptions {
  db: string;
  limit: number;
  /** What the error for a warehouse that does not exist yet says to do (see `OpenWarehouseOptions`). */
  whenMissing?: string;
  /** SQL to preview instead of a node (`show --inline`), compiled as `compile --inline` compiles it. */
  inline?: string;
}

/**
 * Runs the compiled SELECT of the node `name` (or reads a seed or raw table)
 * with a row limit, read-only, with `config.vars` (see `withCommandVars`).
 *
 * @throws {NotFoundError} for an unknown node; {@linkcode WarehouseError}
 * when the warehouse cannot be read.
 */
export async function previewNode(
  config: EngineConfig,
  name: string | undefined,
  options: PreviewOptions,
): Promise<{ id: string; result: QueryResult }> {
  const wh = await openWarehouse(options.db, {
    readOnly: true,
    ...(options.whenMissing ? { whenMissing: options.whenMissing } : {}),
    attach: config.attach,
    extensions: config.dbt?.target.extensions,
    settings: config.dbt?.target.settings,
  });
  try {
    const cp = await compileWithWarehouse(
      config,
      wh,
      options.inline === undefined ? {} : { inline: options.inline },
    );
    // wharf_var() gives the variables of this command (the project's and --vars), not those
    // of the last build, which the warehouse keeps.
    const rows = (from: string) =>
      wh.withConnection(async (s) => {
        await s.exec(varsMacro(config.vars, { temporary: true }));
        return await s.read(`SELECT * FROM ${from} LIMIT ${Math.floor(options.limit)}`);
      });
    if (options.inline !== undefined) {
      const result = await rows(`(\n${cp.project.inline}\n)`).catch((err: unknown) => {
        throw new ModelError(
          "inline",
          `Cannot preview the --inline SQL: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      });
      return { id: "inline", result };
    }
    const id = findNode(cp.graph, name!);
    const c = await againstWarehouse(wh, cp, cp.compiled.get(id), config.root);
    // A dbt analysis: its compiled SQL, as dbt's show previews one.
    const analysis = cp.project.analyses?.find((a) => a.id === id);
    const from = c?.kind === "model"
      ? `(\n${c.select}\n)`
      : c?.kind === "test"
      ? `(\n${c.query}\n)`
      : analysis
      ? `(\n${analysis.sql}\n)`
      // A source: the relation it reads (a declared table's node is named otherwise).
      : quoteRelationId(relationOf(cp.graph.nodes.get(id)!) ?? id);
    try {
      return { id, result: await rows(from) };
    } catch (err) {
      // A source is not built: its table is loaded (landed, or by whatever loads a dbt source).
      const n = cp.graph.nodes.get(id)!;
      const declared = cp.project.sourceTables?.find((t) => t.id === id);
      const hint = n.kind !== "source"
        ? `build its upstream first: \`wharf build -s +${id}\``
        : declared
        ? `the dbt source ${declared.source}.${declared.table} of ${declared.path} reads ${n.relation}: load that table first${
          n.relation.startsWith("raw.") ? " (`wharf land`)" : ""
        }`
        : n.relation.startsWith("raw.")
        ? `land ${n.relation} first (\`wharf land\`)`
        : `a source is read as it is, not built by wharf`;
      throw new ModelError(
        id,
        `Cannot preview "${id}": ${err instanceof Error ? err.message : String(err)} (${hint})`,
        { cause: err },
      );
    }
  } finally {
    wh.close();
  }
}

/**
 * `c`, or, for a model whose Jinja reads the warehouse (`run_query()`,
 * `statement`), `c` rendered against `wh` with `execute` true: the SELECT it
 * builds from, with its real columns.
 *
 * @throws {ModelError} naming what it reads that the warehouse does not have
 *   yet, and how to build it; or as `compileAtRun` does.
 */
async function againstWarehouse(
  wh: Warehouse,
  cp: CompiledProject,
  c: CompiledNode | undefined,
  root: string,
): Promise<CompiledNode | undefined> {
  if (c?.kind !== "model" || !c.renderedAtRun) return c;
  const missing = await missingReads(wh, cp, c);
  if (missing.length) {
    throw new ModelError(
      c.id,
      `Cannot preview "${c.id}": its Jinja reads the warehouse as it renders (run_query(), statement), and the warehouse does not have ${
        missing.join(", ")
      } yet (build its upstream first: \`wharf build -s +${c.id}\`)`,
    );
  }
  return await compileAtRun(wh, cp, c, { root, readOnlyBy: "wharf show" });
}
