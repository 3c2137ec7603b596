/**
 * `wharf source freshness`: for each source table with a `freshness:` rule,
 * the newest `loaded_at_field` (under the rule's `filter`), or the one
 * value of its `loaded_at_query` (dbt 1.10; the filter does not apply),
 * against now, as dbt checks it: `pass`, `warn` (older than `warn_after`),
 * `error` (older than `error_after`) or `runtime error` (the table or
 * column cannot be read, or holds no time). Naive timestamps are taken as
 * UTC, as dbt does. The results are written to `target/sources.json`, in
 * dbt's schema, for `source_status:fresher` and the tools that read it.
 *
 * @module
 */
import type { EngineConfig } from "../config.ts";
import { openWarehouse } from "../db/warehouse.ts";
import { selectNodes } from "../graph/select.ts";
import { LANDED_AT } from "../project/read_sources.ts";
import type { DeclaredSource, FreshnessThreshold } from "../types.ts";
import { compileWithWarehouse } from "./run_project.ts";
import { dbtSources, writeDbtSources } from "../artifacts/dbt_sources.ts";

/** How one source table's freshness came out. */
export type FreshnessStatus = "pass" | "warn" | "error" | "runtime error";

/** One source table's freshness. */
export interface FreshnessResult {
  /** `source.table` */
  id: string;
  relation: string;
  /** Its graph node: a declared table's own (`source.<source>.<table>`), or its relation's. */
  node: string;
  status: FreshnessStatus;
  /** The newest loaded-at time (ISO, UTC); absent on a runtime error. */
  maxLoadedAt?: string;
  /** When it was compared (ISO, UTC). */
  snapshottedAt: string;
  /** Seconds between the two. */
  ageSeconds?: number;
  loadedAtField?: string;
  /** The query giving the newest loaded-at time, when the table has one instead of a field. */
  loadedAtQuery?: string;
  warnAfter?: FreshnessThreshold;
  errorAfter?: FreshnessThreshold;
  filter?: string;
  /** What went wrong, on a runtime error. */
  error?: string;
  /** When its query started and ended. */
  startedAt: Date;
  endedAt: Date;
}

/** Options of {@linkcode sourceFreshness}. */
export interface SourceFreshnessOptions {
  /** Warehouse; the configured one by default. */
  db?: string;
  select?: readonly string[];
  exclude?: readonly string[];
  selector?: string;
}

const SECONDS: Record<FreshnessThreshold["period"], number> = {
  minute: 60,
  hour: 3600,
  day: 86400,
};

function seconds(t: FreshnessThreshold): number {
  return t.count * SECONDS[t.period];
}

/** The loaded-at column of a table: declared, or `_landed_at` for a table `wharf land` landed. */
function loadedAtOf(s: DeclaredSource): string | undefined {
  return s.loadedAtField ?? (s.relation.startsWith("raw.") ? LANDED_AT : undefined);
}

/**
 * Checks the freshness of the project's source tables (those the selection
 * picks, when there is one), reading the warehouse read-only, and writes
 * the results to `target/sources.json`.
 *
 * @throws {WarehouseError} when the warehouse does not exist or is held.
 * @throws {UsageError} for a selection that matches nothing.
 */
