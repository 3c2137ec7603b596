/**
 * dbt's `target/sources.json` (schema v3): the results of a source
 * freshness check, one per source table, with dbt's unique ids, as
 * `dbt source freshness` writes it. `source_status:fresher` compares the
 * `max_loaded_at` of two of them (see `state.ts`).
 *
 * @module
 */
import type { CompiledProject } from "../compile/compile_project.ts";
import type { EngineConfig } from "../config.ts";
import type { FreshnessThreshold } from "../types.ts";
import {
  artifactMetadata,
  DBT_SCHEMAS,
  packageName,
  sourceNameIds,
  uniqueIds,
  writeArtifact,
} from "./dbt_manifest.ts";

/** What sources.json needs of one table's freshness (the run's `FreshnessResult` fits). */
export interface FreshnessOutcome {
  /** The table's relation (`schema.identifier`). */
  relation: string;
  /** Its graph node: a declared table's own (`source.<source>.<table>`), or its relation's. */
  node: string;
  /** `source.table`, when the node has no unique id. */
  id: string;
  status: "pass" | "warn" | "error" | "runtime error";
  /** ISO times: the newest load, and when it was compared. */
  maxLoadedAt?: string;
  snapshottedAt: string;
  warnAfter?: FreshnessThreshold;
  errorAfter?: FreshnessThreshold;
  filter?: string;
  loadedAtQuery?: string;
  error?: string;
  startedAt: Date;
  endedAt: Date;
}

/** Options of {@linkcode dbtSources}. */
export interface DbtSourcesOptions {
  invocationId: string;
  startedAt: Date;
  elapsedMs: number;
}

/** sources.json, as JSON. */
export interface DbtSources {
  metadata: Record<string, unknown>;
  results: Record<string, unknown>[];
  elapsed_time: number;
}

/**
 * A time as Python's `isoformat()` writes it, as dbt writes its times:
 * `2024-06-01T10:00:00+00:00`, `2024-06-01T10:00:00.250000+00:00`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isoformat } from "./dbt_sources.ts";
 *
 * assert.equal(isoformat("2024-06-01T10:00:00.000Z"), "2024-06-01T10:00:00+00:00");
 * assert.equal(isoformat("2024-06-01T10:00:00.250Z"), "2024-06-01T10:00:00.250000+00:00");
 * ```
 */
export function isoformat(iso: string): string {
  const d = new Date(iso);
  const ms = d.getUTCMilliseconds();
  const base = d.toISOString().slice(0, 19);
  return `${base}${ms ? `.${String(ms * 1000).padStart(6, "0")}` : ""}+00:00`;
}

function criterion(
  t: FreshnessThreshold | undefined,
): { count: number | null; period: string | null } {
  return t ? { count: t.count, period: t.period } : { count: null, period: null };
}

/**
 * The sources.json of `results` (source tables of `cp`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { compileProject } from "../compile/compile_project.ts";
 * import { dbtSources } from "./dbt_sources.ts";
 *
 * const root = await Deno.makeTempDir();
 * const cp = await compileProject(resolveEngineConfig(root, { name: "shop" }, []));
 * const at = new Date("2024-06-01T12:00:00Z");
 * const out = dbtSources(cp, [{
 *   id: "shop.orders", relation: "raw.orders", node: "raw.orders", status: "pass",
 *   maxLoadedAt: "2024-06-01T10:00:00.000Z", snapshottedAt: at.toISOString(),
 *   warnAfter: { count: 12, period: "hour" }, startedAt: at, endedAt: at,
 * }], { invocationId: crypto.randomUUID(), startedAt: at, elapsedMs: 3 });
 * assert.equal(out.results[0]!.max_loaded_at, "2024-06-01T10:00:00+00:00");
 * assert.equal(out.results[0]!.max_loaded_at_time_ago_in_s, 7200);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function dbtSources(
  cp: CompiledProject,
  results: readonly FreshnessOutcome[],
  options: DbtSourcesOptions,
): DbtSources {
  const ids = uniqueIds(cp);
  const named = sourceNameIds(cp);
  const pkg = packageName(cp.project.config);
  return {
    metadata: artifactMetadata(DBT_SCHEMAS.sources, options),
    results: results.map((r) => {
      // A plain project's relation that several tables name: each name's own id, as the manifest's.
      const unique_id = named.has(r.node)
        ? `source.${pkg}.${r.id}`
        : ids.get(r.node) ?? `source.${r.id}`;
      if (r.status === "runtime error" || r.maxLoadedAt === undefined) {
        return { unique_id, error: r.error ?? null, status: "runtime error" };
      }
      const timing = {
        started_at: r.startedAt.toISOString(),
        completed_at: r.endedAt.toISOString(),
      };
      return {
        unique_id,
        max_loaded_at: isoformat(r.maxLoadedAt),
        snapshotted_at: isoformat(r.snapshottedAt),
        max_loaded_at_time_ago_in_s: (Date.parse(r.snapshottedAt) - Date.parse(r.maxLoadedAt)) /
          1000,
        status: r.status,
        criteria: {
          warn_after: criterion(r.warnAfter),
          error_after: criterion(r.errorAfter),
          filter: r.loadedAtQuery === undefined ? r.filter ?? null : null,
        },
        adapter_response: {},
        timing: [{ name: "compile", ...timing }, { name: "execute", ...timing }],
        thread_id: "Thread-1",
        execution_time: (r.endedAt.getTime() - r.startedAt.getTime()) / 1000,
      };
    }),
    elapsed_time: options.elapsedMs / 1000,
  };
}

/** Writes `sources` to `<target>/sources.json`; returns the file's path. */
export function writeDbtSources(config: EngineConfig, sources: DbtSources): Promise<string> {
  return writeArtifact(config, "sources.json", sources);
}
