/**
 * `wharf source freshness`: for each source table with a `freshness:` rule,
 * the newest `loaded_at_field` (under the rule's `filter`) against now, as
 * dbt checks it: `pass`, `warn` (older than `warn_after`), `error` (older
 * than `error_after`) or `runtime error` (the table or column cannot be
 * read, or holds no time). Naive timestamps are taken as UTC, as dbt does.
 *
 * @module
 */
import type { EngineConfig } from "../config.ts";
import { openWarehouse } from "../db/warehouse.ts";
import { selectNodes } from "../graph/select.ts";
import { LANDED_AT } from "../project/read_sources.ts";
import type { DeclaredSource, FreshnessThreshold } from "../types.ts";
import { compileWithWarehouse } from "./run_project.ts";

/** How one source table's freshness came out. */
export type FreshnessStatus = "pass" | "warn" | "error" | "runtime error";

/** One source table's freshness. */
export interface FreshnessResult {
  /** `source.table` */
  id: string;
  relation: string;
  status: FreshnessStatus;
  /** The newest loaded-at time (ISO, UTC); absent on a runtime error. */
  maxLoadedAt?: string;
  /** When it was compared (ISO, UTC). */
  snapshottedAt: string;
  /** Seconds between the two. */
  ageSeconds?: number;
  loadedAtField?: string;
  warnAfter?: FreshnessThreshold;
  errorAfter?: FreshnessThreshold;
  filter?: string;
  /** What went wrong, on a runtime error. */
  error?: string;
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
 * picks, when there is one), reading the warehouse read-only.
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
      sources = sources.filter((s) => ids.has(s.relation));
    }
    return await wh.withConnection(async (session) => {
      await session.exec("SET TimeZone = 'UTC'");
      const results: FreshnessResult[] = [];
      for (const s of sources) {
        const rule = s.freshness!;
        const field = loadedAtOf(s);
        const base = {
          id: `${s.source}.${s.table}`,
          relation: s.relation,
          ...(field ? { loadedAtField: field } : {}),
          ...(rule.warnAfter ? { warnAfter: rule.warnAfter } : {}),
          ...(rule.errorAfter ? { errorAfter: rule.errorAfter } : {}),
          ...(rule.filter ? { filter: rule.filter } : {}),
        };
        const now = new Date();
        if (!field) {
          results.push({
            ...base,
            status: "runtime error",
            snapshottedAt: now.toISOString(),
            error:
              `${s.location.file}:${s.location.line}: source "${s.source}" table "${s.table}" has freshness: but no loaded_at_field: name the column holding when each row was loaded`,
          });
          continue;
        }
        try {
          const [row] = await session.query(
            `SELECT epoch_ms(max(${field})::TIMESTAMPTZ) AS max_ms, epoch_ms(now()) AS now_ms FROM ${s.sql}${
              rule.filter ? ` WHERE ${rule.filter}` : ""
            }`,
          );
          const nowMs = Number(row!.now_ms);
          if (row!.max_ms === null || row!.max_ms === undefined) {
            results.push({
              ...base,
              status: "runtime error",
              snapshottedAt: new Date(nowMs).toISOString(),
              error: `no row of ${s.relation}${
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
          });
        } catch (err) {
          results.push({
            ...base,
            status: "runtime error",
            snapshottedAt: now.toISOString(),
            error: err instanceof Error ? err.message.split("\n")[0] : String(err),
          });
        }
      }
      return results;
    });
  } finally {
    wh.close();
  }
}