export async function sourceFreshness(
  config: EngineConfig,
  options: SourceFreshnessOptions = {},
): Promise<FreshnessResult[]> {
  const wh = await openWarehouse(options.db ?? config.warehouse, {
    readOnly: true,
    attach: config.attach.map((a) => ({ ...a, readOnly: true })),
    extensions: config.dbt?.target.extensions,
    settings: config.dbt?.target.settings,
  });
  const started = performance.now();
  const startedAt = new Date();
  try {
    const cp = await compileWithWarehouse(config, wh);
    let sources = (cp.project.sources ?? []).filter((s) => s.freshness);
    if (options.select?.length || options.exclude?.length || options.selector) {
      const ids = new Set(selectNodes(cp.graph, {
        select: options.select?.length ? options.select : ["resource_type:source"],
        exclude: options.exclude,
        selector: options.selector,
        selectors: cp.selectors,
        project: cp.project,
      }));
      sources = sources.filter((s) => ids.has(s.id ?? s.relation));
    }
    const results = await wh.withConnection(async (session) => {
      await session.exec("SET TimeZone = 'UTC'");
      const results: FreshnessResult[] = [];
      for (const s of sources) {
        const rule = s.freshness!;
        const field = s.loadedAtQuery === undefined ? loadedAtOf(s) : undefined;
        const queryStarted = new Date();
        const base = {
          id: `${s.source}.${s.table}`,
          relation: s.relation,
          node: s.id ?? s.relation,
          startedAt: queryStarted,
          ...(field ? { loadedAtField: field } : {}),
          ...(s.loadedAtQuery === undefined ? {} : { loadedAtQuery: s.loadedAtQuery }),
          ...(rule.warnAfter ? { warnAfter: rule.warnAfter } : {}),
          ...(rule.errorAfter ? { errorAfter: rule.errorAfter } : {}),
          ...(rule.filter ? { filter: rule.filter } : {}),
        };
        const now = new Date();
        if (!field && s.loadedAtQuery === undefined) {
          results.push({
            ...base,
            status: "runtime error",
            snapshottedAt: now.toISOString(),
            endedAt: new Date(),
            error:
              `${s.location.file}:${s.location.line}: source "${s.source}" table "${s.table}" has freshness: but no loaded_at_field: name the column holding when each row was loaded (or give loaded_at_query)`,
          });
          continue;
        }
        try {
          // loaded_at_query as dbt runs it: its one value, as a scalar subquery; no filter.
          const [row] = await session.query(
            s.loadedAtQuery !== undefined
              ? `WITH source_query AS (\n${s.loadedAtQuery}\n)\nSELECT epoch_ms((SELECT * FROM source_query)::TIMESTAMPTZ) AS max_ms, epoch_ms(now()) AS now_ms`
              : `SELECT epoch_ms(max(${field})::TIMESTAMPTZ) AS max_ms, epoch_ms(now()) AS now_ms FROM ${s.sql}${
                rule.filter ? ` WHERE ${rule.filter}` : ""
              }`,
          );
          const nowMs = Number(row!.now_ms);
          if (row!.max_ms === null || row!.max_ms === undefined) {
            results.push({
              ...base,
              status: "runtime error",
              snapshottedAt: new Date(nowMs).toISOString(),
              endedAt: new Date(),
              error: s.loadedAtQuery !== undefined
                ? `the loaded_at_query of ${s.source}.${s.table} gives no time: nothing has been loaded`
                : `no row of ${s.relation}${
                  rule.filter ? ` under the filter ${rule.filter}` : ""
                } has a ${field}: nothing has been loaded`,
            });
            continue;
          }
          const maxMs = Number(row!.max_ms);
          const age = (nowMs - maxMs) / 1000;
          const status: FreshnessStatus = rule.errorAfter && age > seconds(rule.errorAfter)
            ? "error"
            : rule.warnAfter && age > seconds(rule.warnAfter)
            ? "warn"
            : "pass";
          results.push({
            ...base,
            status,
            maxLoadedAt: new Date(maxMs).toISOString(),
            snapshottedAt: new Date(nowMs).toISOString(),
            ageSeconds: Math.round(age),
            endedAt: new Date(),
          });
        } catch (err) {
          const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
          results.push({
            ...base,
            status: "runtime error",
            snapshottedAt: now.toISOString(),
            endedAt: new Date(),
            error: s.loadedAtQuery === undefined ? message : `loaded_at_query: ${message}`,
          });
        }
      }
      return results;
    });
    await writeDbtSources(
      config,
      dbtSources(cp, results, {
        invocationId: crypto.randomUUID(),
        startedAt,
        elapsedMs: performance.now() - started,
      }),
    );
    return results;
  } finally {
    wh.close();
  }
}
