/**
 * wharf: land raw healthcare files in DuckDB, model them with plain SQL
 * (staging → intermediate → marts), test them, and serve them.
 *
 * The stages hand plain data to each other: {@linkcode loadConfig} →
 * {@linkcode compileProject} (load, graph, compile) → {@linkcode runProject}
 * (execute on the warehouse and record the run).
 *
 * @example Build a project and report failures
 * ```ts
 * import { loadConfig, runProject } from "./mod.ts";
 *
 * const config = await loadConfig("tests/testdata/clinic");
 * const dir = await Deno.makeTempDir();
 * const summary = await runProject("build", config, { db: `${dir}/example.duckdb` });
 * for (const r of summary.results) {
 *   if (r.status === "error" || r.status === "fail") console.error(r.id, r.message);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export { defineConfig, loadConfig, resolveConfig } from "./src/config.ts";
export type { ResolvedConfig, WharfConfig } from "./src/config.ts";
export * from "./src/engine/errors.ts";
export { loadProject } from "./src/engine/project/load_project.ts";
export type * from "./src/engine/types.ts";
export { buildGraph } from "./src/engine/graph/build_graph.ts";
export type { Graph } from "./src/engine/graph/build_graph.ts";
export { selectNodes } from "./src/engine/graph/select.ts";
export { compileProject, planFor } from "./src/engine/compile/compile_project.ts";
export type { CompiledProject } from "./src/engine/compile/compile_project.ts";
export type { CompiledNode } from "./src/engine/compile/compile.ts";
export { runProject } from "./src/engine/run/run_project.ts";
export type { RunProjectOptions, RunSummary } from "./src/engine/run/run_project.ts";
export type { NodeResult, NodeStatus } from "./src/engine/run/run_log.ts";
export { openWarehouse, Warehouse } from "./src/engine/db/warehouse.ts";
export type { Figures, Strategy } from "./src/serve/strategies.ts";
export type { CoalesceConfig } from "./src/serve/coalesce_config.ts";
