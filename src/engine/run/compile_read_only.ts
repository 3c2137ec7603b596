/**
 * A dbt model whose Jinja reads the warehouse (`run_query()`, `statement`,
 * `load_result()`), rendered against it read-only with `execute` true, for
 * the commands that show what it builds without building it (`wharf show`,
 * `wharf compile`): the SQL it would build from, with the real columns,
 * rather than what it renders to as the project loads.
 *
 * @module
 */
import type { CompiledProject } from "../compile/compile_project.ts";
import type { CompiledModel } from "../compile/compile.ts";
import type { EngineConfig } from "../config.ts";
import { warehouseTarget } from "../db/target.ts";
import { presentRelations } from "../db/relation_kind.ts";
import { openWarehouse, type Warehouse } from "../db/warehouse.ts";
import { relationOf } from "../graph/build_graph.ts";
import { materialization } from "../materializations/index.ts";
import { compileAtRun } from "./compile_at_run.ts";

/**
 * The relations `node` reads (the models, seeds and sources its Jinja
 * declares with `ref()`, `source()` or `-- depends_on:`) that `wh` does not
 * have; an ephemeral model is inlined, so what it reads in turn.
 */
export async function missingReads(
  wh: Warehouse,
  cp: CompiledProject,
  node: CompiledModel,
): Promise<string[]> {
  const reads = new Set<string>();
  const visit = (id: string) => {
    for (const p of cp.graph.parents.get(id) ?? []) {
      const compiled = cp.compiled.get(p);
      if (compiled?.kind === "model" && materialization(compiled.materialized).inlined) visit(p);
      else {
        const relation = relationOf(cp.graph.nodes.get(p)!);
        if (relation !== undefined) reads.add(relation);
      }
    }
  };
  visit(node.id);
  if (reads.size === 0) return [];
  const present = await presentRelations(wh);
  return [...reads].filter((r) => !present.has(r.toLowerCase())).sort();
}

/** What {@linkcode compileAgainstWarehouse} gives. */
export type AgainstWarehouse =
  | { compiled: CompiledModel }
  /** It was not rendered: why (the warehouse does not exist, or lacks relations it reads). */
  | { missing: string };

/**
 * `node` (a model `renderedAtRun`) rendered against the warehouse `db`,
 * opened read-only, when it exists and has every relation the model reads;
 * otherwise what it lacks. For `wharf compile`, as dbt's compile runs the
 * queries of `run_query()`.
 *
 * @throws {ModelError} as `compileAtRun` does; a query that writes fails
 *   naming the query and saying that compile only reads the warehouse.
 */
export async function compileAgainstWarehouse(
  config: EngineConfig,
  cp: CompiledProject,
  node: CompiledModel,
  db: string,
): Promise<AgainstWarehouse> {
  if (!await warehouseTarget(db).prepare()) {
    return { missing: `the warehouse ${db} does not exist yet` };
  }
  const wh = await openWarehouse(db, {
    readOnly: true,
    attach: config.attach.map((a) => ({ ...a, readOnly: true })),
    extensions: config.dbt?.target.extensions,
    settings: config.dbt?.target.settings,
  });
  try {
    const missing = await missingReads(wh, cp, node);
    if (missing.length) {
      return { missing: `the warehouse ${db} does not have ${missing.join(", ")} yet` };
    }
    return {
      compiled: await compileAtRun(wh, cp, node, {
        root: config.root,
        readOnlyBy: "wharf compile",
      }),
    };
  } finally {
    wh.close();
  }
}
