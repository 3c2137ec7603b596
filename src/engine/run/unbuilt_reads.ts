/**
 * The data tests of a plan that read a model, seed or snapshot the run does
 * not build and the warehouse does not have. dbt's default (eager) indirect
 * selection brings along every test of a selected node, a `relationships`
 * test to a model left out included; when that model was never built, the
 * test errors (as in dbt), with a message that says why and what to do
 * rather than DuckDB's "table does not exist".
 *
 * @module
 */
import type { CompiledProject } from "../compile/compile_project.ts";
import type { CompiledNode } from "../compile/compile.ts";
import { presentRelations } from "../db/relation_kind.ts";
import type { Warehouse } from "../db/warehouse.ts";
import { materialization } from "../materializations/index.ts";

/**
 * For each data test of `nodes` that reads a relation neither among `nodes`
 * nor in `wh` (an ephemeral model is inlined, a missing source is another
 * matter: `blockedByMissingSources`), why it cannot run.
 */
export async function unbuiltReads(
  wh: Warehouse,
  cp: CompiledProject,
  nodes: readonly CompiledNode[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const inPlan = new Set(nodes.map((n) => n.id));
  const wanted = new Map<string, string[]>();
  for (const n of nodes) {
    if (n.kind !== "test" || n.unit) continue;
    const reads = (cp.graph.parents.get(n.id) ?? []).filter((p) => {
      const node = cp.graph.nodes.get(p);
      const compiled = cp.compiled.get(p);
      return (node?.kind === "model" || node?.kind === "seed") && !inPlan.has(p) &&
        !(compiled?.kind === "model" && materialization(compiled.materialized).inlined);
    });
    if (reads.length) wanted.set(n.id, reads);
  }
  if (wanted.size === 0) return out;
  const present = await presentRelations(wh);
  for (const [test, reads] of wanted) {
    const missing = reads.filter((id) => !present.has(id.toLowerCase()));
    if (missing.length === 0) continue;
    const them = missing.length === 1 ? "it" : "them";
    out.set(
      test,
      `reads ${
        missing.join(", ")
      }, which this run does not build and the warehouse does not have yet: build ${them} first or select ${them} too, or leave out the tests of nodes not selected (--indirect-selection cautious)`,
    );
  }
  return out;
}
