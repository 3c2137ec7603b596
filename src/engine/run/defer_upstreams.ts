/**
 * `--defer`: what a run reads but does not build, and the warehouse lacks,
 * is taken from the state's warehouse (the earlier run's), so a CI run of
 * the modified models needs no full build of what is upstream of them. Each
 * copy is recorded (`deferred_relations.ts`): a later `--defer` run copies
 * it again from its state, as it is a copy and not this warehouse's build.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { ensureTables } from "../db/schema/warehouse_schema.ts";
import type { CompiledProject } from "../compile/compile_project.ts";
import type { CompiledNode } from "../compile/compile.ts";
import {
  quoteIdent,
  quoteLiteral,
  quoteRelation,
  quoteRelationId,
  relationIdSql,
  splitRelation,
} from "../db/sql.ts";
import type { Warehouse } from "../db/warehouse.ts";
import { UsageError } from "../errors.ts";
import { materialization } from "../materializations/index.ts";
import { uniqueIds } from "../artifacts/dbt_manifest.ts";
import type { StateArtifacts } from "../artifacts/state.ts";
import { runParents } from "../graph/build_graph.ts";
import { deferredCopies, recordDeferredCopy } from "./deferred_relations.ts";

const STATE_CATALOG = "wharf_state";

/**
 * The models and seeds `nodes` read that are not among them (through
 * ephemeral models), those of attached databases aside: what `--defer`
 * takes from the state's warehouse.
 */
export function unbuiltUpstreams(cp: CompiledProject, nodes: readonly CompiledNode[]): string[] {
  const inPlan = new Set(nodes.map((n) => n.id));
  const out = new Set<string>();
  const seen = new Set<string>();
  // Models of the warehouse (in full, where their schema is named like a catalog), not of attached databases.
  const attached = new Set(cp.project.config.attach.map((a) => a.name));
  const visit = (id: string) => {
    for (const p of runParents(cp.graph, id)) {
      if (seen.has(p) || inPlan.has(p)) continue;
      seen.add(p);
      const n = cp.graph.nodes.get(p);
      if (n?.kind === "model" && materialization(n.config.materialized).inlined) visit(p);
      else if ((n?.kind === "model" && !attached.has(n.catalog ?? "")) || n?.kind === "seed") {
        out.add(p);
      }
    }
  };
  for (const n of nodes) visit(n.id);
  return [...out].sort();
}

/**
 * Attaches the state's warehouse `from`, read-only.
 *
 * @throws {UsageError} when it cannot be opened (moved away, or not a
 * DuckDB file), naming it and what to do.
 */
async function attachState(
  wh: Warehouse,
  from: string,
  missing: readonly string[],
  state: StateArtifacts,
): Promise<void> {
  try {
    await wh.exec(`ATTACH ${quoteLiteral(from)} AS ${quoteIdent(STATE_CATALOG)} (READ_ONLY)`);
  } catch (err) {
    // A local file that is not there (a URL such as md: is DuckDB's to judge).
    const gone = !/^[a-z][a-z0-9]+:/i.test(from) && !(await Deno.stat(from).catch(() => null));
    const rebuild = `build ${missing.join(", ")} in this run too (--select +<model>) instead`;
    throw new UsageError(
      `--defer takes ${missing.join(", ")} from the state's warehouse "${from}" (named by ${
        join(state.dir, "run_results.json")
      }), which ${
        gone
          ? `does not exist: put the file back at that path, point --state at the target/ folder of a run whose warehouse is still in place, or ${rebuild}`
          : `cannot be opened (${
            err instanceof Error ? err.message : String(err)
          }): point --state at another run, or ${rebuild}`
      }`,
      { cause: err },
    );
  }
}

/** Options of {@linkcode deferUpstreams}. */
export interface DeferUpstreamsOptions {
  /** The nodes the run runs. */
  nodes: readonly CompiledNode[];
  /** The `--state` the run defers to. */
  state: StateArtifacts;
  /** The run, recorded with each copy. */
  runId: string;
}

/**
 * Copies into `wh` each model or seed the plan reads without building it
 * and that `wh` does not have, or has as an earlier run's copy, from the
 * state's warehouse (its relation as the state's manifest names it), as a
 * table, and records each copy in `wharf.deferred_relations`.
 *
 * @returns the relations copied.
 * @throws {UsageError} when the state does not name its warehouse, that
 * warehouse cannot be opened, or it lacks a relation to copy.
 */
export async function deferUpstreams(
  wh: Warehouse,
  cp: CompiledProject,
  { nodes, state, runId }: DeferUpstreamsOptions,
): Promise<string[]> {
  const wanted = unbuiltUpstreams(cp, nodes);
  if (wanted.length === 0) return [];
  const copies = await wh.withConnection(deferredCopies);
  const existing = new Set(
    (await wh.query(
      `SELECT ${
        relationIdSql("table_catalog", "table_schema", "table_name")
      } AS id FROM information_schema.tables WHERE table_catalog = current_database()`,
    )).map((r) => String(r.id)),
  );
  // An earlier run's copy is no build of this warehouse: it is taken again, from this state.
  const missing = wanted.filter((id) => !existing.has(id) || copies.has(id.toLowerCase()));
  if (missing.length === 0) return [];
  const from = state.runResults?.args?.warehouse;
  if (typeof from !== "string") {
    throw new UsageError(
      `--defer takes ${
        missing.join(", ")
      } from the state's warehouse, and the state "${state.dir}" does not name one: its run_results.json (written by wharf's build, run, test and seed) is ${
        state.runResults ? "from another tool" : "not there"
      }`,
    );
  }
  if (resolve(from) === resolve(wh.path)) return [];
  const ids = uniqueIds(cp);
  await wh.withConnection((s) => ensureTables(s, "runs"));
  await attachState(wh, from, missing, state);
  const copied: string[] = [];
  try {
    const there = new Set(
      (await wh.query(
        `SELECT lower(table_schema || '.' || table_name) AS id FROM information_schema.tables WHERE table_catalog = ${
          quoteLiteral(STATE_CATALOG)
        }`,
      )).map((r) => String(r.id)),
    );
    for (const id of missing) {
      const then = state.manifest.nodes[ids.get(id)!];
      if (!then) continue;
      if (!there.has(`${then.schema}.${then.alias}`.toLowerCase())) {
        throw new UsageError(
          `--defer takes ${id} from the state's warehouse "${from}", which does not have it (its build there did not succeed, or the file was rebuilt since): build ${id} in this run too (--select +<model>), or point --state at a run that built it`,
        );
      }
      const source = quoteRelation(String(then.schema), String(then.alias), STATE_CATALOG);
      await wh.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(splitRelation(id).schema)}`);
      // The copy and its record together: no copy is ever taken for a build of this warehouse.
      await wh.transaction(async (s) => {
        const rows = await s.count(
          `CREATE OR REPLACE TABLE ${quoteRelationId(id)} AS SELECT * FROM ${source}`,
        );
        await recordDeferredCopy(s, {
          relation: id,
          state: state.dir,
          stateWarehouse: from,
          stateRelation: `${then.schema}.${then.alias}`,
          runId,
          copiedAt: new Date().toISOString(),
          rows,
        });
      });
      copied.push(id);
    }
  } finally {
    await wh.exec(`DETACH ${quoteIdent(STATE_CATALOG)}`);
  }
  return copied;
}
