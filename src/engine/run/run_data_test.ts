/**
 * Runs one data test (generic or singular) as dbt's test materialization
 * does: its failing rows kept in `wharf_failures.<test>` as
 * `store_failures_as` says (a table, a view, or nowhere: `ephemeral`), its
 * failures counted with `fail_calc` over those rows (`count(*)` by
 * default), and its status from `warn_if` / `error_if` on that count.
 *
 * @module
 */
import type { CompiledTest } from "../compile/compile.ts";
import type { Warehouse } from "../db/warehouse.ts";
import { WharfError } from "../errors.ts";
import { storedAs, testStatus } from "../test_kinds/test_config.ts";
import type { NodeResult } from "./run_log.ts";

/** What running a data test gives. */
export type DataTestOutcome = Pick<NodeResult, "status" | "rows" | "message">;

/** The type of `wharf_failures.<name>` in the warehouse: a table, a view, or none. */
async function existing(wh: Warehouse, name: string): Promise<"table" | "view" | undefined> {
  const rows = await wh.query(
    "SELECT table_type FROM information_schema.tables WHERE table_schema = 'wharf_failures' AND table_name = ?",
    [name],
  );
  const type = rows[0]?.table_type;
  return type === undefined ? undefined : type === "VIEW" ? "view" : "table";
}

/** Options of {@linkcode runDataTest}. */
export interface RunDataTestOptions {
  /**
   * What asked for dbt's warn-error (`--warn-error`, or the file of the
   * `warn_error` flag): a test that would warn fails instead, as in dbt.
   */
  warnError?: string;
}

/**
 * Runs `node` (a data test, not a unit test) on `wh`.
 *
 * @throws {WharfError} when its `fail_calc` cannot be computed over its failing rows.
 */
export async function runDataTest(
  wh: Warehouse,
  node: CompiledTest,
  options: RunDataTestOptions = {},
): Promise<DataTestOutcome> {
  const config = node.config ?? {};
  const as = storedAs(config);
  // What was kept before goes, whatever it was: a test replaces its failing rows each run.
  const before = await existing(wh, node.name);
  if (before && before !== as) {
    await wh.exec(`DROP ${before === "view" ? "VIEW" : "TABLE"} ${node.failures}`);
  }
  let rows: number | undefined;
  if (as === "table") {
    rows = await wh.count(`CREATE OR REPLACE TABLE ${node.failures} AS\n${node.query}`);
  } else if (as === "view") {
    await wh.exec(`CREATE OR REPLACE VIEW ${node.failures} AS\n${node.query}`);
  }
  const from = as === "ephemeral" ? `(\n${node.query}\n)` : node.failures;
  let failures: number;
  if (config.failCalc === undefined && rows !== undefined) failures = rows;
  else {
    const calc = config.failCalc ?? "count(*)";
    try {
      const [row] = await wh.query(
        `SELECT (${calc})::DOUBLE AS failures FROM ${from} AS dbt_internal_test`,
      );
      // Over no rows an aggregate such as sum() is NULL: no failures, as dbt's comparisons find.
      failures = Number(row?.failures ?? 0);
    } catch (err) {
      if (config.failCalc === undefined) throw err;
      throw new WharfError(
        `fail_calc "${config.failCalc}" of test ${node.name} cannot be computed over its failing rows: ${
          err instanceof Error ? err.message.split("\n")[0] : String(err)
        } (fail_calc is a SQL expression over the rows the test returns, e.g. "sum(n_records)")`,
        { cause: err },
      );
    }
  }
  const found = testStatus(failures, node.severity, config);
  // dbt's warn-error: what would warn fails (its status is dbt's `fail`).
  const status = found === "warn" && options.warnError ? "fail" : found;
  if (failures === 0 && status === "pass") return { status, rows: 0 };
  const where = as === "table"
    ? `see wharf_failures.${node.name}`
    : as === "view"
    ? `see the view wharf_failures.${node.name}`
    : config.storeFailuresAs === "ephemeral"
    ? "not stored (store_failures_as: ephemeral)"
    : "not stored (store_failures: false)";
  const counted = config.failCalc === undefined
    ? `${failures} failing row${failures === 1 ? "" : "s"}`
    : `${config.failCalc} = ${failures}`;
  return {
    status,
    // The run log and run_results.json count whole failures; the status used the exact value.
    rows: Math.round(failures),
    message: `${counted}${
      status === "pass"
        ? " (within warn_if and error_if)"
        : found === "warn" && status === "fail"
        ? ` (a warning: ${options.warnError} makes it an error)`
        : ""
    }: ${where}`,
  };
}
