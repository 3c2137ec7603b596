/**
 * dbt's `target/run_results.json` (schema v6): each node a run touched, with
 * its status, timing, failing rows and compiled SQL, and the invocation's
 * arguments (which `wharf retry` replays).
 *
 * @module
 */
import type { CompiledProject } from "../compile/compile_project.ts";
import type { EngineConfig } from "../config.ts";
import { quoteIdent, splitRelation } from "../db/sql.ts";
import type { RunEndContext } from "../types.ts";
import {
  artifactMetadata,
  databaseName,
  DBT_SCHEMAS,
  type DbtManifest,
  uniqueIds,
  writeArtifact,
} from "./dbt_manifest.ts";

/** What run_results.json needs of a node's outcome (the run log's `NodeResult` fits). */
export interface ResultInput {
  id: string;
  kind: "seed" | "model" | "snapshot" | "test";
  status: string;
  startedAt: Date;
  endedAt: Date;
  rows?: number;
  message?: string;
}

/**
 * The invocation's arguments, kept in `args`: `which` is the command, the
 * rest its options as the CLI gives them. `wharf retry` reruns `which` with
 * them; `--defer` finds the state's warehouse in `warehouse`.
 */
export interface RunArgs {
  which: string;
  warehouse: string;
  select: readonly string[];
  exclude: readonly string[];
  [option: string]: unknown;
}

/** Options of {@linkcode dbtRunResults}. */
export interface DbtRunResultsOptions {
  invocationId: string;
  startedAt: Date;
  elapsedMs: number;
  args: RunArgs;
}

/**
 * The run results of `results` (nodes of `cp`) as dbt writes them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { compileProject } from "../compile/compile_project.ts";
 * import { dbtRunResults } from "./dbt_run_results.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/models/marts`, { recursive: true });
 * await Deno.writeTextFile(`${root}/models/marts/a.sql`, "select 1 as id");
 * const cp = await compileProject(resolveEngineConfig(root, { name: "shop" }, []));
 * const now = new Date();
 * const rr = dbtRunResults(cp, [{ id: "marts.a", kind: "model", status: "success", startedAt: now, endedAt: now, rows: 1 }], {
 *   invocationId: crypto.randomUUID(),
 *   startedAt: now,
 *   elapsedMs: 5,
 *   args: { which: "run", warehouse: `${root}/warehouse.duckdb`, select: [], exclude: [] },
 * });
 * assert.equal(rr.results[0]!.unique_id, "model.shop.a");
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function dbtRunResults(
  cp: CompiledProject,
  results: readonly ResultInput[],
  options: DbtRunResultsOptions,
): { metadata: Record<string, unknown>; results: Record<string, unknown>[]; [k: string]: unknown } {
  return {
    metadata: artifactMetadata(DBT_SCHEMAS.runResults, options),
    results: dbtResultEntries(cp, results),
    elapsed_time: options.elapsedMs / 1000,
    args: { ...options.args },
  };
}

/** run_results.json's `results`: each of `results` (nodes of `cp`) as dbt records it. */
function dbtResultEntries(
  cp: CompiledProject,
  results: readonly ResultInput[],
): Record<string, unknown>[] {
  const ids = uniqueIds(cp);
  const database = databaseName(cp.project.config);
  return results.map((r, i) => {
    const compiled = cp.compiled.get(r.id);
    const code = compiled?.kind === "model"
      ? compiled.select
      : compiled?.kind === "test"
      ? compiled.query
      : compiled?.kind === "seed"
      ? compiled.sql
      : null;
    const { catalog, schema, name } = splitRelation(r.id);
    const ran = r.status !== "skipped";
    return {
      status: r.status,
      timing: ran
        ? [
          {
            name: "execute",
            started_at: r.startedAt.toISOString(),
            completed_at: r.endedAt.toISOString(),
          },
        ]
        : [],
      thread_id: `Thread-${(i % cp.project.config.threads) + 1}`,
      execution_time: (r.endedAt.getTime() - r.startedAt.getTime()) / 1000,
      adapter_response: ran && r.rows !== undefined
        ? { _message: "OK", rows_affected: r.rows }
        : {},
      message: r.message ?? (r.status === "success" || r.status === "pass" ? "OK" : null),
      failures: r.kind === "test" && ran ? (r.rows ?? 0) : null,
      unique_id: ids.get(r.id) ?? r.id,
      compiled: code !== null,
      compiled_code: code,
      relation_name: r.kind === "test"
        ? null
        : [catalog ?? database, schema, name].map(quoteIdent).join("."),
    };
  });
}

/** The resource types dbt builds a relation for (its `is_relational`). */
const RELATIONAL = new Set(["model", "seed", "snapshot"]);

/**
 * What dbt gives on-run-end hooks of the run whose node outcomes are
 * `results` (see `RunEndContext`): each result as dbt's RunResult, its
 * `node` the manifest's entry; the schemas (and database, schema pairs) of
 * the models, seeds and snapshots built, in the order of `results`, as dbt
 * lists them: those that errored or were skipped left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { compileProject } from "../compile/compile_project.ts";
 * import { dbtManifest } from "./dbt_manifest.ts";
 * import { dbtRunEndContext } from "./dbt_run_results.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/models/marts`, { recursive: true });
 * await Deno.writeTextFile(`${root}/models/marts/a.sql`, "select 1 as id");
 * const cp = await compileProject(resolveEngineConfig(root, { name: "shop" }, []));
 * const now = new Date();
 * const manifest = await dbtManifest(cp, { invocationId: crypto.randomUUID(), startedAt: now });
 * const context = dbtRunEndContext(cp, manifest, [
 *   { id: "marts.a", kind: "model", status: "success", startedAt: now, endedAt: now, rows: 1 },
 * ]);
 * assert.equal((context.results[0]!.node as { unique_id: string }).unique_id, "model.shop.a");
 * assert.deepEqual(context.schemas, ["marts"]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function dbtRunEndContext(
  cp: CompiledProject,
  manifest: DbtManifest,
  results: readonly ResultInput[],
): RunEndContext {
  const built = new Map<string, [string, string]>();
  const entries = dbtResultEntries(cp, results).map((entry, i) => {
    // A RunResult has its node, not the artifact's unique_id, compiled code and relation name.
    const { unique_id, compiled: _, compiled_code: _code, relation_name: _name, ...result } = entry;
    const id = String(unique_id);
    const node: Record<string, unknown> = manifest.nodes[id] ?? manifest.unit_tests?.[id] ??
      { unique_id: id };
    const status = results[i]!.status;
    if (RELATIONAL.has(String(node.resource_type)) && status === "success") {
      const pair: [string, string] = [String(node.database), String(node.schema)];
      built.set(pair.join("\0"), pair);
    }
    return { ...result, node };
  });
  const pairs = [...built.values()];
  return {
    results: entries,
    schemas: [...new Set(pairs.map(([, schema]) => schema))],
    database_schemas: pairs,
  };
}

/** Writes `runResults` to `<target>/run_results.json`; returns the file's path. */
export function writeDbtRunResults(
  config: EngineConfig,
  runResults: ReturnType<typeof dbtRunResults>,
): Promise<string> {
  return writeArtifact(config, "run_results.json", runResults);
}
